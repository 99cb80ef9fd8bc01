"""Success stories and indicator rows: what is saved is exactly the rows the person has on the
page (not blank, not ticked "Remove when saving"), whatever the order of autosaves and saves and
whatever the page's management form says.

The page does not learn from an autosave which rows are now stored: after an autosave stored a
row typed in the blank row, the browser still posts ``INITIAL_FORMS=0`` for it. The posts below
are what the browser sends in that state."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from action_lines.models import ActionLine
from reports.web import forms
from tests import factories
from tests.accounts import session_idles_out

pytestmark = pytest.mark.django_db

AJAX = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def section_url(report, key):
    return reverse("reports:section", kwargs={"report_id": report.pk, "key": key})


def management(prefix, *, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


STORY_A = {
    "title": "Giga school connectivity",
    "description": "Three hundred schools online.",
    "year": "2021",
}
STORY_B = {
    "title": "Community radio in Turkana",
    "description": "Five stations broadcast lessons.",
    "url": "https://radio.example.org/turkana",
    "year": "2019",
}
STORY_C = {"title": "Telemedicine", "description": "Forty hospitals linked to specialists.", "year": "2023"}


def story_fields(index, story, *, delete=False):
    fields = {
        f"stories-{index}-{name}": story.get(name, "") for name in ("title", "description", "url", "year")
    }
    if delete:
        fields[f"stories-{index}-DELETE"] = "on"
    return fields


def indicator_fields(index, indicator, value, unit="", year="", source="", note=""):
    row = {"indicator": indicator, "value": value, "unit": unit, "year": year, "source": source, "note": note}
    return {f"indicators-{index}-{name}": text for name, text in row.items()}


def stored_stories(report, code):
    return [
        {"title": s.title, "description": s.description, "url": s.url, "year": s.year}
        for s in report.success_stories.filter(action_line__code=code).order_by("order")
    ]


def expected(story):
    return {
        "title": story["title"],
        "description": story["description"],
        "url": story.get("url", ""),
        "year": int(story["year"]) if story.get("year") else None,
    }


def stored_indicators(report):
    return list(report.indicators.order_by("order").values_list("indicator", "value", "unit", "year"))


class _FormReader(HTMLParser):
    """The fields the section form of a page posts, as a browser submits them: checked boxes
    only, no disabled field, nothing inside a ``<template>``, no submit button."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_form = self.in_template = False
        self.textarea: tuple[str, list[str]] | None = None
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "section-form" in (a.get("class") or ""):
            self.in_form = True
        elif tag == "template":
            self.in_template = True
        if not self.in_form or self.in_template or "name" not in a or "disabled" in a:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button") or (kind == "checkbox" and "checked" not in a):
                return
            self.fields.append((a["name"], a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self.textarea = (a["name"], [])

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            name, parts = self.textarea
            text = "".join(parts)
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self.textarea = None
        elif tag == "template":
            self.in_template = False
        elif tag == "form":
            self.in_form = False


def page_form(response) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(response.content.decode())
    return dict(reader.fields)


# --- Success stories --------------------------------------------------------------------------


def test_a_story_autosaved_in_the_blank_row_survives_the_next_autosave_and_the_save(member, report):
    url = section_url(report, "line-C1")
    page = {
        "base_version": 0,
        "achievements": "Broadband reached every county.",
        **management("stories", total=1, initial=0),
        **story_fields(0, STORY_A),
    }
    first = member.post(url, page, **AJAX)
    assert first.status_code == 200
    assert first.json()["version"] == 1
    assert stored_stories(report, "C1") == [expected(STORY_A)]

    # The person keeps typing: the next autosave posts the same story row, still INITIAL_FORMS=0.
    page |= {"base_version": 1, "achievements": "Broadband reached every county and most schools."}
    second = member.post(url, page, **AJAX)
    assert second.status_code == 200
    assert second.json()["version"] == 2
    assert stored_stories(report, "C1") == [expected(STORY_A)]

    # Then Save, the ordinary post of the same page.
    page |= {"base_version": "2", "challenges": "Power supply in rural areas.", "after": "stay"}
    saved = member.post(url, page)
    assert saved.status_code == 302
    assert stored_stories(report, "C1") == [expected(STORY_A)]
    assert report.progress.get(action_line__code="C1").challenges == "Power supply in rural areas."

    # The reloaded page shows the story, ready to be removed.
    reloaded = page_form(member.get(url))
    assert reloaded["stories-0-title"] == STORY_A["title"]
    assert reloaded["stories-0-description"] == STORY_A["description"]
    assert reloaded["stories-INITIAL_FORMS"] == "1"


def test_pressing_save_right_after_an_autosave_of_the_same_page_keeps_the_story(member, report):
    url = section_url(report, "line-C2")
    page = {"base_version": 0, **management("stories", total=1, initial=0), **story_fields(0, STORY_B)}
    assert member.post(url, page, **AJAX).status_code == 200
    assert member.post(url, page | {"base_version": 1}).status_code == 302
    assert stored_stories(report, "C2") == [expected(STORY_B)]


def test_stories_in_added_rows_survive_every_autosave(member, report):
    url = section_url(report, "line-C3")
    page = {"base_version": 0, **management("stories", total=2, initial=0), **story_fields(0, STORY_A)}
    page |= story_fields(1, STORY_B)
    assert member.post(url, page, **AJAX).json()["version"] == 1
    # A third row added with "Add a success story"; the first two are untouched.
    page |= {"base_version": 1, **management("stories", total=3, initial=0), **story_fields(2, STORY_C)}
    assert member.post(url, page, **AJAX).json()["version"] == 2
    assert stored_stories(report, "C3") == [expected(STORY_A), expected(STORY_B), expected(STORY_C)]
    assert member.post(url, page | {"base_version": "2"}).status_code == 302
    assert stored_stories(report, "C3") == [expected(STORY_A), expected(STORY_B), expected(STORY_C)]


def test_removing_a_stored_story_after_a_new_one_was_autosaved_keeps_the_new_one(member, report):
    """The page was loaded with story A stored; B typed in the blank row was autosaved; then A is
    ticked "Remove when saving"."""
    url = section_url(report, "line-C4")
    member.post(
        url, {"base_version": 0, **management("stories", total=1, initial=0), **story_fields(0, STORY_A)}
    )
    page = page_form(member.get(url))
    assert page["stories-INITIAL_FORMS"] == "1"
    assert page["stories-TOTAL_FORMS"] == "2"

    page |= story_fields(1, STORY_B)
    assert member.post(url, page, **AJAX).status_code == 200
    assert stored_stories(report, "C4") == [expected(STORY_A), expected(STORY_B)]

    page |= {"base_version": "2", **story_fields(0, STORY_A, delete=True)}
    assert member.post(url, page, **AJAX).status_code == 200
    assert stored_stories(report, "C4") == [expected(STORY_B)]
    # Saving the same page again (the box still ticked) keeps exactly B.
    assert member.post(url, page | {"base_version": 3}).status_code == 302
    assert stored_stories(report, "C4") == [expected(STORY_B)]


def test_a_mix_of_kept_removed_edited_and_added_stories_is_saved_as_shown(member, report):
    url = section_url(report, "line-C5")
    member.post(
        url, {"base_version": 0, **management("stories", total=1, initial=0), **story_fields(0, STORY_A)}
    )
    page = page_form(member.get(url))  # A stored, a blank row
    page |= story_fields(1, STORY_B) | {"stories-TOTAL_FORMS": "3"} | story_fields(2, STORY_C)
    assert member.post(url, page, **AJAX).status_code == 200
    assert stored_stories(report, "C5") == [expected(STORY_A), expected(STORY_B), expected(STORY_C)]

    edited_c = STORY_C | {"description": "Forty-two hospitals linked to specialists."}
    page |= {"base_version": "2", **story_fields(0, STORY_A, delete=True), **story_fields(2, edited_c)}
    assert member.post(url, page | {"after": "stay"}).status_code == 302
    assert stored_stories(report, "C5") == [expected(STORY_B), expected(edited_c)]


def test_emptying_an_autosaved_story_row_removes_it(member, report):
    url = section_url(report, "line-C6")
    page = {"base_version": 0, **management("stories", total=1, initial=0), **story_fields(0, STORY_A)}
    member.post(url, page, **AJAX)
    page |= {"base_version": 1, **story_fields(0, {})}
    assert member.post(url, page, **AJAX).status_code == 200
    assert stored_stories(report, "C6") == []


@pytest.mark.parametrize("initial", [0, 1, 2, 3])
def test_the_rows_saved_do_not_depend_on_what_the_management_form_says(report, initial):
    stored = {"success_stories": [expected(STORY_A), expected(STORY_B)]}
    data = {"base_version": 4, **management("stories", total=3, initial=initial)}
    data |= story_fields(0, STORY_A) | story_fields(1, STORY_B, delete=True) | story_fields(2, STORY_C)
    line = ActionLine.objects.get(code="C7")
    editor = forms.SectionEditor(key="line-C7", values=stored, version=4, data=data, line=line)
    assert editor.is_valid(), editor.errors()
    assert editor.cleaned()["success_stories"] == [expected(STORY_A), expected(STORY_C)]


# --- Indicators -------------------------------------------------------------------------------


def test_indicator_rows_added_and_autosaved_survive_the_next_autosave_and_the_save(member, report):
    url = section_url(report, "indicators")
    page = {
        "base_version": 0,
        "indicators_narrative": "Internet use doubled.",
        **management("indicators", total=3, initial=0),
        **indicator_fields(0, "Internet users", "67.4", "%", "2024", "ITU"),
        **indicator_fields(1, "Mobile penetration", "121", "per 100", "2024"),
        **indicator_fields(2, "Digital skills training", "1.2 million", "people"),
    }
    rows = [
        ("Internet users", "67.4", "%", 2024),
        ("Mobile penetration", "121", "per 100", 2024),
        ("Digital skills training", "1.2 million", "people", None),
    ]
    assert member.post(url, page, **AJAX).json()["version"] == 1
    page |= {"base_version": 1, "indicators_narrative": "Internet use more than doubled."}
    assert member.post(url, page, **AJAX).json()["version"] == 2
    assert stored_indicators(report) == rows
    assert member.post(url, page | {"base_version": "2"}).status_code == 302
    assert stored_indicators(report) == rows
    report.refresh_from_db()
    assert report.indicators_narrative == "Internet use more than doubled."


def test_removing_an_indicator_row_after_autosaves_removes_only_that_row(member, report):
    url = section_url(report, "indicators")
    page = {
        "base_version": 0,
        **management("indicators", total=2, initial=0),
        **indicator_fields(0, "Internet users", "67.4", "%"),
        **indicator_fields(1, "Mobile penetration", "121"),
    }
    member.post(url, page, **AJAX)
    page = page_form(member.get(url))  # two stored rows and a blank one
    page |= indicator_fields(2, "Fixed broadband", "4.1", "per 100")
    assert member.post(url, page, **AJAX).status_code == 200
    page |= {"base_version": "2", "indicators-1-DELETE": "on"}
    remaining = [("Internet users", "67.4", "%", None), ("Fixed broadband", "4.1", "per 100", None)]
    assert member.post(url, page, **AJAX).status_code == 200
    assert stored_indicators(report) == remaining
    assert member.post(url, page | {"base_version": 3}).status_code == 302
    assert stored_indicators(report) == remaining


# --- Other paths that re-render posted rows -----------------------------------------------------


def test_saving_after_a_conflict_keeps_the_autosaved_story(member, report, colleague):
    """A story autosaved, then a colleague saves the section (with that story), then this page's
    next autosave conflicts; the person compares and saves again from the conflict page."""
    url = section_url(report, "line-C8")
    page = {"base_version": 0, **management("stories", total=1, initial=0), **story_fields(0, STORY_A)}
    member.post(url, page, **AJAX)

    other = Client()
    other.force_login(colleague)
    theirs = page_form(other.get(url)) | {"achievements": "The colleague's achievements."}
    assert other.post(url, theirs).status_code == 302

    page |= {"base_version": 1, "challenges": "My challenges."}
    assert member.post(url, page, **AJAX).status_code == 409
    conflict = member.post(url, page)  # "Compare the two versions"
    assert conflict.status_code == 409
    shown = page_form(conflict)
    assert shown["stories-0-title"] == STORY_A["title"]
    assert shown["base_version"] == "2"
    shown["achievements"] = "Merged achievements."
    assert member.post(url, shown).status_code == 302
    assert stored_stories(report, "C8") == [expected(STORY_A)]
    progress = report.progress.get(action_line__code="C8")
    assert (progress.achievements, progress.challenges) == ("Merged achievements.", "My challenges.")


def test_a_story_typed_when_the_session_expired_is_saved_with_the_autosaved_one(client, owner, report):
    url = section_url(report, "line-C9")
    client.force_login(owner)
    page = {"base_version": 0, **management("stories", total=1, initial=0), **story_fields(0, STORY_A)}
    client.post(url, page, **AJAX)
    session_idles_out(client)  # the session ends; the page stays open and the person adds a story
    page |= {"base_version": 1, **management("stories", total=2, initial=0), **story_fields(1, STORY_B)}
    assert client.post(url, page, **AJAX).status_code == 401

    client.post(reverse("account_login"), {"login": owner.email, "password": factories.PASSWORD})
    restored = client.get(url)
    assert "when your session expired" in restored.content.decode()
    assert client.post(url, page_form(restored)).status_code == 302
    assert stored_stories(report, "C9") == [expected(STORY_A), expected(STORY_B)]


def test_a_refused_save_keeps_the_remove_ticks_and_offers_removing_the_faulty_row(member, report):
    url = section_url(report, "line-C10")
    member.post(
        url, {"base_version": 0, **management("stories", total=1, initial=0), **story_fields(0, STORY_A)}
    )
    page = page_form(member.get(url))
    page |= story_fields(0, STORY_A, delete=True) | story_fields(1, {"title": "A title, no description yet"})
    refused = member.post(url, page)
    assert refused.status_code == 400
    assert "Describe this success story in a few sentences." in refused.content.decode()
    shown = page_form(refused)
    assert shown["stories-0-DELETE"] == "on"
    assert 'name="stories-1-DELETE"' in refused.content.decode()
    shown["stories-1-description"] = "Written after the message."
    assert member.post(url, shown).status_code == 302
    assert stored_stories(report, "C10") == [
        expected({"title": "A title, no description yet", "description": "Written after the message."})
    ]


# --- A row still being typed ------------------------------------------------------------------


def test_an_autosave_while_a_story_is_half_typed_saves_the_rest_and_says_the_row_waits(member, report):
    """The person typed a story's title and moved to its description: the autosave that fires
    then is no error; the answers are saved, the story is saved once it is complete."""
    url = section_url(report, "line-C4")
    page = {
        "base_version": 0,
        "achievements": "A national skills academy.",
        **management("stories", total=2, initial=0),
        **story_fields(0, STORY_A),
        **story_fields(1, {"title": STORY_B["title"]}),
    }
    first = member.post(url, page, **AJAX)
    assert first.status_code == 200
    answer = first.json()
    assert answer["incomplete"] == 1
    assert answer["message"].endswith("The row you are filling in is saved once it is complete.")
    assert report.progress.get(action_line__code="C4").achievements == "A national skills academy."
    assert stored_stories(report, "C4") == [expected(STORY_A)]

    page |= {"base_version": 1, **story_fields(1, STORY_B)}
    second = member.post(url, page, **AJAX)
    assert second.json()["incomplete"] == 0
    assert second.json()["message"].startswith("Saved at ")
    assert stored_stories(report, "C4") == [expected(STORY_A), expected(STORY_B)]


def test_the_save_button_still_asks_for_the_missing_part_of_a_row(member, report):
    url = section_url(report, "line-C5")
    page = {
        "base_version": 0,
        **management("stories", total=1, initial=0),
        **story_fields(0, {"title": STORY_B["title"]}),
    }
    refused = member.post(url, page)
    assert refused.status_code == 400
    assert "Describe this success story in a few sentences." in refused.content.decode()
    assert page_form(refused)["stories-0-title"] == STORY_B["title"]
    assert stored_stories(report, "C5") == []


def test_an_indicator_named_but_without_a_value_waits_while_the_narrative_is_autosaved(member, report):
    url = section_url(report, "indicators")
    page = {
        "base_version": 0,
        "indicators_narrative": "Use of the Internet doubled.",
        **management("indicators", total=1, initial=0),
        **indicator_fields(0, "Mobile penetration", ""),
    }
    answer = member.post(url, page, **AJAX)
    assert answer.status_code == 200
    assert answer.json()["incomplete"] == 1
    report.refresh_from_db()
    assert report.indicators_narrative == "Use of the Internet doubled."
    assert stored_indicators(report) == []

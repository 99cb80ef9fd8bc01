"""The section pages at a person's pace, in Debian's Chromium: keys pressed one by one, autosave
left to fire (every two seconds here) and seen to say "Saved at", then Save, a reload, and every
field read back, in the page and in the database.

Autosave and Save post the same form; whatever their order, what is saved is what the page shows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from reports import services
from reports.models import Report
from tests import factories
from tests.chromium import watch

pytestmark = pytest.mark.django_db(transaction=True)

AUTOSAVE_SECONDS = 2
WAIT = 15_000  # ms: several autosave intervals
KEY_DELAY = 40  # ms between keys: a quick typist
AT_PACE = 16  # characters typed key by key in each field before the rest is pasted
SAVED_AT = re.compile(r"^Saved at \d\d:\d\d$")


@pytest.fixture
def report(reference_data, settings):
    settings.REPORT_AUTOSAVE_SECONDS = AUTOSAVE_SECONDS
    report = factories.ReportFactory.create(cycle=factories.CycleFactory.create(), executive_summary="")
    factories.MembershipFactory.create(entity=report.entity, user__email="focal.point@example.org")
    return report


def log_in(page, base: str, report: Report, key: str) -> str:
    url = f"{base}/reports/{report.pk}/sections/{key}/"
    page.goto(f"{base}/accounts/login/?next=/reports/{report.pk}/sections/{key}/")
    page.fill("#id_login", "focal.point@example.org")
    page.fill("#id_password", factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(url)
    return url


def type_in(page, selector: str, text: str) -> None:
    """Click the field and type after what is there: key by key up to ``AT_PACE`` characters,
    the rest arriving at once, as pasted from the person's notes."""
    field = page.locator(selector)
    field.click()
    field.press("End")
    field.press_sequentially(text[:AT_PACE], delay=KEY_DELAY)
    if text[AT_PACE:]:
        page.keyboard.insert_text(text[AT_PACE:])


def autosaved(page) -> None:
    """Wait until the page says the autosave stored everything typed so far."""
    expect(page.locator("#save-status")).to_have_text(SAVED_AT, timeout=WAIT)


def press_save(page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved at", timeout=WAIT)


def values(page, prefix: str, index: int, names: tuple[str, ...]) -> dict[str, str]:
    return {name: page.input_value(f"#id_{prefix}-{index}-{name}") for name in names}


STORY_FIELDS = ("title", "year", "description", "url")
INDICATOR_FIELDS = ("indicator", "value", "unit", "year", "source")


def type_story(page, index: int, story: dict[str, str]) -> None:
    for name in STORY_FIELDS:
        if story.get(name):
            type_in(page, f"#id_stories-{index}-{name}", story[name])


def stored_stories(report: Report, code: str) -> list[dict[str, str]]:
    return [
        {"title": s.title, "year": str(s.year or ""), "description": s.description, "url": s.url}
        for s in report.success_stories.filter(action_line__code=code).order_by("order")
    ]


def story(title: str, year: str, description: str, url: str = "") -> dict[str, str]:
    return {"title": title, "year": year, "description": description, "url": url}


# --- Narrative answers --------------------------------------------------------------------------


def test_narrative_answers_typed_and_autosaved_are_all_there_after_save_and_reload(page, live_server, report):
    url = log_in(page, live_server.url, report, "executive-summary")
    summary = (
        "Over twenty years we connected schools, clinics and farmers. "
        "Broadband now reaches every county, and public services are online in three languages."
    )
    type_in(page, "#id_executive_summary", summary[:60])
    autosaved(page)
    type_in(page, "#id_executive_summary", summary[60:])  # keeps writing
    autosaved(page)
    report.refresh_from_db()
    assert report.executive_summary == summary
    press_save(page)
    page.reload()
    assert page.input_value("#id_executive_summary") == summary
    assert page.locator("#id_executive_summary_count").inner_text().startswith("Words: 22 ·")

    page.goto(url.replace("executive-summary", "strategies"))
    answers = {
        "digital_strategy": "Digital Economy Blueprint 2019–2030.",
        "strategic_documents": "National Broadband Strategy; Data Protection Act.",
        "wsis_mandates": "Each ministry reports on the Action Lines it leads.",
    }
    for name, text in answers.items():
        type_in(page, f"#id_{name}", text)
    autosaved(page)
    press_save(page)
    page.reload()
    report.refresh_from_db()
    for name, text in answers.items():
        assert page.input_value(f"#id_{name}") == text
        assert getattr(report, name) == text


# --- Success stories ---------------------------------------------------------------------------


def test_a_story_typed_in_the_blank_row_survives_autosaves_save_and_reload(page, live_server, report):
    log_in(page, live_server.url, report, "line-C1")
    answers = {
        "achievements": "Every ministry publishes its data openly.",
        "challenges": "Too few trained staff in the counties.",
        "future_priorities": "Train two thousand civil servants.",
    }
    for name, text in answers.items():
        type_in(page, f"#id_{name}", text)
    giga = story(
        "Giga school connectivity",
        "2021",
        "Three hundred rural schools were connected to fibre and solar power within one year.",
        "https://giga.example.org/kenya",
    )
    type_story(page, 0, giga)
    autosaved(page)
    assert stored_stories(report, "C1") == [giga]

    # The person keeps editing: the next autosave must not lose the story.
    more = " Open data portal launched."
    type_in(page, "#id_achievements", more)
    answers["achievements"] += more
    autosaved(page)
    assert stored_stories(report, "C1") == [giga]

    press_save(page)
    page.reload()
    assert values(page, "stories", 0, STORY_FIELDS) == giga
    assert page.locator("#id_stories-0-DELETE").is_visible()
    assert values(page, "stories", 1, STORY_FIELDS) == story("", "", "", "")
    progress = report.progress.get(action_line__code="C1")
    for name, text in answers.items():
        assert page.input_value(f"#id_{name}") == text
        assert getattr(progress, name) == text
    assert stored_stories(report, "C1") == [giga]


def test_stories_in_added_rows_survive_autosaves_save_and_reload(page, live_server, report):
    log_in(page, live_server.url, report, "line-C3")
    stories = [
        story("Library e-books", "2018", "Forty public libraries lend e-books and e-readers to the public."),
        story("Digital literacy week", "2022", "Volunteers taught basic skills to twelve thousand elders."),
        story(
            "Open courseware",
            "2024",
            "Universities share their lectures under an open licence.",
            "https://ocw.example.org",
        ),
    ]
    add = page.get_by_role("button", name="Add a success story")
    type_story(page, 0, stories[0])
    add.click()
    type_story(page, 1, stories[1])
    autosaved(page)
    assert stored_stories(report, "C3") == stories[:2]
    add.click()
    type_story(page, 2, stories[2])
    autosaved(page)
    assert stored_stories(report, "C3") == stories

    press_save(page)
    page.reload()
    for index, expected in enumerate(stories):
        assert values(page, "stories", index, STORY_FIELDS) == expected
    expect(page.locator("fieldset.formset-row legend")).to_have_text(
        ["Success story 1", "Success story 2", "Success story 3", "Success story 4"]
    )
    assert stored_stories(report, "C3") == stories


def test_a_story_ticked_remove_when_saving_is_removed_and_the_others_kept(page, live_server, report):
    first = story("Community radio", "2015", "Five stations broadcast lessons during school closures.")
    second = story("Mobile money", "2012", "Farmers are paid for their crops on their phones.")
    services.report_save_section(
        report=report,
        key="line-C4",
        data={"success_stories": [s | {"year": int(s["year"])} for s in (first, second)]},
        base_version=0,
        user=report.entity.memberships.get().user,
    )
    log_in(page, live_server.url, report, "line-C4")

    assert values(page, "stories", 0, STORY_FIELDS) == first
    assert values(page, "stories", 1, STORY_FIELDS) == second
    # The stored stories offer "Remove when saving"; a third story goes in the blank row.
    third = story("E-health records", "2023", "Clinics share patient records with consent.")
    page.locator("#id_stories-0-DELETE").check()
    type_story(page, 2, third)
    autosaved(page)
    assert stored_stories(report, "C4") == [second, third]
    press_save(page)
    page.reload()
    assert values(page, "stories", 0, STORY_FIELDS) == second
    assert values(page, "stories", 1, STORY_FIELDS) == third
    assert not page.locator("#id_stories-0-DELETE").is_checked()
    expect(page.locator("fieldset.formset-row legend")).to_have_text(
        ["Success story 1", "Success story 2", "Success story 3"]
    )
    assert stored_stories(report, "C4") == [second, third]


# --- Indicators -------------------------------------------------------------------------------


def test_indicator_rows_added_survive_autosaves_save_and_reload(page, live_server, report):
    log_in(page, live_server.url, report, "indicators")
    narrative = "Internet use more than doubled in ten years."
    type_in(page, "#id_indicators_narrative", narrative)
    rows = [
        ("Individuals using the Internet", "67.4", "%", "2024", "ITU"),
        ("Mobile broadband subscriptions", "121", "per 100", "2024", "Communications Authority"),
        ("Digital skills training", "1.2 million", "people", "2023", "Ministry of ICT"),
    ]
    add = page.get_by_role("button", name="Add an indicator")
    for index, row in enumerate(rows):
        if index:
            add.click()
        for name, text in zip(INDICATOR_FIELDS, row, strict=True):
            type_in(page, f"#id_indicators-{index}-{name}", text)
        autosaved(page)

    def stored():
        return [
            (i.indicator, i.value, i.unit, str(i.year), i.source) for i in report.indicators.order_by("order")
        ]

    assert stored() == rows
    press_save(page)
    page.reload()
    assert page.input_value("#id_indicators_narrative") == narrative
    for index, row in enumerate(rows):
        assert tuple(values(page, "indicators", index, INDICATOR_FIELDS).values()) == row
    report.refresh_from_db()
    assert report.indicators_narrative == narrative
    assert stored() == rows


# --- Save while an autosave is on its way -------------------------------------------------------


def test_save_pressed_while_an_autosave_is_on_its_way_saves_everything_without_a_conflict(
    page, live_server, report
):
    """The autosave has reached the server (and stored the first words) but its answer has not
    come back when the person, who typed on, presses Save."""
    log_in(page, live_server.url, report, "challenges")
    held = []

    def hold_autosave_answers(route, request):
        if request.method == "POST" and request.headers.get("x-requested-with"):
            posted = re.search(r'name="challenges_gaps"\r\n\r\n(.*?)\r\n--', request.post_data, re.S)
            assert posted, request.post_data
            held.append((route, route.fetch(), posted.group(1)))
        else:
            route.continue_()

    page.route("**/sections/challenges/", hold_autosave_answers)
    first = "Affordability of devices"
    type_in(page, "#id_challenges_gaps", first)
    expect(page.locator("#save-status")).to_have_text("Saving…", timeout=WAIT)
    while not held:  # the autosave's answer is being held
        page.wait_for_timeout(50)
    route, answer, autosaved_text = held.pop()
    # The words typed when the autosave started: the first ones, maybe all of them.
    assert autosaved_text
    assert first.startswith(autosaved_text)
    report.refresh_from_db()
    assert report.challenges_gaps == autosaved_text

    more = " and rural power."
    type_in(page, "#id_challenges_gaps", more)
    page.get_by_role("button", name="Save", exact=True).click()
    route.fulfill(response=answer)
    expect(page.locator(".messages")).to_contain_text("Saved at", timeout=WAIT)
    expect(page.locator("#conflict")).to_have_count(0)
    assert page.input_value("#id_challenges_gaps") == first + more
    report.refresh_from_db()
    assert report.challenges_gaps == first + more


# --- Two tabs -----------------------------------------------------------------------------------


def test_two_tabs_on_one_section_the_later_save_is_told_and_nothing_is_overwritten(page, live_server, report):
    url = log_in(page, live_server.url, report, "vision")
    other = page.context.new_page()
    problems = watch(other)
    other.goto(url)

    mine = "Meaningful connectivity for every village."
    type_in(page, "#id_future_vision", mine)
    autosaved(page)

    later = "Affordable devices for every household."
    type_in(other, "#id_future_vision", later)
    status = other.locator("#save-status")
    expect(status).to_have_text(
        "Not saved: a colleague saved this section while you were editing it. Nothing was "
        "overwritten. Compare the two versions, then save again.",
        timeout=WAIT,
    )
    report.refresh_from_db()
    assert report.future_vision == mine

    other.get_by_role("button", name="Compare the two versions").click()
    expect(other.locator("#conflict")).to_contain_text("Nothing was overwritten.")
    assert other.input_value("#id_future_vision") == later
    expect(other.locator(".theirs-text")).to_have_text(mine)
    # The person combines the two (pasting the saved text) and saves.
    type_in(other, "#id_future_vision", " ")
    other.keyboard.insert_text(mine)
    press_save(other)
    merged = f"{later} {mine}"
    report.refresh_from_db()
    assert report.future_vision == merged

    # The first tab, still on the older version, is told too when it saves; nothing is lost.
    type_in(page, "#id_future_vision", " Schools first.")
    expect(page.locator("#save-status")).to_contain_text("a colleague saved this section", timeout=WAIT)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#conflict")).to_contain_text("Nothing was overwritten.")
    assert page.input_value("#id_future_vision") == f"{mine} Schools first."
    expect(page.locator(".theirs-text")).to_have_text(merged)
    report.refresh_from_db()
    assert report.future_vision == merged
    other.reload()
    assert other.input_value("#id_future_vision") == merged
    other.close()
    assert not problems, problems


# --- Without JavaScript -----------------------------------------------------------------------


def test_without_javascript_stories_are_saved_added_and_removed_with_the_save_button(
    browser, live_server, report
):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", java_script_enabled=False
    )
    context.set_default_timeout(WAIT)
    page = context.new_page()
    log_in(page, live_server.url, report, "line-C5")
    expect(page.get_by_role("button", name="Add a success story")).to_be_hidden()
    expect(
        page.get_by_text("Need another row? Save: the page comes back with a new empty row.")
    ).to_be_visible()

    type_in(page, "#id_achievements", "Cyber emergency team set up.")
    first = story("National CERT", "2019", "The team answered four hundred incidents in its first year.")
    type_story(page, 0, first)
    press_save(page)
    second = story("Awareness week", "2021", "Schools taught safe passwords and phishing signs.")
    type_story(page, 1, second)  # the new empty row
    press_save(page)
    page.reload()
    assert page.input_value("#id_achievements") == "Cyber emergency team set up."
    assert values(page, "stories", 0, STORY_FIELDS) == first
    assert values(page, "stories", 1, STORY_FIELDS) == second
    assert stored_stories(report, "C5") == [first, second]

    page.locator("#id_stories-0-DELETE").check()
    press_save(page)
    assert values(page, "stories", 0, STORY_FIELDS) == second
    expect(page.locator("fieldset.formset-row legend")).to_have_text(["Success story 1", "Success story 2"])
    assert stored_stories(report, "C5") == [second]
    assert report.progress.get(action_line__code="C5").achievements == "Cyber emergency team set up."
    context.close()

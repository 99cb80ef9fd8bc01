"""The page that marks Action Lines not applicable in bulk: one request for many lines, no
colleague's save overwritten, undo by unticking, lines with answers refused with the reason."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from action_lines.models import ActionLine
from reports import selectors, services
from reports.models import ActionLineProgress, Report
from tests import factories

pytestmark = pytest.mark.django_db

FOURTEEN = [
    "C1",
    "C3",
    "C4",
    "C5",
    "C6",
    "C8",
    "C9",
    "C10",
    "C11",
    "C7.BUS",
    "C7.EMP",
    "C7.ENV",
    "C7.AGRI",
    "C7.SCI",
]


def url(report) -> str:
    return reverse("reports:lines_not_applicable", kwargs={"report_id": report.pk})


def page_form(page: str) -> dict[str, Any]:
    """What a browser would post from the page as it is: the versions and the ticked boxes."""
    versions = dict(re.findall(r'name="v-([^"]+)" value="(\d+)"', page))
    ticked = re.findall(
        r'<input class="form-check-input" type="checkbox" name="not_applicable" '
        r'value="([^"]+)"[^>]*\bchecked\b',
        page,
    )
    return {**{f"v-{code}": version for code, version in versions.items()}, "not_applicable": ticked}


def marked(report) -> set[str]:
    return set(
        ActionLineProgress.objects.filter(report=report, not_applicable=True).values_list(
            "action_line__code", flat=True
        )
    )


def save(report, user, key, data):
    report.refresh_from_db()
    version = services.report_section_version(report=report, key=key)
    services.report_save_section(report=report, key=key, data=data, base_version=version, user=user)


def test_the_page_lists_every_line_with_c7s_sub_lines_nested_and_their_states(member, report, owner):
    save(report, owner, "line-C2", {"achievements": "Fibre to 200 towns."})
    save(report, owner, "line-C9", {"not_applicable": True})

    response = member.get(url(report))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('type="checkbox" name="not_applicable"') == 19
    sub_lines = page[page.index('aria-label="Sub-lines of C7"') :]
    assert sub_lines.index('value="C7.GOV"') < sub_lines.index('value="C7.SCI"') < sub_lines.index("</ul>")
    c2 = page[page.index('data-line="C2"') : page.index('data-line="C3"')]
    assert "Answered" in c2
    assert "disabled" in c2
    assert "It has answers: open it to read them before you mark it not applicable here." in c2
    c9 = page[page.index('data-line="C9"') : page.index('data-line="C10"')]
    assert "Not applicable" in c9
    assert "checked" in c9
    c3 = page[page.index('data-line="C3"') : page.index('data-line="C4"')]
    assert "Not started" in c3
    assert "checked" not in c3


def test_fourteen_lines_are_marked_in_one_post(member, report, owner):
    page = member.get(url(report)).content.decode()
    data = page_form(page)
    data["not_applicable"] = FOURTEEN

    response = member.post(url(report), data, follow=True)

    assert response.redirect_chain == [(url(report), 302)]
    assert marked(report) == set(FOURTEEN)
    assert "Saved: 14 lines marked not applicable." in response.content.decode()
    report.refresh_from_db()
    assert all(report.section_versions[f"line-{code}"]["v"] == 1 for code in FOURTEEN)
    assert report.section_versions["line-C1"]["by"] == owner.email
    states = selectors.outline_states(selectors.report_outline(report=report))
    assert states["line-C7.SCI"].state == selectors.NOT_APPLICABLE
    assert [
        str(m.label) for m in selectors.report_missing_items(report=report) if m.key == "action-lines"
    ] == ["II: 5 Action Lines still to fill in or mark not applicable"]


def test_a_stale_page_does_not_overwrite_a_colleagues_save(member, report, owner, colleague):
    page = member.get(url(report)).content.decode()
    # Meanwhile a colleague says C5 applies after all and starts answering it.
    save(report, colleague, "line-C5", {"achievements": "A national CERT."})
    data = page_form(page)
    data["not_applicable"] = ["C1", "C5", "C9"]

    response = member.post(url(report), data)

    assert response.status_code == 409
    body = response.content.decode()
    c5 = ActionLine.objects.get(code="C5").label
    assert f"Nothing was saved: a colleague changed {c5} while you were choosing." in body
    assert marked(report) == set()
    row = ActionLineProgress.objects.get(report=report, action_line__code="C5")
    assert (row.achievements, row.not_applicable) == ("A national CERT.", False)
    # The person's ticks are kept on the page, which now carries the current versions.
    c1 = body[body.index('data-line="C1"') : body.index('data-line="C2"')]
    assert "checked" in c1
    again = page_form(body)
    again["not_applicable"] = ["C1", "C9"]
    assert member.post(url(report), again).status_code == 302
    assert marked(report) == {"C1", "C9"}


def test_unticking_restores_a_line_with_everything_typed_in_it(member, report, owner):
    save(report, owner, "line-C4", {"achievements": "Digital skills for 10,000 teachers."})
    services.report_mark_line_not_applicable(
        report=report,
        key="line-C4",
        not_applicable=True,
        base_version=services.report_section_version(report=Report.objects.get(pk=report.pk), key="line-C4"),
        user=owner,
    )
    page = member.get(url(report)).content.decode()
    c4 = page[page.index('data-line="C4"') : page.index('data-line="C5"')]
    assert "checked" in c4
    assert "disabled" not in c4
    assert "Its answers are kept and come back if you untick it." in c4

    data = page_form(page)
    data["not_applicable"] = [code for code in data["not_applicable"] if code != "C4"]
    response = member.post(url(report), data, follow=True)

    assert "Saved: 1 line applies again, with anything typed in it." in response.content.decode()
    row = ActionLineProgress.objects.get(report=report, action_line__code="C4")
    assert (row.not_applicable, row.achievements) == (False, "Digital skills for 10,000 teachers.")
    preview = member.get(reverse("reports:preview", kwargs={"report_id": report.pk})).content.decode()
    assert "Digital skills for 10,000 teachers." in preview


def test_a_line_with_answers_cannot_be_marked_here_and_nothing_is_saved(member, report, owner):
    save(report, owner, "line-C2", {"achievements": "Fibre to 200 towns."})
    page = member.get(url(report)).content.decode()
    data = page_form(page)
    data["v-C2"] = "1"  # a hand-made post: the page offers no box for C2
    data["not_applicable"] = ["C1", "C2"]

    response = member.post(url(report), data)

    assert response.status_code == 400
    assert (
        "cannot be marked not applicable here: C2: Information and communication infrastructure."
        in response.content.decode()
    )
    assert marked(report) == set()


def test_c7_cannot_be_marked_while_a_sub_line_is_answered(member, report, owner):
    save(report, owner, "line-C7.HEALTH", {"achievements": "Telemedicine in 30 clinics."})
    page = member.get(url(report)).content.decode()
    c7 = page[page.index('data-line="C7"') : page.index('data-line="C7.GOV"')]
    assert "disabled" in c7
    assert "Answered in its sub-lines" in c7
    assert "Its sub-lines have answers, so it applies to your entity and counts as addressed." in c7

    data = page_form(page)
    data["v-C7"] = "0"
    data["not_applicable"] = ["C7"]
    response = member.post(url(report), data)

    assert response.status_code == 400
    assert marked(report) == set()
    with pytest.raises(services.ReportError):
        services.report_lines_set_not_applicable(
            report=report, marked={"C7"}, base_versions={"C7": 0}, user=owner
        )


def test_a_c7_mark_left_from_before_a_sub_line_was_answered_shows_unticked_and_stays_untouched(
    member, report, owner
):
    save(report, owner, "line-C7", {"not_applicable": True})
    save(report, owner, "line-C7.GOV", {"achievements": "One-stop e-services portal."})
    page = member.get(url(report)).content.decode()
    c7 = page[page.index('data-line="C7"') : page.index('data-line="C7.GOV"')]
    assert "checked" not in c7  # the mark does not hold: C7 is answered through E-Government
    assert 'name="v-C7"' not in c7

    data = page_form(page)
    data["not_applicable"] = ["C1"]
    assert member.post(url(report), data).status_code == 302
    assert marked(report) == {"C1", "C7"}  # the stored mark is not changed behind the person's back
    report.refresh_from_db()
    assert report.section_versions["line-C7"]["v"] == 1


def test_the_checklist_and_the_action_lines_page_link_to_the_bulk_page(member, report):
    workspace = member.get(reverse("reports:workspace", kwargs={"report_id": report.pk})).content.decode()
    lines = member.get(
        reverse("reports:section", kwargs={"report_id": report.pk, "key": "action-lines"})
    ).content.decode()
    assert (
        f'href="{url(report)}">II: 19 Action Lines still to fill in or mark not applicable</a>' in workspace
    )
    assert f'href="{url(report)}">Mark several lines not applicable at once</a>' in lines


def test_another_entitys_report_answers_404_and_is_not_changed(member, report):
    other = factories.ReportFactory.create(cycle=report.cycle)
    assert member.get(url(other)).status_code == 404
    assert member.post(url(other), {"v-C1": "0", "not_applicable": ["C1"]}).status_code == 404
    assert marked(other) == set()


def test_a_submitted_report_is_shown_read_only_and_a_post_changes_nothing(member, report, owner):
    services.submission_record(report=report, user=owner, at=report.created_at)
    page = member.get(url(report)).content.decode()
    assert "<fieldset disabled>" in page
    assert 'type="submit"' not in page[page.index('class="bulk-na"') :]
    response = member.post(url(report), {"v-C1": "0", "not_applicable": ["C1"]})
    assert response.status_code == 302
    assert marked(report) == set()


def test_the_page_reads_right_to_left_in_arabic(member, report):
    with translation.override("ar"):
        member.cookies["django_language"] = "ar"
        response = member.get(url(report), HTTP_ACCEPT_LANGUAGE="ar")
    page = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert page.count('type="checkbox" name="not_applicable"') == ActionLine.objects.count()


def test_c7s_own_page_offers_no_not_applicable_button_while_a_sub_line_is_answered(member, report, owner):
    c7 = reverse("reports:section", kwargs={"report_id": report.pk, "key": "line-C7"})
    mark = reverse("reports:line_not_applicable", kwargs={"report_id": report.pk, "key": "line-C7"})
    assert f'action="{mark}"' in member.get(c7).content.decode()  # offered while nothing is answered

    save(report, owner, "line-C7.HEALTH", {"achievements": "Telemedicine in 30 clinics."})
    page = member.get(c7).content.decode()
    assert f'action="{mark}"' not in page
    assert "Addressed in its sub-lines: this line applies to your entity" in page

    # A page loaded before the sub-line was answered still posts the mark: refused, said, not stored.
    response = member.post(mark, {"base_version": 0, "not_applicable": "on"}, follow=True)
    assert "applies to your entity: one of its sub-lines is answered." in response.content.decode()
    assert marked(report) == set()

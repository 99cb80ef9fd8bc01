"""A new cycle starts from the entity's last submitted report: the copy, the marks by each field
(unchanged / updated / new against that report), and the history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from action_lines.models import ActionLine
from reports import selectors, services
from reports.errors import NotEditable, ReportError
from reports.models import ActionLineProgress, KeyIndicator, Report, StatusChange, SuccessStory
from tests import factories
from tests.reports.admin.conftest import submit_directly

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycles(reference_data):
    now = timezone.now()
    old = factories.CycleFactory.create(
        name="WSIS+20 review 2025", opens_at=now - timedelta(days=800), deadline=now - timedelta(days=700)
    )
    new = factories.CycleFactory.create(
        name="WSIS+25 review 2027", opens_at=now - timedelta(days=5), deadline=now + timedelta(days=50)
    )
    return old, new


@pytest.fixture
def member(entity):
    return factories.MembershipFactory.create(entity=entity, user__email="focal@ministry.example.org").user


@pytest.fixture
def last_report(entity, cycles, member):
    """The entity's report for 2025 as submitted: a summary, C2 answered with a story, C7.GOV marked
    not applicable, two indicators and a contact; changed after its submission (what is copied is
    the submission, not the later working copy)."""
    old, _new = cycles
    report = factories.ReportFactory.create(
        entity=entity, cycle=old, executive_summary="Twenty years of connecting schools.\r\nAnd clinics."
    )
    c2 = ActionLine.objects.get(code="C2")
    gov = ActionLine.objects.get(code="C7.GOV")
    factories.ProgressFactory.create(report=report, action_line=c2, achievements="Fibre to 300 towns.")
    factories.ProgressFactory.create(
        report=report,
        action_line=gov,
        achievements="",
        challenges="",
        future_priorities="",
        not_applicable=True,
    )
    factories.SuccessStoryFactory.create(
        report=report, action_line=c2, title="Fibre for Kisumu", url="https://example.org/k"
    )
    factories.IndicatorFactory.create(
        report=report, indicator="Internet users", value="41.2", unit="%", year=2024
    )
    factories.IndicatorFactory.create(
        report=report, indicator="Schools connected", value="3,120", unit="schools", year=2023, order=1
    )
    factories.ContactFactory.create(report=report, name="Grace Wanjiru")
    submit_directly(report, user=member)
    Report.objects.filter(pk=report.pk).update(executive_summary="Edited after submission.")
    return report


@pytest.fixture
def new_report(entity, cycles):
    return services.report_get_or_create(entity=entity, cycle=cycles[1])


def test_starting_from_the_previous_report_copies_what_was_submitted(last_report, new_report, member):
    started = services.report_start_from_previous(report=new_report, user=member)
    assert started.started_from == last_report
    assert started.executive_summary == "Twenty years of connecting schools.\nAnd clinics."
    rows = {p.action_line.code: p for p in ActionLineProgress.objects.filter(report=started)}
    assert rows["C2"].achievements == "Fibre to 300 towns."
    assert rows["C7.GOV"].not_applicable
    story = SuccessStory.objects.get(report=started)
    assert (story.title, story.url, story.action_line.code) == (
        "Fibre for Kisumu",
        "https://example.org/k",
        "C2",
    )
    assert list(
        KeyIndicator.objects.filter(report=started).values_list("indicator", "value", "unit", "year")
    ) == [
        ("Internet users", "41.2", "%", 2024),
        ("Schools connected", "3,120", "schools", 2023),
    ]
    assert started.contact.name == "Grace Wanjiru"
    assert started.lines_covered == 1
    assert started.status == Report.Status.DRAFT
    # The previous report is untouched.
    assert ActionLineProgress.objects.filter(report=last_report).count() == 2
    # The secretariat reads it in the report's history.
    change = StatusChange.objects.get(report=started)
    assert "WSIS+20 review 2025" in change.message
    assert change.actor == member


def test_a_form_loaded_before_the_copy_is_told_about_it(last_report, new_report, member):
    services.report_start_from_previous(report=new_report, user=member)
    with pytest.raises(services.EditConflict):
        services.report_save_section(
            report=new_report,
            key="executive-summary",
            data={"executive_summary": "Typed in another tab."},
            base_version=0,
            user=member,
        )


def test_it_is_offered_only_for_an_untouched_draft(last_report, new_report, member):
    offer = selectors.report_start_offer(report=new_report)
    assert offer is not None
    assert offer.report == last_report
    services.report_save_section(
        report=new_report, key="vision", data={"future_vision": "Ours."}, base_version=0, user=member
    )
    new_report.refresh_from_db()
    assert selectors.report_start_offer(report=new_report) is None
    with pytest.raises(NotEditable, match="already has content"):
        services.report_start_from_previous(report=new_report, user=member)
    assert new_report.future_vision == "Ours."


def test_without_a_submitted_earlier_report_nothing_is_offered(entity, cycles, member):
    old, new = cycles
    factories.ReportFactory.create(entity=entity, cycle=old)  # a draft never submitted
    report = services.report_get_or_create(entity=entity, cycle=new)
    assert selectors.report_start_offer(report=report) is None
    with pytest.raises(ReportError, match="no submitted report"):
        services.report_start_from_previous(report=report, user=member)


def test_another_entitys_member_cannot_start_from_it(last_report, new_report):
    stranger = factories.MembershipFactory.create().user
    with pytest.raises(ReportError):
        services.report_start_from_previous(report=new_report, user=stranger)


def test_field_marks_compare_with_the_previous_cycle(last_report, new_report, member):
    services.report_start_from_previous(report=new_report, user=member)
    services.report_save_section(
        report=new_report,
        key="line-C2",
        data={
            "achievements": "Fibre to 300 towns.",
            "challenges": "Vandalism of cables.",
            "future_priorities": "Affordable broadband for all.",
            "success_stories": [
                {
                    "title": "Fibre for Kisumu",
                    "description": "Three hundred schools were connected through community networks.",
                    "url": "https://example.org/k",
                    "year": 2021,
                }
            ],
        },
        base_version=1,
        user=member,
    )
    previous = selectors.report_previous_submitted(report=new_report)
    values = services.report_section_values(report=new_report, key="line-C2")
    changes = selectors.report_section_changes(previous=previous, key="line-C2", values=values)
    assert changes == {
        "achievements": "unchanged",
        "challenges": "updated",
        "future_priorities": "unchanged",
        "success_stories": "unchanged",
    }
    c3 = services.report_section_values(report=new_report, key="line-C3") | {
        "achievements": "Open data portal."
    }
    assert selectors.report_section_changes(previous=previous, key="line-C3", values=c3) == {
        "achievements": "new"
    }


def test_the_workspace_offers_it_and_the_section_page_shows_the_marks(
    client, last_report, new_report, member
):
    client.force_login(member)
    page = client.get(reverse("reports:workspace", args=[new_report.pk])).content.decode()
    assert "Start from our report for WSIS+20 review 2025" in page
    done = client.post(reverse("reports:start_from_previous", args=[new_report.pk]))
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "Start from our report for" not in page
    assert "Started from your report for WSIS+20 review 2025." in page
    page = client.get(reverse("reports:section", args=[new_report.pk, "line-C2"])).content.decode()
    badges = re.findall(r'class="badge rounded-pill[^"]*">(\w+)<', page)
    assert badges == ["Unchanged", "Unchanged", "Unchanged", "Unchanged"]
    page = client.get(reverse("reports:section", args=[new_report.pk, "executive-summary"])).content.decode()
    assert re.findall(r'class="badge rounded-pill[^"]*">(\w+)<', page) == ["Unchanged"]


def test_a_section_page_without_a_previous_report_has_no_marks(client, report, reference_data):
    user = factories.MembershipFactory.create(entity=report.entity).user
    client.force_login(user)
    page = client.get(reverse("reports:section", args=[report.pk, "executive-summary"])).content.decode()
    assert "badge rounded-pill" not in page

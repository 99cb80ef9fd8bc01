"""The report services: saving sections, conflicts, submitting, deadlines, review moves."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from action_lines.models import ActionLine
from reports import errors, selectors, services
from reports.models import Report, ReportingCycle, StatusChange, Submission
from tests import factories
from tests.conftest import fill_narratives

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(entity):
    return factories.MembershipFactory.create(entity=entity).user


@pytest.fixture
def colleague(entity):
    return factories.MembershipFactory.create(entity=entity, role="editor").user


def complete(report, user):
    """Fill in what submission requires: summary, every line (some not applicable), contact."""
    services.report_save_section(
        report=report,
        key="executive-summary",
        data={"executive_summary": "Twenty years of progress."},
        base_version=0,
        user=user,
    )
    for n, line in enumerate(ActionLine.objects.in_template_order()):
        key = f"line-{line.code}"
        data: dict[str, object] = (
            {"not_applicable": True} if n % 5 == 4 else {"achievements": f"Done on {line.code}."}
        )
        services.report_save_section(report=report, key=key, data=data, base_version=0, user=user)
    services.report_save_section(
        report=report,
        key="contact",
        data={"name": "Amina Diallo", "email": "focal.point@example.org", "position": "WSIS Focal Point"},
        base_version=0,
        user=user,
    )
    fill_narratives(report, user)
    report.refresh_from_db()
    return report


def test_saving_a_section_stores_it_and_bumps_its_version(report, owner):
    saved = services.report_save_section(
        report=report,
        key="strategies",
        data={
            "digital_strategy": "National Digital Strategy 2030",
            "strategic_documents": "",
            "wsis_mandates": "",
        },
        base_version=0,
        user=owner,
    )
    assert saved.digital_strategy == "National Digital Strategy 2030"
    assert services.report_section_version(report=saved, key="strategies") == 1
    assert saved.section_versions["strategies"]["by"] == owner.email


def test_a_stale_save_is_refused_with_both_versions_and_overwrites_nothing(report, owner, colleague):
    services.report_save_section(
        report=report,
        key="executive-summary",
        data={"executive_summary": "Colleague's text"},
        base_version=0,
        user=colleague,
    )
    with pytest.raises(errors.EditConflict) as caught:
        services.report_save_section(
            report=report,
            key="executive-summary",
            data={"executive_summary": "My text"},
            base_version=0,
            user=owner,
        )
    conflict = caught.value
    assert conflict.theirs == {"executive_summary": "Colleague's text"}
    assert conflict.yours == {"executive_summary": "My text"}
    assert conflict.saved_by == colleague.email
    report.refresh_from_db()
    assert report.executive_summary == "Colleague's text"
    # Saving again from the version now shown succeeds.
    services.report_save_section(
        report=report,
        key="executive-summary",
        data={"executive_summary": "Merged text"},
        base_version=1,
        user=owner,
    )
    report.refresh_from_db()
    assert report.executive_summary == "Merged text"


def test_colleagues_editing_different_sections_do_not_conflict(report, owner, colleague):
    services.report_save_section(
        report=report, key="line-C1", data={"achievements": "A"}, base_version=0, user=owner
    )
    services.report_save_section(
        report=report, key="line-C2", data={"achievements": "B"}, base_version=0, user=colleague
    )
    assert report.progress.count() == 2


def test_action_line_save_replaces_success_stories_and_counts_lines_covered(report, owner):
    data = {
        "achievements": "Broadband in 300 schools",
        "success_stories": [{"title": "Giga", "description": "Schools online", "url": "", "year": 2023}],
    }
    saved = services.report_save_section(report=report, key="line-C2", data=data, base_version=0, user=owner)
    assert saved.lines_covered == 1
    data["success_stories"] = []
    services.report_save_section(report=report, key="line-C2", data=data, base_version=1, user=owner)
    assert report.success_stories.count() == 0


def test_submit_refuses_an_incomplete_report_and_says_what_is_missing(report, owner):
    with pytest.raises(errors.SubmissionRefused) as caught:
        services.report_submit(report=report, user=owner)
    message = str(caught.value)
    assert "II: 19 Action Lines still to fill in or mark not applicable" in message
    assert "follow-up contact" in message
    report.refresh_from_db()
    assert report.status == Report.Status.DRAFT
    missing_keys = [m.key for m in selectors.report_missing_items(report=report)]
    assert "action-lines" in missing_keys
    assert "contact" in missing_keys
    assert "executive-summary" not in missing_keys  # the factory wrote one


def test_a_report_submitted_in_another_language_is_recorded_in_the_portals_language(report, owner):
    complete(report, owner)
    with translation.override("fr"):
        submission = services.report_submit(report=report, user=owner)
    label = submission.content["entity"]["stakeholder_type_label"]
    assert label == report.entity.get_stakeholder_type_display()
    assert label in {"Government", "Private Sector", "Civil Society", "Academia", "Technical Community",
        "International Organization"}  # fmt: skip


def test_submit_snapshots_the_report_and_makes_it_read_only(report, owner):
    complete(report, owner)
    submission = services.report_submit(report=report, user=owner)
    assert submission.number == 1
    assert submission.content["narrative"]["executive_summary"] == "Twenty years of progress."
    assert submission.content["entity"]["name"] == report.entity.name
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    assert not report.is_late
    with pytest.raises(errors.NotEditable):
        services.report_save_section(
            report=report,
            key="executive-summary",
            data={"executive_summary": "late edit"},
            base_version=1,
            user=owner,
        )
    # A second click finds the report submitted: still one submission.
    with pytest.raises(errors.NotEditable):
        services.report_submit(report=report, user=owner)
    assert Submission.objects.filter(report=report).count() == 1


def test_submit_after_deadline_is_flagged_late_or_refused_per_cycle(entity, owner):
    cycle = factories.CycleFactory.create(
        deadline=timezone.now() - timedelta(hours=1), opens_at=timezone.now() - timedelta(days=20)
    )
    report = complete(factories.ReportFactory.create(entity=entity, cycle=cycle), owner)
    submission = services.report_submit(report=report, user=owner)
    assert submission.is_late
    refusing = factories.CycleFactory.create(
        deadline=timezone.now() - timedelta(hours=1),
        opens_at=timezone.now() - timedelta(days=20),
        late_policy=ReportingCycle.LatePolicy.REFUSE,
    )
    other = complete(factories.ReportFactory.create(entity=entity, cycle=refusing), owner)
    with pytest.raises(errors.SubmissionRefused, match="deadline"):
        services.report_submit(report=other, user=owner)


def test_request_changes_reopens_and_resubmission_is_numbered(report, owner):
    staff = factories.UserFactory.create(is_staff=True)
    complete(report, owner)
    services.report_submit(report=report, user=owner)
    with pytest.raises(errors.ReportError):
        services.report_request_changes(report=report, actor=staff, message="   ")
    services.report_request_changes(
        report=report, actor=staff, message="Please add sources to the indicators."
    )
    report.refresh_from_db()
    assert report.status == Report.Status.CHANGES_REQUESTED
    assert report.changes_requested_message == "Please add sources to the indicators."
    services.report_save_section(
        report=report,
        key="executive-summary",
        data={"executive_summary": "Revised."},
        base_version=1,
        user=owner,
    )
    second = services.report_submit(report=report, user=owner)
    assert second.number == 2
    first = Submission.objects.get(report=report, number=1)
    assert first.content["narrative"]["executive_summary"] == "Twenty years of progress."
    assert second.content["narrative"]["executive_summary"] == "Revised."
    trail = list(
        StatusChange.objects.filter(report=report).values_list("from_status", "to_status", "message")
    )
    assert trail == [
        ("draft", "submitted", ""),
        ("submitted", "changes_requested", "Please add sources to the indicators."),
        ("changes_requested", "submitted", ""),
    ]


def test_illegal_review_moves_are_refused(report, owner):
    staff = factories.UserFactory.create(is_staff=True)
    with pytest.raises(errors.IllegalTransition):
        services.report_transition(report=report, to_status=Report.Status.PUBLISHED, actor=staff)
    with pytest.raises(errors.IllegalTransition):
        services.report_transition(report=report, to_status=Report.Status.SUBMITTED, actor=staff)
    complete(report, owner)
    services.report_submit(report=report, user=owner)
    for target in (Report.Status.UNDER_REVIEW, Report.Status.ACCEPTED, Report.Status.PUBLISHED):
        services.report_transition(report=report, to_status=target, actor=staff)
    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED


def test_outline_shows_states_and_progress(report, owner):
    services.report_save_section(
        report=report, key="line-C7.GOV", data={"not_applicable": True}, base_version=0, user=owner
    )
    services.report_save_section(
        report=report,
        key="line-C1",
        data={"achievements": "A", "challenges": "B", "future_priorities": "C"},
        base_version=0,
        user=owner,
    )
    outline = selectors.report_outline(report=report)
    by_key = {i.key: i for i in outline}
    lines = {c.key: c for c in by_key["action-lines"].children}
    assert lines["line-C1"].state == selectors.COMPLETE
    assert lines["line-C2"].state == selectors.NOT_STARTED
    c7_children = {c.key: c.state for c in lines["line-C7"].children}
    assert len(c7_children) == 8
    assert c7_children["line-C7.GOV"] == selectors.NOT_APPLICABLE
    assert by_key["executive-summary"].state == selectors.COMPLETE
    assert 0 < selectors.outline_progress(outline) < 100


def test_the_last_owner_cannot_leave(entity, owner, colleague):
    with pytest.raises(errors.MembershipError):
        services.membership_remove(entity=entity, user=owner, actor=owner)
    with pytest.raises(errors.MembershipError):
        services.membership_remove(entity=entity, user=owner, actor=colleague)
    services.membership_remove(entity=entity, user=colleague, actor=owner)
    assert entity.memberships.count() == 1

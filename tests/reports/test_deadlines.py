"""The deadline engine: deadlines written for a worldwide audience, extensions and answer-by dates
in the submission rule, and the reminders (who, once, in which language), with the clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from reports import deadlines, errors, services
from reports.models import Delivery, Membership, Reminder, Report, ReportingCycle
from tests import factories

pytestmark = pytest.mark.django_db

S = Report.Status
K = Delivery.Kind
NOW = datetime(2025, 7, 25, 8, 0, tzinfo=UTC)  # 10 hours after the moment of the 7-days-before step
DEADLINE = datetime(2025, 7, 31, 21, 59, 59, tzinfo=UTC)  # 31 July 2025, 23:59:59 in Geneva (UTC+2)


@pytest.fixture
def cycle(reference_data):
    return factories.CycleFactory.create(
        opens_at=datetime(2025, 5, 14, tzinfo=UTC), deadline=DEADLINE, time_zone="Europe/Zurich"
    )


def open_report(cycle, name, *, owner=None, editor=None, language="en", started=False):
    report = factories.ReportFactory.create(
        cycle=cycle, entity=factories.EntityFactory.create(name=name), language=language
    )
    if owner:
        factories.MembershipFactory.create(entity=report.entity, user__email=owner)
    if editor:
        factories.MembershipFactory.create(
            entity=report.entity, role=Membership.Role.EDITOR, user__email=editor
        )
    if started:
        services.report_save_section(
            report=report,
            key="executive-summary",
            data={"executive_summary": "Started."},
            base_version=0,
            user=factories.UserFactory.create(),
        )
        report.refresh_from_db()
    return report


def moved(report, *statuses, at=NOW - timedelta(days=30)):
    staff = factories.UserFactory.create(is_staff=True)
    services.submission_record(report=report, user=None, at=at)
    for status in statuses:
        if status == S.CHANGES_REQUESTED:
            services.report_request_changes(report=report, actor=staff, message="Add sources.")
        else:
            services.report_transition(report=report, to_status=status, actor=staff)
    report.refresh_from_db()
    return report


def reminder_rows():
    return list(Delivery.objects.filter(kind=K.REMINDER_EMAIL).order_by("pk"))


# --- How a deadline is written ---------------------------------------------------------------------------


def test_a_deadline_is_written_in_the_cycles_zone_with_its_name_and_offset(cycle):
    assert deadlines.moment(cycle, DEADLINE).text == "31 July 2025, 23:59 (Geneva time, UTC+2)"
    winter = datetime(2026, 1, 15, 22, 59, tzinfo=UTC)
    assert deadlines.moment(cycle, winter).text == "15 January 2026, 23:59 (Geneva time, UTC+1)"
    cycle.time_zone = "America/New_York"
    assert deadlines.moment(cycle, DEADLINE).text == "31 July 2025, 17:59 (New York time, UTC-4)"
    cycle.time_zone = "Asia/Kolkata"
    assert deadlines.moment(cycle, DEADLINE).text == "1 August 2025, 03:29 (Kolkata time, UTC+5:30)"
    cycle.time_zone = "UTC"
    assert deadlines.moment(cycle, DEADLINE).text == "31 July 2025, 21:59 (UTC)"
    assert deadlines.moment(cycle, DEADLINE).iso == "2025-07-31T21:59:59Z"


def test_each_language_writes_the_date_its_own_way(cycle):
    with translation.override("fr"):
        french = deadlines.moment(cycle, DEADLINE).text
    assert french.startswith("31 juillet 2025")
    assert "23:59 (" in french
    with translation.override("es"):
        assert deadlines.moment(cycle, DEADLINE).text.startswith("31 de julio de 2025")
    with translation.override("ar"):
        arabic = deadlines.moment(cycle, DEADLINE).text
    assert arabic.startswith("31 يوليو، 2025")  # Arabic's date format, not its DATETIME_FORMAT's "N j, Y"
    assert "11:59" in arabic


def test_an_unknown_zone_name_falls_back_to_the_portals_zone(cycle, settings):
    cycle.time_zone = "Mars/Olympus_Mons"
    assert deadlines.cycle_zone(cycle) == ZoneInfo(settings.TIME_ZONE)
    assert deadlines.zone_get("Mars/Olympus_Mons") is None
    assert deadlines.zone_get("Europe/Zurich") == ZoneInfo("Europe/Zurich")
    assert "Europe/Zurich" in deadlines.time_zone_names()


# --- Extensions and answer-by dates in the submission rule ---------------------------------------------


@pytest.fixture
def refusing(cycle):
    cycle.late_policy = ReportingCycle.LatePolicy.REFUSE
    cycle.save()
    return cycle


def test_an_extension_lets_that_entity_submit_after_the_deadline_and_not_another(
    refusing, fill_report, reference_data
):
    after = DEADLINE + timedelta(days=2)
    extended = fill_report(open_report(refusing, "Extended ministry", owner="a@example.org"))
    other = fill_report(open_report(refusing, "Other ministry", owner="b@example.org"))
    deadlines.report_extend_deadline(
        report=extended, until=deadlines.end_of_day(refusing, after.date()), note="Elections."
    )
    extended.refresh_from_db()
    submission = services.report_submit(report=extended, user=extended.entity.members.get(), at=after)
    assert not submission.is_late  # within the entity's deadline
    with pytest.raises(errors.SubmissionRefused, match="no longer accepts submissions") as refused:
        services.report_submit(report=other, user=other.entity.members.get(), at=after)
    assert "31 July 2025, 23:59 (Geneva time, UTC+2)" in str(refused.value)
    assert "wsis-info@itu.int" in str(refused.value)  # where to ask for more time


def test_an_extension_must_end_after_the_cycles_deadline(cycle):
    report = open_report(cycle, "Early ministry")
    with pytest.raises(errors.ReportError, match="after the cycle's deadline"):
        deadlines.report_extend_deadline(report=report, until=DEADLINE - timedelta(days=1))
    report.refresh_from_db()
    assert report.deadline_extended_to is None


def test_a_late_submission_past_an_extension_is_flagged(cycle, fill_report):
    report = fill_report(open_report(cycle, "Slow ministry", owner="a@example.org"))
    until = deadlines.end_of_day(cycle, (DEADLINE + timedelta(days=3)).date())
    deadlines.report_extend_deadline(report=report, until=until)
    report.refresh_from_db()
    submission = services.report_submit(
        report=report, user=report.entity.members.get(), at=until + timedelta(hours=1)
    )
    assert submission.is_late


def test_a_changes_request_allows_resubmission_until_its_answer_by_date(refusing, fill_report):
    report = fill_report(open_report(refusing, "Reviewed ministry", owner="a@example.org"))
    owner = report.entity.members.get()
    services.report_submit(report=report, user=owner, at=DEADLINE - timedelta(days=3))
    staff = factories.UserFactory.create(is_staff=True)
    due = deadlines.end_of_day(refusing, (DEADLINE + timedelta(days=10)).date())
    services.report_request_changes(report=report, actor=staff, message="Add sources.", due_at=due)
    report.refresh_from_db()
    assert report.changes_due_at == due
    second = services.report_submit(report=report, user=owner, at=DEADLINE + timedelta(days=5))
    assert (second.number, second.is_late) == (2, False)

    services.report_request_changes(report=report, actor=staff, message="One more thing.", due_at=due)
    with pytest.raises(errors.SubmissionRefused, match="no longer accepts submissions"):
        services.report_submit(report=report, user=owner, at=due + timedelta(minutes=1))


def test_a_changes_request_answers_by_default_in_two_weeks_at_the_end_of_the_day(cycle):
    report = moved(open_report(cycle, "Reviewed ministry"))
    services.report_request_changes(
        report=report, actor=factories.UserFactory.create(is_staff=True), message="Add sources."
    )
    report.refresh_from_db()
    local = report.changes_due_at.astimezone(ZoneInfo("Europe/Zurich"))
    today = timezone.now().astimezone(ZoneInfo("Europe/Zurich")).date()
    assert (local.date(), local.hour, local.minute) == (today + timedelta(days=14), 23, 59)


def test_the_state_says_when_submitting_is_refused(refusing):
    report = open_report(refusing, "Late ministry")
    assert not deadlines.deadline_state(report=report, now=NOW).refused
    state = deadlines.deadline_state(report=report, now=DEADLINE + timedelta(seconds=1))
    assert (state.passed, state.refused) == (True, True)
    assert "has passed" in state.refusal
    refusing.late_policy = ReportingCycle.LatePolicy.ACCEPT
    state = deadlines.deadline_state(report=report, now=DEADLINE + timedelta(seconds=1))
    assert (state.passed, state.refused, state.late_accepted) == (True, False, True)


# --- Reminders ----------------------------------------------------------------------------------------------


def test_reminders_go_to_the_owners_and_editors_of_open_reports_only(cycle):
    draft = open_report(cycle, "A draft", owner="owner.a@example.org", editor="editor.a@example.org")
    changes = moved(open_report(cycle, "B sent back", owner="owner.b@example.org"), S.CHANGES_REQUESTED)
    moved(open_report(cycle, "C submitted", owner="owner.c@example.org"))
    moved(open_report(cycle, "D accepted", owner="owner.d@example.org"), S.ACCEPTED)
    open_report(cycle, "E nobody")  # no members: nobody to tell

    # A changes request's answer-by date is its own due moment: put it next to the deadline.
    changes.changes_due_at = DEADLINE
    changes.save(update_fields=["changes_due_at"])

    sent = deadlines.reminders_send(now=NOW)
    assert [(plan.report.entity.name, plan.step) for plan in sent] == [("A draft", 7), ("B sent back", 7)]
    rows = reminder_rows()
    assert [row.recipients for row in rows] == [
        ["owner.a@example.org", "editor.a@example.org"],
        ["owner.b@example.org"],
    ]
    assert {row.report_id for row in rows} == {draft.pk, changes.pk}
    assert list(Reminder.objects.values_list("report_id", "step", "chased_by")) == [
        (draft.pk, 7, None),
        (changes.pk, 7, None),
    ]


def test_running_the_schedule_twice_sends_each_reminder_once(
    cycle, mailbox, django_capture_on_commit_callbacks, settings
):
    report = open_report(cycle, "A draft", owner="owner.a@example.org", editor="editor.a@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        assert len(deadlines.reminders_send(now=NOW)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert deadlines.reminders_send(now=NOW + timedelta(hours=1)) == []
        assert deadlines.reminders_send(now=NOW + timedelta(hours=2)) == []
    assert len(reminder_rows()) == 1
    assert Reminder.objects.count() == 1
    [message] = mailbox.messages
    assert sorted(message.envelope_to) == ["editor.a@example.org", "owner.a@example.org"]
    assert message.subject == "Reminder: your WSIS+20 report is due soon — A draft"
    assert "31 July 2025, 23:59 (Geneva time, UTC+2)" in message.text
    assert f"{settings.SITE_URL}{reverse('reports:workspace', args=[report.pk])}" in message.text
    assert "31 July 2025, 23:59 (Geneva time, UTC+2)" in message.html


def test_the_clock_moving_on_sends_the_next_step_and_never_a_burst_of_old_ones(cycle):
    report = open_report(cycle, "Late starter", owner="a@example.org")
    # Created 1.5 days before the deadline: the 14- and 7-day steps are long gone, the 1-day one not due.
    assert deadlines.reminders_send(now=DEADLINE - timedelta(days=1, hours=12)) == []
    assert [p.step for p in deadlines.reminders_send(now=DEADLINE - timedelta(hours=23))] == [1]
    assert deadlines.reminders_send(now=DEADLINE - timedelta(hours=2)) == []
    assert list(Reminder.objects.filter(report=report).values_list("step", flat=True)) == [1]


def test_after_the_deadline_only_started_reports_are_reminded(cycle):
    started = open_report(cycle, "Started", owner="a@example.org", started=True)
    open_report(cycle, "Never started", owner="b@example.org")
    sent = deadlines.reminders_send(now=DEADLINE + timedelta(days=1, hours=2))
    assert [(plan.report.pk, plan.step) for plan in sent] == [(started.pk, -1)]


def test_after_the_deadline_a_refusing_cycle_reminds_only_entities_it_would_still_accept(refusing):
    open_report(refusing, "Started, refused", owner="a@example.org", started=True)
    extended = open_report(refusing, "Started, extended", owner="b@example.org", started=True)
    deadlines.report_extend_deadline(report=extended, until=DEADLINE + timedelta(days=3))
    # One day after the cycle's deadline: the extended entity is two days before its own.
    assert [
        (p.report.pk, p.step) for p in deadlines.reminders_send(now=DEADLINE + timedelta(days=1, hours=1))
    ] == []
    sent = deadlines.reminders_send(now=DEADLINE + timedelta(days=2, hours=1))
    assert [(p.report.pk, p.step) for p in sent] == [(extended.pk, 1)]


def test_a_reminder_speaks_the_reports_language(cycle, mailbox, django_capture_on_commit_callbacks):
    """Stakeholders' e-mails (receipt, changes requested, reminders) are in the language their
    report is written in (``Report.language``): the one language the portal keeps for an entity."""
    open_report(cycle, "Ministère du numérique", owner="a@example.fr", language="fr")
    open_report(cycle, "Ministry of ICT", owner="b@example.org", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        deadlines.reminders_send(now=NOW)
    [french] = mailbox.to("a@example.fr")
    [english] = mailbox.to("b@example.org")
    assert "31 juillet 2025" in french.text
    assert "23:59" in french.text
    assert "Ouvrir le rapport" in french.html
    assert "31 July 2025, 23:59" in english.text
    assert "Open the report" in english.html


def test_send_reminders_dry_run_lists_and_sends_nothing(cycle, mailbox):
    # The command reads the clock, as beat does: the deadline is seven days and a few hours away.
    cycle.deadline = timezone.now() + timedelta(days=7) - timedelta(hours=3)
    cycle.save()
    open_report(cycle, "A draft", owner="owner.a@example.org", editor="editor.a@example.org")
    out = StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    listing = out.getvalue()
    assert "A draft" in listing
    assert "owner.a@example.org, editor.a@example.org" in listing
    assert f"7 day(s) before the deadline {deadlines.moment(cycle, cycle.deadline).text}" in listing
    assert "1 reminder(s) would be sent." in listing
    assert not Reminder.objects.exists()
    assert reminder_rows() == []
    assert mailbox.messages == []

    out = StringIO()
    call_command("send_reminders", "--cycle", cycle.slug, stdout=out)
    assert "1 reminder(s) sent." in out.getvalue()
    assert len(reminder_rows()) == 1


def test_send_reminders_names_an_unknown_cycle(cycle):
    with pytest.raises(CommandError, match="No reporting cycle 'nope'"):
        call_command("send_reminders", "--cycle", "nope", stdout=StringIO())


def test_the_beat_schedule_runs_the_reminders_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reminders-send"]
    assert entry["task"] == "reports.reminders_send"
    assert entry["schedule"] == 3600.0
    from reports import tasks  # noqa: PLC0415 (Celery's module of tasks, imported as the worker does)

    assert tasks.reminders_send_task.name == "reports.reminders_send"


def test_the_reminder_after_the_deadline_says_it_passed_and_will_be_marked_late(
    cycle, mailbox, django_capture_on_commit_callbacks
):
    open_report(cycle, "Started", owner="a@example.org", started=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert [p.step for p in deadlines.reminders_send(now=DEADLINE + timedelta(days=1, hours=2))] == [-1]
    [message] = mailbox.to("a@example.org")
    assert message.subject == "Your WSIS+20 report is not submitted yet — Started"
    assert "The deadline was 31 July 2025, 23:59 (Geneva time, UTC+2)." in message.text
    assert "it will be marked late" in message.text

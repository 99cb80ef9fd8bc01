"""The Secretariat and deadlines in the admin: chasing entities from the report list, an extension for
one entity, the answer-by date of a request for changes, and the cycle's time zone and reminder days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from reports import deadlines
from reports.admin.cycles import ReportingCycleAdmin
from reports.models import Delivery, Membership, Reminder, Report, ReportingCycle, SecurityEvent
from tests import factories
from tests.accounts import staff_client

from .conftest import fill, submit_directly

pytestmark = pytest.mark.django_db
S = Report.Status


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def page_url(report):
    return reverse("admin:reports_report_change", args=[report.pk])


# --- Chasing from the report list ------------------------------------------------------------------


def test_chasing_sends_one_reminder_now_to_open_reports_and_skips_the_submitted(
    secretariat_client, secretariat_user, report, owner, cycle, mailbox, django_capture_on_commit_callbacks
):
    factories.MembershipFactory.create(
        entity=report.entity, role=Membership.Role.EDITOR, user__email="editor@ministry.example.org"
    )
    done = factories.ReportFactory.create(cycle=cycle)
    factories.MembershipFactory.create(entity=done.entity, user__email="done@example.org")
    submit_directly(fill(done))
    with django_capture_on_commit_callbacks(execute=True):
        response = secretariat_client.post(
            reverse("admin:reports_report_changelist"),
            {"action": "chase", "_selected_action": [report.pk, done.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "A reminder is on its way to 1 entity." in texts(response)
    assert "1 report skipped: already submitted, or nobody in the entity to tell." in texts(response)
    [reminder] = Reminder.objects.all()
    assert (reminder.report_id, reminder.chased_by) == (report.pk, secretariat_user)
    assert reminder.recipients == ["focal.point@ministry.example.org", "editor@ministry.example.org"]
    [row] = Delivery.objects.filter(kind=Delivery.Kind.REMINDER_EMAIL)
    assert row.status == Delivery.Status.DONE
    [message] = mailbox.messages
    assert sorted(message.envelope_to) == ["editor@ministry.example.org", "focal.point@ministry.example.org"]
    assert deadlines.moment(cycle, cycle.deadline).text in message.text

    # Chasing again is the Secretariat's choice: another reminder, never blocked by the schedule's.
    with django_capture_on_commit_callbacks(execute=True):
        secretariat_client.post(
            reverse("admin:reports_report_changelist"), {"action": "chase", "_selected_action": [report.pk]}
        )
    assert Reminder.objects.filter(report=report).count() == 2
    assert len(mailbox.messages) == 2


def test_the_schedule_still_sends_its_step_after_a_chase(secretariat_user, report, owner, cycle):
    deadlines.report_chase(report=report, actor=secretariat_user)
    now = cycle.deadline - timedelta(days=7) + timedelta(hours=1)
    assert [p.step for p in deadlines.reminders_send(now=now)] == [7]


# --- An extension for one entity -------------------------------------------------------------------------


def test_an_extension_is_saved_shown_and_logged(secretariat_client, secretariat_user, report):
    cycle = report.cycle
    day = (cycle.deadline + timedelta(days=10)).astimezone(deadlines.cycle_zone(cycle)).date()
    response = secretariat_client.post(
        reverse("admin:reports_report_extension", args=[report.pk]),
        {"until": day.isoformat(), "note": "National elections."},
        follow=True,
    )
    assert response.status_code == 200
    report.refresh_from_db()
    assert report.deadline_extended_to == deadlines.end_of_day(cycle, day)
    assert report.extension_note == "National elections."
    until_text = deadlines.moment(cycle, report.deadline_extended_to).text
    assert f"“{report.entity}” may submit until {until_text}." in texts(response)
    page = response.content.decode()
    assert until_text in page
    assert "Extended for this entity" in page
    assert "National elections." in page
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.REVIEW, object_id=str(report.pk))
    assert event.actor == secretariat_user
    assert event.detail == {
        "extension": report.deadline_extended_to.isoformat(),
        "note": "National elections.",
    }

    secretariat_client.post(reverse("admin:reports_report_extension", args=[report.pk]), {"until": ""})
    report.refresh_from_db()
    assert (report.deadline_extended_to, report.extension_note) == (None, "")


def test_an_extension_before_the_deadline_is_refused_with_the_reason(secretariat_client, report):
    day = (report.cycle.deadline - timedelta(days=3)).date()
    response = secretariat_client.post(
        reverse("admin:reports_report_extension", args=[report.pk]), {"until": day.isoformat(), "note": "Why"}
    )
    assert response.status_code == 200
    assert "An extension must end after the cycle&#x27;s deadline" in response.content.decode()
    report.refresh_from_db()
    assert report.deadline_extended_to is None
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.REVIEW).exists()


def test_an_extension_needs_the_review_permission(client, staff_outsider, report):
    staff_client(client, staff_outsider)
    response = client.post(
        reverse("admin:reports_report_extension", args=[report.pk]),
        {"until": (report.cycle.deadline + timedelta(days=3)).date().isoformat()},
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.deadline_extended_to is None


# --- The answer-by date of a request for changes ----------------------------------------------------------


def test_request_changes_offers_two_weeks_and_saves_the_chosen_day(secretariat_client, submitted_report):
    cycle = submitted_report.cycle
    page = secretariat_client.get(page_url(submitted_report)).content.decode()
    default = timezone.localdate(deadlines.changes_due_default(cycle), deadlines.cycle_zone(cycle))
    assert f'name="due_date" id="id_due_date" value="{default.isoformat()}"' in page

    day = timezone.localdate(timezone.now(), deadlines.cycle_zone(cycle)) + timedelta(days=21)
    secretariat_client.post(
        reverse("admin:reports_report_request_changes", args=[submitted_report.pk]),
        {"message": "Add sources.", "due_date": day.isoformat()},
    )
    submitted_report.refresh_from_db()
    assert submitted_report.status == S.CHANGES_REQUESTED
    assert submitted_report.changes_due_at == deadlines.end_of_day(cycle, day)
    page = secretariat_client.get(page_url(submitted_report)).content.decode()
    assert deadlines.moment(cycle, submitted_report.changes_due_at).text in page


def test_request_changes_with_a_past_day_is_refused_and_keeps_the_message(
    secretariat_client, submitted_report
):
    yesterday = timezone.localdate(timezone.now(), deadlines.cycle_zone(submitted_report.cycle)) - timedelta(
        days=1
    )
    response = secretariat_client.post(
        reverse("admin:reports_report_request_changes", args=[submitted_report.pk]),
        {"message": "Add sources.", "due_date": yesterday.isoformat()},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose a day that has not passed yet." in page
    assert ">Add sources.</textarea>" in page
    submitted_report.refresh_from_db()
    assert submitted_report.status == S.SUBMITTED


def test_the_changes_email_says_the_answer_by_date(
    secretariat_client, submitted_report, owner, mailbox, django_capture_on_commit_callbacks
):
    cycle = submitted_report.cycle
    day = timezone.localdate(timezone.now(), deadlines.cycle_zone(cycle)) + timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        secretariat_client.post(
            reverse("admin:reports_report_request_changes", args=[submitted_report.pk]),
            {"message": "Add sources.", "due_date": day.isoformat()},
        )
    [message] = mailbox.to(owner.email)
    due = deadlines.moment(cycle, deadlines.end_of_day(cycle, day)).text
    assert f"Please submit it again by {due}." in message.text
    assert due in message.html


# --- The cycle's time zone and reminder days ------------------------------------------------------------


@pytest.fixture
def cycle_form(secretariat_user):
    request = RequestFactory().get("/")
    request.user = secretariat_user
    return ReportingCycleAdmin(ReportingCycle, admin.site).get_form(request)


def test_the_cycle_form_checks_the_time_zone_and_the_reminder_days(cycle_form):
    zone = cycle_form.base_fields["time_zone"]
    assert zone.clean("America/Sao_Paulo") == "America/Sao_Paulo"
    with pytest.raises(ValidationError, match="Select a valid choice"):
        zone.clean("Mars/Olympus_Mons")
    days = cycle_form.base_fields["reminder_offsets"]
    assert days.clean("7, 14, 1, -1, 7") == [14, 7, 1, -1]
    assert days.clean("") == []
    assert days.prepare_value([14, 7, 1, -1]) == "14, 7, 1, -1"
    with pytest.raises(ValidationError, match="“two” is not a whole number of days"):
        days.clean("14, two, 1")
    with pytest.raises(ValidationError, match="400 days is more than a year"):
        days.clean("400")


def test_the_cycle_page_shows_the_time_zone_choice_and_the_reminder_days_as_typed(secretariat_client, cycle):
    page = secretariat_client.get(
        reverse("admin:reports_reportingcycle_change", args=[cycle.pk])
    ).content.decode()
    assert '<option value="Europe/Zurich" selected>' in page
    assert '<option value="Asia/Kolkata">' in page
    assert 'name="reminder_offsets" value="14, 7, 1, -1"' in page


def test_the_cycle_list_shows_each_deadline_in_its_own_zone(secretariat_client, cycle, reference_data):
    tokyo = factories.CycleFactory.create(name="Tokyo round", time_zone="Asia/Tokyo")
    page = secretariat_client.get(reverse("admin:reports_reportingcycle_changelist")).content.decode()
    assert deadlines.moment(cycle, cycle.deadline).text in page
    assert "(Tokyo time, UTC+9)" in deadlines.moment(tokyo, tokyo.deadline).text
    assert deadlines.moment(tokyo, tokyo.deadline).text in page

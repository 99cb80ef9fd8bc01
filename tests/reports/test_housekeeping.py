"""Housekeeping by Celery beat: expired sessions go, audit rows past their retention go, and the
follow-up contact person of reports in long-closed cycles is cleared everywhere it was kept."""

import subprocess
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from reports import audit, services, storage, tasks
from reports.delivery import runner as delivery
from reports.models import Entity, FollowUpContact, SecurityEvent, Submission
from tests import factories

pytestmark = pytest.mark.django_db


def pdf_text(file) -> str:
    """The text of a stored PDF, read through the storage (a bucket has no ``.path``)."""
    with storage.local_path(file) as path:
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
        )
    return done.stdout


def test_beat_runs_both_housekeeping_tasks():
    scheduled = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled["reports.sessions_clear"] == 3600.0
    assert scheduled["reports.retention_apply"] == 86400.0


def test_expired_sessions_and_the_text_kept_in_them_are_deleted(db):
    expired = SessionStore()
    expired["reports:kept"] = {"1:executive-summary": {"at": 0, "data": {"executive_summary": ["typed"]}}}
    expired.set_expiry(timezone.now() - timedelta(minutes=1))
    expired.create()
    live = SessionStore()
    live["reports:entity_id"] = 1
    live.set_expiry(timezone.now() + timedelta(hours=1))
    live.create()

    assert tasks.sessions_clear_task.apply().get() == 1

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_audit_rows_older_than_the_retention_are_deleted(settings, entity):
    settings.RETENTION_AUDIT_DAYS = 400
    now = timezone.now()
    old = audit.record(None, SecurityEvent.Kind.LOGIN, email="old@example.org")
    recent = audit.record(None, SecurityEvent.Kind.LOGIN, email="recent@example.org")
    SecurityEvent.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=401))
    SecurityEvent.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=399))
    entity_type = ContentType.objects.get_for_model(Entity)
    history = [
        LogEntry.objects.create(
            content_type=entity_type,
            object_pk=str(entity.pk),
            object_repr=entity.name,
            action=LogEntry.Action.UPDATE,
        )
        for _ in range(2)
    ]
    LogEntry.objects.filter(pk=history[0].pk).update(timestamp=now - timedelta(days=401))

    result = tasks.retention_apply_task.apply().get()

    assert (result["security_events"], result["history"]) == (1, 1)
    assert list(SecurityEvent.objects.values_list("actor_email", flat=True)) == ["recent@example.org"]
    kept = set(LogEntry.objects.values_list("pk", flat=True))
    assert history[0].pk not in kept
    assert history[1].pk in kept  # as is the entity's own creation, written by the fixture just now


@pytest.fixture
def closed_cycle(reference_data):
    """A cycle whose deadline passed four years ago (the default retention is three)."""
    now = timezone.now()
    return factories.CycleFactory.create(
        slug="wsis-old",
        name="WSIS review (old)",
        opens_at=now - timedelta(days=4 * 365 + 60),
        deadline=now - timedelta(days=4 * 365),
    )


def submitted_with_pdf(cycle, fill_report, *, contact_name, email):
    report = factories.ReportFactory.create(cycle=cycle)
    user = factories.MembershipFactory.create(entity=report.entity).user
    fill_report(report, text=lambda name: f"{name}: text", contact_email=email)
    contact = FollowUpContact.objects.get(report=report)
    contact.name = contact_name
    contact.save()
    submission = services.report_submit(report=report, user=user)
    return delivery.submission_pdf_ensure(submission=submission)


def test_contacts_of_long_closed_cycles_are_cleared_in_rows_snapshots_and_pdfs(
    settings, closed_cycle, cycle, fill_report
):
    settings.RETENTION_CONTACT_YEARS = 3
    old = submitted_with_pdf(
        closed_cycle, fill_report, contact_name="Wanjiru Kamau", email="wanjiru@ict.go.ke"
    )
    current = submitted_with_pdf(cycle, fill_report, contact_name="Amina Diallo", email="amina@example.org")
    assert "Wanjiru Kamau" in pdf_text(old.pdf)

    result = tasks.retention_apply_task.apply().get()

    assert (result["contacts"], result["snapshots"], result["pdfs"]) == (1, 1, 1)
    contact = FollowUpContact.objects.get(report=old.report)
    assert (contact.name, contact.position, contact.email, contact.phone, contact.address) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert contact.unit == "unit: text"  # a part of the entity, not a person
    old = Submission.objects.get(pk=old.pk)
    assert old.content["contact"]["name"] == ""
    assert old.content["contact"]["email"] == ""
    assert old.pdf
    text = pdf_text(old.pdf)
    assert "Wanjiru" not in text
    assert "wanjiru@ict.go.ke" not in text
    assert "Executive Summary" in text  # the report itself is still there

    current = Submission.objects.get(pk=current.pk)
    assert current.content["contact"]["name"] == "Amina Diallo"
    assert FollowUpContact.objects.get(report=current.report).email == "amina@example.org"

    again = tasks.retention_apply_task.apply().get()
    assert (again["contacts"], again["snapshots"], again["pdfs"]) == (0, 0, 0)

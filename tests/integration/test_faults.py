"""Faults injected into the real stack: Redis down at submit time, an SMTP server answering 451 and
550 (to a notice, to an invitation), a worker SIGKILLed while it renders. Nothing is lost and
nothing is sent twice.

One worker process serves the module; the SIGKILL test kills it and starts its successor."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from reports import services
from reports.delivery import runner as delivery
from reports.models import Delivery, Invitation, Report, Submission
from reports.web import invitations
from tests import factories
from tests.integration.test_pipeline import (
    SECRETARIAT,
    module_worker,
    settled,
    start_worker,
    submitted_report,
    wait_for,
)
from tests.services import REDIS

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.integration,
    pytest.mark.fault,
    pytest.mark.django_db(transaction=True),
]

K = Delivery.Kind
St = Delivery.Status


@pytest.fixture(scope="module")
def faults(request, django_db_setup, django_db_blocker, smtp_server):
    return module_worker(request, django_db_blocker, smtp_server, redis_db=6)


@pytest.fixture
def worker(faults, celery_broker, mailbox, reference_data):
    celery_broker(faults["broker"])
    return faults["worker"]


def later(seconds: float):
    """A moment past the sweeper's thresholds, as if that much time had gone by."""
    return timezone.now() + timedelta(seconds=seconds)


def changes_requested(message: str = "Please add sources.") -> Report:
    """A submitted report asked for changes: one notice e-mail row, no PDF involved."""
    report = factories.ReportFactory.create(
        status=Report.Status.SUBMITTED, submitted_at="2025-05-20T10:00:00Z"
    )
    factories.MembershipFactory.create(entity=report.entity, user__email="owner@example.org")
    services.report_request_changes(
        report=report, actor=factories.UserFactory.create(is_staff=True), message=message
    )
    return report


def test_redis_down_at_submit_time_delays_delivery_and_loses_nothing(
    worker, mailbox, fill_report, record_property
):
    report, owner = submitted_report(fill_report)
    REDIS.stop()
    try:
        started = time.monotonic()
        submission = services.report_submit(report=report, user=owner)
        elapsed = time.monotonic() - started
        record_property("submit_seconds_with_redis_down", round(elapsed, 2))
        print(f"\nsubmit with Redis down answered in {elapsed:.2f} s")

        report.refresh_from_db()
        assert report.status == Report.Status.SUBMITTED
        assert Submission.objects.filter(pk=submission.pk).exists()
        assert {row.status for row in Delivery.objects.filter(submission=submission)} == {St.QUEUED}
        assert delivery.deliveries_sweep().handed == 0  # still down: the sweeper waits too
    finally:
        assert REDIS.start(), REDIS.error

    def swept() -> bool:  # the next sweeps (celery beat, every minute) hand the PDF over
        return delivery.deliveries_sweep(now=later(settings.DELIVERY_SWEEP_AFTER + 1)).handed > 0

    wait_for(swept, timeout=30, what="the broker to take the swept rows")
    wait_for(lambda: settled(submission=submission), what="delivery after the outage", worker=worker)
    # Each row done at its first attempt: a duplicate message finds it done and sends nothing.
    assert {(row.status, row.attempts) for row in Delivery.objects.filter(submission=submission)} == {
        (St.DONE, 1)
    }
    assert len(mailbox.to(SECRETARIAT)) == 1
    assert len(mailbox.to("owner@example.org")) == 1


def test_smtp_451_twice_then_accepted_sends_one_email(worker, mailbox):
    mailbox.fail_next("451 4.3.0 Mailbox busy, try again", "451 4.3.0 Mailbox busy, try again")
    report = changes_requested()
    wait_for(lambda: settled(report=report), what="the notice", worker=worker)
    notice = Delivery.objects.get(report=report, kind=K.NOTICE_EMAIL)
    assert (notice.status, notice.attempts, notice.last_error) == (St.DONE, 3, "")
    assert len(mailbox.messages) == 1
    assert mailbox.attempts == 3


def test_smtp_550_fails_the_row_with_the_reason_visible_to_staff(worker, mailbox):
    mailbox.fail_next("550 5.7.1 Relaying denied")
    report = changes_requested()
    wait_for(lambda: settled(report=report), what="the notice", worker=worker)
    notice = Delivery.objects.get(report=report, kind=K.NOTICE_EMAIL)
    assert (notice.status, notice.attempts) == (St.FAILED, 1)
    assert notice.last_error == "SMTP 550 5.7.1 Relaying denied"
    assert mailbox.messages == []


def test_an_invitation_answered_451_is_retried_by_the_worker_and_sent_once(worker, mailbox):
    entity = factories.EntityFactory.create()
    owner = factories.MembershipFactory.create(entity=entity, user__email="owner@example.org").user
    mailbox.fail_next("451 4.3.0 Mailbox busy, try again")
    invitations.invitation_send(entity=entity, email="colleague@example.org", inviter=owner)
    invitation = Invitation.objects.get(entity=entity)
    wait_for(lambda: settled(invitation=invitation), what="the invitation e-mail", worker=worker)
    row = Delivery.objects.get(invitation=invitation)
    assert (row.kind, row.status, row.attempts, row.last_error) == (K.INVITATION_EMAIL, St.DONE, 2, "")
    [message] = mailbox.to("colleague@example.org")
    assert "/invitations/" in message.text
    assert len(mailbox.messages) == 1


def test_a_worker_killed_while_rendering_is_replaced_and_one_email_goes_out(
    faults, worker, mailbox, fill_report, smtp_server
):
    # Long answers make the render take seconds, long enough to kill the worker in the middle of it.
    long_text = "\n\n".join(["Over twenty years we connected schools, clinics and libraries. " * 12] * 4)
    report, owner = submitted_report(fill_report, text=long_text)
    submission = services.report_submit(report=report, user=owner)
    render = Delivery.objects.get(submission=submission, kind=K.RENDER_PDF)

    def rendering() -> bool:
        render.refresh_from_db()
        return render.status == St.RUNNING

    wait_for(rendering, timeout=30, what="the render to start", worker=worker)
    assert not Submission.objects.get(pk=submission.pk).pdf  # still rendering
    worker.kill()

    render.refresh_from_db()
    assert render.status == St.RUNNING
    assert render.attempts == 1
    faults["worker"] = replacement = start_worker(faults["broker"], smtp_server.url)
    assert delivery.deliveries_sweep().recovered == 0  # not before the hard time limit has passed
    stale = settings.CELERY_TASK_TIME_LIMIT + settings.DELIVERY_SWEEP_AFTER + 1
    assert delivery.deliveries_sweep(now=later(stale)).recovered == 1

    wait_for(lambda: settled(submission=submission), what="delivery after the restart", worker=replacement)
    render.refresh_from_db()
    assert (render.status, render.attempts) == (St.DONE, 2)
    emails = Delivery.objects.filter(submission=submission).exclude(kind=K.RENDER_PDF)
    assert {(row.status, row.attempts) for row in emails} == {(St.DONE, 1)}  # each e-mail sent once
    assert len(mailbox.to(SECRETARIAT)) == 1
    assert len(mailbox.to("owner@example.org")) == 1
    pdf_pages = Submission.objects.get(pk=submission.pk).pdf_pages
    assert pdf_pages is not None
    assert pdf_pages > 40

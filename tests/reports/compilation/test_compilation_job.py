"""A compilation is a background job like a delivery: claimed once, retried with backoff, recovered
by the sweeper when its worker died (and never reused meanwhile), and its ready e-mail is one
delivery row, sent once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, OperationalError
from django.db.models import QuerySet
from django.utils import timezone

from reports import tasks
from reports.compilation import build as compilation
from reports.delivery import jobs
from reports.delivery.rows import compilation_email_create
from reports.delivery.runner import delivery_run
from reports.models import Compilation, Delivery
from tests import factories

pytestmark = pytest.mark.django_db

St = Compilation.Status
Outcome = jobs.Outcome


@pytest.fixture
def staff():
    return factories.UserFactory.create(is_staff=True, email="compiler@example.org")


@pytest.fixture
def selection(corpus):
    cycle, _subs = corpus
    return compilation.Selection(cycle=cycle.slug, layout="full")


@pytest.fixture
def published(monkeypatch):
    """The compilations handed to the broker (none is run)."""
    ids: list[int] = []

    def record(batch):
        ids.extend(batch)
        return len(batch)

    monkeypatch.setattr(compilation, "compilations_publish", record)
    return ids


def queued(staff, selection, capture) -> Compilation:
    """A requested compilation, not yet run (its publish on commit is dropped)."""
    with capture(execute=False):
        job = compilation.compilation_request(user=staff, selection=selection)
    assert (job.status, job.reused, job.enqueued_at is not None) == (St.QUEUED, False, True)
    return job


def left_by_a_dead_worker(job: Compilation) -> Compilation:
    """Claimed by a worker that died: still running, long past the task's hard time limit."""
    if job.status == St.QUEUED:
        jobs.job_claim(Compilation, job.pk)
    long_ago = timezone.now() - compilation.compilation_stale_after() - timedelta(seconds=1)
    Compilation.objects.filter(pk=job.pk, status=St.RUNNING).update(started_at=long_ago)
    return Compilation.objects.get(pk=job.pk)


def ready_emails(job: Compilation) -> QuerySet[Delivery]:
    return Delivery.objects.filter(compilation=job, kind=Delivery.Kind.COMPILATION_EMAIL)


def test_a_running_compilation_is_reused_until_it_is_stale_then_replaced_and_never_built_twice(
    staff, selection, published, django_capture_on_commit_callbacks
):
    job = queued(staff, selection, django_capture_on_commit_callbacks)
    claimed = jobs.job_claim(Compilation, job.pk)  # a worker is at it
    assert claimed is not None
    job = claimed
    assert compilation.compilation_request(user=staff, selection=selection).pk == job.pk

    stale = left_by_a_dead_worker(job)
    assert (stale.status, stale.attempts) == (St.RUNNING, 1)
    with django_capture_on_commit_callbacks(execute=False):
        fresh = compilation.compilation_request(user=staff, selection=selection)
    assert fresh.pk != job.pk
    assert not fresh.reused

    # The sweeper finds the dead worker's job, but a later request replaced it: closed, not handed over.
    result = compilation.compilations_sweep()
    assert (result.recovered, result.failed, published) == (0, 0, [])
    job.refresh_from_db()
    assert job.status == St.FAILED
    assert job.last_error == f"superseded by compilation #{fresh.pk}, requested later for the same selection"
    assert not job.file
    assert not ready_emails(job).exists()
    fresh.refresh_from_db()
    assert fresh.status == St.QUEUED


def test_a_stale_compilation_nobody_asked_for_again_is_swept_and_built(
    staff, selection, published, django_capture_on_commit_callbacks, mailbox
):
    job = left_by_a_dead_worker(queued(staff, selection, django_capture_on_commit_callbacks))
    result = compilation.compilations_sweep()
    assert (result.recovered, result.failed, published) == (1, 0, [job.pk])
    job.refresh_from_db()
    assert job.status == St.QUEUED
    assert job.attempts == 1
    assert "the worker stopped" in job.last_error

    with django_capture_on_commit_callbacks(execute=True):
        assert compilation.compilation_run(compilation_id=job.pk).outcome is Outcome.DONE
    job.refresh_from_db()
    assert (job.status, job.attempts, job.last_error) == (St.DONE, 2, "")
    assert job.file
    assert [row.status for row in ready_emails(job)] == [Delivery.Status.DONE]
    assert len(mailbox.to("compiler@example.org")) == 1


def test_a_compilation_that_keeps_killing_its_worker_is_failed(
    staff, selection, published, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(compilation, "MAX_ATTEMPTS", 1)
    job = left_by_a_dead_worker(queued(staff, selection, django_capture_on_commit_callbacks))
    result = compilation.compilations_sweep()
    assert (result.recovered, result.failed, published) == (0, 1, [])
    job.refresh_from_db()
    assert job.status == St.FAILED
    assert job.last_error.startswith("gave up: the worker stopped")
    assert not ready_emails(job).exists()


def test_a_queued_compilation_the_broker_lost_is_handed_over_again(
    staff, selection, published, settings, django_capture_on_commit_callbacks
):
    job = queued(staff, selection, django_capture_on_commit_callbacks)
    now = timezone.now()
    assert compilation.compilations_sweep(now=now).requeued == 0  # just enqueued
    later = now + timedelta(seconds=settings.DELIVERY_SWEEP_AFTER + 1)
    assert compilation.compilations_sweep(now=later).requeued == 1
    assert published == [job.pk]
    assert Compilation.objects.get(pk=job.pk).enqueued_at == later


def test_a_lost_connection_is_retried_with_backoff_other_errors_fail_the_job(
    staff, selection, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.DELIVERY_RETRY_DELAY = 30
    job = queued(staff, selection, django_capture_on_commit_callbacks)
    build = compilation.compilation_build

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(compilation, "compilation_build", lost)
    result = compilation.compilation_run(compilation_id=job.pk)
    job.refresh_from_db()
    assert (result.outcome, result.retry_in, job.status, job.attempts) == (Outcome.RETRY, 30, St.QUEUED, 1)
    assert job.enqueued_at is not None
    assert job.enqueued_at > timezone.now() + timedelta(seconds=25)  # due when the retry is
    assert "OperationalError" in job.last_error

    monkeypatch.setattr(compilation, "compilation_build", build)
    with django_capture_on_commit_callbacks(execute=False):
        assert compilation.compilation_run(compilation_id=job.pk).outcome is Outcome.DONE
    assert Compilation.objects.get(pk=job.pk).attempts == 2


def test_the_ready_email_is_one_delivery_row_however_often_the_task_runs(
    staff, selection, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = compilation.compilation_request(user=staff, selection=selection)
    (row,) = ready_emails(job)
    assert (row.status, row.attempts, row.recipients) == (Delivery.Status.DONE, 1, ["compiler@example.org"])
    assert row.report_id is None
    assert row.submission_id is None

    # The task again (a redelivered message, the sweeper), and the row's task again.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.compile_reports_task.apply(args=(job.pk,)).get() == Outcome.SKIPPED
        assert tasks.send_email.apply(args=(row.pk,)).get() == Outcome.SKIPPED
    again = compilation_email_create(compilation=job)
    assert again is not None
    assert again.pk == row.pk
    with pytest.raises(IntegrityError):  # and the database refuses a second one
        Delivery.objects.create(
            compilation=job, kind=Delivery.Kind.COMPILATION_EMAIL, recipients=["x@example.org"]
        )
    [mail] = mailbox.to("compiler@example.org")
    assert f"/admin/reports/compilation/{job.pk}/download/" in mail.text


def test_the_ready_email_is_retried_after_a_451_and_sent_once(
    staff, selection, mailbox, settings, django_capture_on_commit_callbacks
):
    settings.DELIVERY_RETRY_DELAY = 30
    mailbox.fail_next("451 4.3.0 Try again later")
    with django_capture_on_commit_callbacks(execute=True):
        job = compilation.compilation_request(user=staff, selection=selection)
    (row,) = ready_emails(job)
    assert (row.status, row.attempts) == (Delivery.Status.QUEUED, 1)
    assert "451" in row.last_error
    assert row.enqueued_at is not None
    assert row.enqueued_at > timezone.now() + timedelta(seconds=25)
    assert mailbox.messages == []

    assert delivery_run(delivery_id=row.pk).outcome is Outcome.DONE  # the retry, when due
    assert delivery_run(delivery_id=row.pk).outcome is Outcome.SKIPPED
    assert len(mailbox.to("compiler@example.org")) == 1
    assert Compilation.objects.get(pk=job.pk).status == St.DONE  # the job itself was done at once

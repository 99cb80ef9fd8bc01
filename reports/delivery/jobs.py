"""One discipline for background work: a ``BackgroundJob`` row per job (a delivery, a compilation).

- **claim** (``job_claim``): lock the row, return ``None`` unless it is queued (done, failed or
  running in another task: nothing to do); otherwise mark it ``running`` (``started_at``,
  ``attempts + 1``) and *commit* before any work. A duplicate message, a redelivery or the
  sweeper's re-enqueue finds it running or done and does nothing.
- **record**: ``job_done`` (whatever happened meanwhile, the work is done: returns whether this
  call recorded it, so what follows "done" happens once), or ``job_failure``: a transient error
  puts the row back to ``queued`` with ``enqueued_at`` when the retry is due (``retry_delay``:
  ``DELIVERY_RETRY_DELAY`` doubled per attempt up to ``DELIVERY_RETRY_MAX_DELAY``) until the
  job's maximum of attempts; a permanent error, or the last attempt, marks it ``failed`` with the
  reason in ``last_error``, for staff to see and retry (``job_requeue``).
- **sweep** (celery beat, every minute): ``stale_recover`` takes rows left ``running`` longer than
  the task's hard time limit plus ``DELIVERY_SWEEP_AFTER`` — no task runs that long, so their
  worker died — and queues them again (the attempt counts) or fails them after the maximum;
  ``overdue_take`` takes rows still ``queued`` that long after they were due (a publish lost to a
  broker outage, a lost retry). The caller hands both to the broker again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import BackgroundJob, BackgroundJobQuerySet, JobStatus

logger = logging.getLogger(__name__)

St = JobStatus
SWEEP_BATCH = 500
Job = TypeVar("Job", bound=BackgroundJob)


def _rows(model: type[Job]) -> BackgroundJobQuerySet[Job]:
    """``model``'s rows. The stubs type the manager a subclass inherits from the abstract
    ``BackgroundJob`` by that base, not by ``model``."""
    return cast("BackgroundJobQuerySet[Job]", model.objects.all())


class Outcome(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"  # nothing to do: done, failed, running elsewhere (or waiting, for an e-mail)
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    retry_in: float | None = None
    error: str = ""


@dataclass(frozen=True)
class SweepResult:
    requeued: int  # queued rows handed to the broker again
    recovered: int  # rows left running by a dead worker, queued again
    failed: int  # rows left running by a dead worker too many times
    handed: int  # how many of those the broker took


def retry_delay(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: the base delay doubled per attempt, capped."""
    base = settings.DELIVERY_RETRY_DELAY
    return float(min(base * 2 ** max(attempts - 1, 0), settings.DELIVERY_RETRY_MAX_DELAY))


def stale_after(time_limit: float) -> timedelta:
    """How long a row may stay running before the sweeper takes it back: the task's hard time
    limit (a task that runs longer is killed) plus the sweeper's margin."""
    return timedelta(seconds=time_limit + settings.DELIVERY_SWEEP_AFTER)


def job_claim(
    model: type[Job],
    pk: int,
    *,
    ready: Callable[[Job], bool] | None = None,
    now: datetime | None = None,
    takeover_below: int = 0,
) -> Job | None:
    """Lock the row and mark it running (committed before any work), or ``None`` when there is
    nothing to do: it is done, failed, running in another task, or not ``ready`` yet.

    ``takeover_below``: a message the broker handed out again because the process running it died
    (Celery's ``reject_on_worker_lost``, or Redis' visibility timeout, which is longer than every
    task's hard time limit) takes over its row left running, while it has had fewer attempts than
    this; a poison task that kills its process each time is left to the sweeper, which fails it."""
    with transaction.atomic():
        row = _rows(model).select_for_update().filter(pk=pk).first()
        if row is None:
            return None
        taken_over = row.status == St.RUNNING and row.attempts < takeover_below
        if (row.status != St.QUEUED and not taken_over) or (ready is not None and not ready(row)):
            return None
        if taken_over:
            logger.warning("%s %s: its process died mid-run; run again", model.__name__, pk)
        row.status = St.RUNNING
        row.started_at = now or timezone.now()
        row.finished_at = None
        row.attempts += 1
        row.save(update_fields=["status", "started_at", "finished_at", "attempts", "updated_at"])
    return row


def job_done(model: type[Job], row: Job, **fields: Any) -> bool:
    """Record the row done (with ``fields``); ``False`` when another run already did. Call inside
    the transaction that saves what follows from it (e-mail rows), so that it happens once."""
    now = timezone.now()
    return bool(
        _rows(model)
        .filter(pk=row.pk, status__in=[St.QUEUED, St.RUNNING])
        .update(status=St.DONE, finished_at=now, last_error="", updated_at=now, **fields)
    )


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def job_failure(
    model: type[Job],
    row: Job,
    exc: BaseException,
    *,
    permanent: bool,
    reason: str,
    max_attempts: int,
    on_give_up: Callable[[Job, str, datetime], None] | None = None,
    name: str = "job",
) -> RunResult:
    """Record a failed attempt: queued again for a retry when due, or failed (permanent, or the last
    attempt; ``on_give_up`` then runs in the same transaction). Logs with the traceback when the
    error is unexpected (not an ``OSError``-like one)."""
    now = timezone.now()
    give_up = permanent or row.attempts >= max_attempts
    delay = 0.0
    with transaction.atomic():
        current = _rows(model).select_for_update().filter(pk=row.pk).first()
        if current is None or current.status != St.RUNNING or current.started_at != row.started_at:
            return RunResult(Outcome.SKIPPED, error=reason)  # the sweeper took it over meanwhile
        current.last_error = reason if permanent else f"attempt {row.attempts}: {reason}"
        if give_up:
            if not permanent:
                current.last_error = f"gave up after {row.attempts} attempts; last: {reason}"
            current.status = St.FAILED
            current.finished_at = now
            current.save(update_fields=["status", "finished_at", "last_error", "updated_at"])
            if on_give_up is not None:
                on_give_up(current, current.last_error, now)
        else:
            delay = retry_delay(row.attempts)
            current.status = St.QUEUED
            current.enqueued_at = now + timedelta(seconds=delay)
            current.save(update_fields=["status", "enqueued_at", "last_error", "updated_at"])
    unexpected = not isinstance(exc, OSError)  # a bug: keep its traceback (SMTP errors are OSErrors)
    if give_up:
        logger.error(
            "%s %s failed: %s", name, row.pk, current.last_error, exc_info=exc if unexpected else None
        )
        return RunResult(Outcome.FAILED, error=current.last_error)
    logger.warning(
        "%s %s will be retried in %.0f s: %s",
        name,
        row.pk,
        delay,
        reason,
        exc_info=exc if unexpected else None,
    )
    return RunResult(Outcome.RETRY, retry_in=delay, error=reason)


def stale_recover(
    model: type[Job],
    *,
    now: datetime,
    time_limit: float,
    max_attempts: int,
    on_give_up: Callable[[Job, str, datetime], None] | None = None,
) -> tuple[list[Job], int]:
    """Inside the sweeper's transaction: rows left running by a dead worker are queued again
    (returned, to be handed to the broker) or, after ``max_attempts``, failed (counted)."""
    recovered: list[Job] = []
    failed = 0
    stale = (
        _rows(model)
        .select_for_update(skip_locked=True)
        .stale(before=now - stale_after(time_limit))
        .order_by("pk")[:SWEEP_BATCH]
    )
    for row in stale:
        started = timezone.localtime(row.started_at).strftime("%Y-%m-%d %H:%M:%S %Z")
        note = f"the worker stopped while on attempt {row.attempts} (started {started})"
        if row.attempts >= max_attempts:
            row.status, row.finished_at, row.last_error = St.FAILED, now, f"gave up: {note}"
            row.save(update_fields=["status", "finished_at", "last_error", "updated_at"])
            if on_give_up is not None:
                on_give_up(row, row.last_error, now)
            failed += 1
            continue
        row.status, row.enqueued_at, row.last_error = St.QUEUED, now, f"{note}; queued again"
        row.save(update_fields=["status", "enqueued_at", "last_error", "updated_at"])
        recovered.append(row)
    return recovered, failed


def overdue_take(queryset: BackgroundJobQuerySet[Job], *, now: datetime) -> list[Job]:
    """Inside the sweeper's transaction: the queued rows of ``queryset`` overdue by the sweeper's
    margin, stamped as handed over now (returned, to be handed to the broker)."""
    margin = timedelta(seconds=settings.DELIVERY_SWEEP_AFTER)
    rows = list(
        queryset.select_for_update(skip_locked=True, of=("self",))
        .overdue(before=now - margin)
        .order_by("pk")[:SWEEP_BATCH]
    )
    _rows(queryset.model).filter(pk__in=[r.pk for r in rows]).update(enqueued_at=now, updated_at=now)
    return rows


def job_requeue(row: Job, *, enqueued: bool = True) -> None:
    """Staff retry a failed row (locked by the caller): queued again with its attempts reset."""
    row.status, row.attempts, row.last_error, row.finished_at = St.QUEUED, 0, "", None
    row.enqueued_at = timezone.now() if enqueued else None
    row.save(update_fields=["status", "attempts", "last_error", "finished_at", "enqueued_at", "updated_at"])

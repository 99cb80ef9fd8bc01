"""Delivery tasks: thin wrappers over ``reports/delivery/runner.py``, where the rules live.

Each delivery task takes a ``Delivery`` id; ``delivery_run`` locks the row, returns early when it is
done, failed, running elsewhere or waiting for its PDF, marks it running (committed), does the work
and records the outcome. Late acks, and a worker lost mid-task is requeued by Celery and, failing
that, by the sweeper. Retries are counted in the row (``attempts``), not by Celery. The compilation
task (``reports/compilation/tasks.py``) follows the same rules through ``publish`` and
``retry_or_outcome``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from . import jobs, runner

logger = logging.getLogger(__name__)

# E-mail tasks: an SMTP conversation is bounded by EMAIL_TIMEOUT per socket operation.
EMAIL_SOFT_TIME_LIMIT = min(settings.EMAIL_TIMEOUT * 3, settings.CELERY_TASK_SOFT_TIME_LIMIT)
EMAIL_TIME_LIMIT = min(EMAIL_SOFT_TIME_LIMIT + 30, settings.CELERY_TASK_TIME_LIMIT)


def publish(task: Task, object_id: int, *, model: str = "delivery") -> bool:
    """Hand ``task(object_id)`` to the broker; ``False`` (logged, never raised) when it cannot take
    it. The publish timeouts are the broker settings' (``CELERY_BROKER_CONNECTION_TIMEOUT``,
    ``CELERY_TASK_PUBLISH_RETRY_POLICY``), so a request never hangs on a broker outage; the row
    stays queued in the database and the sweeper hands it over later. In eager mode (no broker)
    the task runs here and now."""
    if task.app.conf.task_always_eager:
        task.apply(args=(object_id,))  # no broker: run here (errors are logged, never raised)
        return True
    try:
        task.apply_async(args=(object_id,))
    except Exception as exc:  # kombu, redis and socket errors alike: the database row is the truth
        logger.warning(
            "could not hand %s %s to the broker (%s: %s); it stays queued for the sweeper",
            model,
            object_id,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def retry_or_outcome(task: Task, result: jobs.RunResult) -> str:
    """The task's answer to a run's result: a retry when one is due (Celery's countdown; the row
    itself is back to queued with its due time), else the outcome."""
    if result.outcome is jobs.Outcome.RETRY and not task.request.is_eager:
        # The row is back to queued with its due time; if the broker cannot take the retry,
        # Celery drops this message and the sweeper hands the row over when it is due.
        raise task.retry(countdown=result.retry_in, max_retries=None)
    return str(result.outcome)


def redelivered(task: Task) -> bool:
    """The broker handed this message out again: the process that had it died mid-task."""
    return bool((task.request.delivery_info or {}).get("redelivered"))


def _run(task: Task, delivery_id: int) -> str:
    return retry_or_outcome(task, runner.delivery_run(delivery_id=delivery_id, takeover=redelivered(task)))


# A render: handed back to the queue when its process dies, bounded by the task time limits.
RENDER_TASK: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.CELERY_TASK_TIME_LIMIT,
}


@shared_task(bind=True, name="reports.render_pdf", **RENDER_TASK)
def render_pdf(self: Task, delivery_id: int) -> str:
    """Render and store a submission's PDF, then hand its e-mails to the broker."""
    return _run(self, delivery_id)


@shared_task(name="reports.render_edition", **RENDER_TASK)
def render_edition(submission_id: int) -> str:
    """Render a submission's compilation edition (the pages compiled reports copy), queued once its
    PDF is stored and its e-mails are handed over; behind the PDFs still waiting in a burst."""
    return runner.edition_run(submission_id=submission_id)


@shared_task(
    bind=True,
    name="reports.send_email",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=EMAIL_SOFT_TIME_LIMIT,
    time_limit=EMAIL_TIME_LIMIT,
)
def send_email(self: Task, delivery_id: int) -> str:
    """Send one delivery row's e-mail (secretariat, receipt, notice, compilation ready, invitation)."""
    return _run(self, delivery_id)


@shared_task(name="reports.deliveries_sweep", ignore_result=True, soft_time_limit=50, time_limit=55)
def deliveries_sweep() -> dict[str, Any]:
    """Celery beat, every minute: hand over again what a broker outage or a dead worker left."""
    return asdict(runner.deliveries_sweep())

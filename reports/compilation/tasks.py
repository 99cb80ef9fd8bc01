"""The compilation tasks: thin wrappers over ``reports/compilation/build.py``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import Task, shared_task

from ..delivery import runner
from ..delivery.tasks import redelivered, retry_or_outcome
from .build import COMPILE_SOFT_TIME_LIMIT, COMPILE_TIME_LIMIT, compilation_run, compilations_sweep


@shared_task(
    bind=True,
    name="reports.compile_reports",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=COMPILE_SOFT_TIME_LIMIT,
    time_limit=COMPILE_TIME_LIMIT,
)
def compile_reports_task(self: Task, compilation_id: int) -> str:
    """Build one queued compilation; report PDFs still missing are rendered on the way."""
    return retry_or_outcome(
        self,
        compilation_run(
            compilation_id=compilation_id,
            ensure_pdf=lambda submission: runner.submission_pdf_ensure(submission=submission),
            takeover=redelivered(self),
        ),
    )


@shared_task(name="reports.compilations_sweep", ignore_result=True, soft_time_limit=50, time_limit=55)
def compilations_sweep_task() -> dict[str, Any]:
    """Celery beat, every minute: hand over again what a broker outage or a dead worker left."""
    return asdict(compilations_sweep())

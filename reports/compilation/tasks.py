"""The compilation task: a thin wrapper over ``reports/compilation/build.py``."""

from __future__ import annotations

from celery import Task, shared_task

from ..delivery import runner


# A long job, kept below the broker's visibility timeout (an hour) so that a running compilation is
# never handed to a second worker.
@shared_task(
    bind=True,
    name="reports.compile_reports",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=3000,
    time_limit=3300,
)
def compile_reports_task(self: Task, compilation_id: int) -> None:
    """Build one queued compilation; report PDFs still missing are rendered on the way."""
    from .build import compilation_run

    compilation_run(
        compilation_id=compilation_id,
        ensure_pdf=lambda submission: runner.submission_pdf_ensure(submission=submission),
    )

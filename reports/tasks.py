"""The module Celery autodiscovers: every task of the app, defined next to the work it does.

Task names are explicit strings (``reports.render_pdf``, …), so that messages already queued keep
finding their task whatever module defines it.
"""

from .compilation.tasks import compilations_sweep_task, compile_reports_task
from .deadlines import reminders_send_task
from .delivery.tasks import deliveries_sweep, render_pdf, send_email
from .housekeeping import retention_apply_task, sessions_clear_task
from .opendata import opendata_build_task, opendata_refresh_task

__all__ = [
    "compilations_sweep_task",
    "compile_reports_task",
    "deliveries_sweep",
    "opendata_build_task",
    "opendata_refresh_task",
    "reminders_send_task",
    "render_pdf",
    "retention_apply_task",
    "send_email",
    "sessions_clear_task",
]

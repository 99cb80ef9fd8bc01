"""Running delivery rows: claim, render or send, record, retry, sweep — the discipline of
``reports/delivery/jobs.py`` applied to ``Delivery`` rows (the rows are created in ``rows.py``,
the e-mails built in ``messages.py``, the PDF rendered in ``submission_pdf.py``).

E-mails *wait for the PDF by data*: an e-mail about a submission whose PDF is missing is never
claimed (a task that finds it so returns and leaves it queued) and never swept, so no attempt and
no retry is spent waiting; the moment the PDF exists, the render task hands its e-mails to the
broker (on commit). A PDF that cannot be rendered at all fails its e-mail rows with that reason —
visible to staff, who retry (``delivery_retry``) once the cause is fixed.

Errors: an SMTP 5xx reply fails the row at once with the server's reason; everything else (4xx
replies, disconnects, connection errors and timeouts, a soft time limit, unexpected errors) is
retried with backoff up to ``DELIVERY_MAX_ATTEMPTS``.

Exactly one e-mail per row. Every outcome the worker lives to see is exact: a row is sent by one
claimed run, an SMTP error reply means the server did not take the message, and done is recorded
right after the server's 250. The only window left is a worker that dies *during* the SMTP
conversation or between the 250 and the commit of "done". Its row stays ``running`` and the sweeper
sends it again: we choose **at-least-once** for that window, because a worker killed mid-send has
almost always died before the server's final 250 (the conversation takes milliseconds to seconds,
the gap after the 250 microseconds) — resending is then the only way the reader gets the e-mail at
all, whereas at-most-once would turn every such crash into a lost e-mail. A resend carries the same
``Message-ID``, so in the rare case the first copy did arrive, mail servers and clients that
deduplicate on Message-ID show it once. Rendering has no outside effect and is simply redone.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import ReportError
from ..models import Delivery, Submission
from . import jobs
from .jobs import Outcome, RunResult, SweepResult
from .messages import delivery_message
from .rows import (
    changes_notice_create,
    deliveries_enqueue_on_commit,
    deliveries_publish,
    edition_enqueue_on_commit,
    submission_deliveries_create,
)
from .submission_pdf import submission_edition_ensure, submission_pdf_ensure, submission_pdf_filename

# Callers outside reports/delivery/ (services, web, admin, commands) use the row, PDF and run
# functions from here.
__all__ = [
    "Outcome",
    "RunResult",
    "SweepResult",
    "changes_notice_create",
    "deliveries_sweep",
    "delivery_claim",
    "delivery_retry",
    "delivery_run",
    "edition_run",
    "smtp_error_reason",
    "submission_deliveries_create",
    "submission_pdf_ensure",
    "submission_pdf_filename",
]

logger = logging.getLogger(__name__)

K = Delivery.Kind
St = Delivery.Status
# E-mails that carry the submission's PDF: they are only sent once it exists.
NEEDS_PDF = (K.SECRETARIAT_EMAIL, K.RECEIPT_EMAIL)


def _render_submission_id(row: Delivery) -> int:
    """A PDF row's submission (every one is made with it, ``rows.submission_deliveries_create``)."""
    if row.submission_id is None:
        raise ValueError(f"delivery {row.pk} ({row.kind}) has no submission")
    return row.submission_id


def _render_submission(row: Delivery) -> Submission:
    if row.submission is None:
        raise ValueError(f"delivery {row.pk} ({row.kind}) has no submission")
    return row.submission


def _pdf_ready(row: Delivery) -> bool:
    if row.kind not in NEEDS_PDF:
        return True
    return bool(
        row.submission_id and Submission.objects.filter(pk=row.submission_id).exclude(pdf="").exists()
    )


def delivery_claim(
    *, delivery_id: int, now: datetime | None = None, takeover: bool = False
) -> Delivery | None:
    """Lock the row and mark it running (committed before any work), or ``None`` when there is
    nothing to do: done, failed, running in another task, or an e-mail still waiting for its PDF.
    ``takeover``: the message was handed out again after its process died (``jobs.job_claim``)."""
    takeover_below = settings.DELIVERY_MAX_ATTEMPTS if takeover else 0
    return jobs.job_claim(Delivery, delivery_id, ready=_pdf_ready, now=now, takeover_below=takeover_below)


def delivery_run(*, delivery_id: int, takeover: bool = False) -> RunResult:
    """Claim, do and record one row: what both tasks run."""
    row = delivery_claim(delivery_id=delivery_id, takeover=takeover)
    if row is None:
        return RunResult(Outcome.SKIPPED)
    try:
        if row.kind == K.RENDER_PDF:
            # The compilation edition is rendered afterwards (``edition_enqueue_on_commit``): on a
            # deadline day the e-mails waiting for this PDF do not wait for it as well.
            submission_pdf_ensure(submission=_render_submission(row), edition=False)
        else:
            delivery_message(row).send(fail_silently=False)
    except Exception as exc:  # classified below: transient ones retry, permanent ones fail the row
        permanent, reason = smtp_error_reason(exc)
        return jobs.job_failure(
            Delivery,
            row,
            exc,
            permanent=permanent,
            reason=reason,
            max_attempts=settings.DELIVERY_MAX_ATTEMPTS,
            on_give_up=_fail_waiting_emails,
            name=f"delivery ({row.kind})",
        )
    with transaction.atomic():
        jobs.job_done(Delivery, row)
        if row.kind == K.RENDER_PDF:
            _enqueue_waiting_emails(row)
            edition_enqueue_on_commit(_render_submission_id(row))
    logger.info("delivery %s (%s) done after %s attempt(s)", row.pk, row.kind, row.attempts)
    return RunResult(Outcome.DONE)


def edition_run(*, submission_id: int) -> str:
    """Render the submission's compilation edition unless it is current (``render_edition``). Not
    a delivery row: should it fail, a compilation renders the edition it finds missing."""
    submission = (
        Submission.objects.select_related("report__entity", "report__cycle").filter(pk=submission_id).first()
    )
    if submission is None or not submission.pdf:
        return "skipped"
    submission_edition_ensure(submission=submission)
    return "done"


def _enqueue_waiting_emails(row: Delivery) -> None:
    now = timezone.now()
    waiting = list(
        Delivery.objects.select_for_update()
        .filter(submission_id=_render_submission_id(row), kind__in=NEEDS_PDF, status=St.QUEUED)
        .order_by("pk")
    )
    Delivery.objects.filter(pk__in=[w.pk for w in waiting]).update(enqueued_at=now, updated_at=now)
    deliveries_enqueue_on_commit(waiting)


def smtp_error_reason(exc: BaseException) -> tuple[bool, str]:
    """``(permanent, reason)`` for an exception raised while delivering.

    Permanent: the SMTP server refused with a 5xx code (every recipient, for refused recipients).
    Everything else is worth retrying: 4xx replies, disconnects, connection errors and timeouts,
    a soft time limit, and unexpected errors (they get the same bounded number of attempts)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        reasons = "; ".join(
            f"{address}: {code} {_text(message)}" for address, (code, message) in exc.recipients.items()
        )
        return bool(codes) and all(500 <= code < 600 for code in codes), f"recipients refused: {reasons}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600, f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}"
    return False, jobs.error_text(exc)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _fail_waiting_emails(row: Delivery, reason: str, now: datetime) -> None:
    """A PDF given up on fails the e-mails that wait for it, with that reason."""
    if row.kind != K.RENDER_PDF:
        return
    Delivery.objects.filter(
        submission_id=_render_submission_id(row), kind__in=NEEDS_PDF, status=St.QUEUED
    ).update(
        status=St.FAILED,
        last_error=f"the PDF could not be rendered: {reason}",
        finished_at=now,
        updated_at=now,
    )


def deliveries_sweep(*, now: datetime | None = None) -> SweepResult:
    """Hand over again what the broker lost or a dead worker left behind (celery beat, every minute).

    ``now`` lets tests (and operators) look at the rows as if that much time had passed."""
    now = now or timezone.now()
    with transaction.atomic():
        recovered, failed = jobs.stale_recover(
            Delivery,
            now=now,
            time_limit=settings.CELERY_TASK_TIME_LIMIT,
            max_attempts=settings.DELIVERY_MAX_ATTEMPTS,
            on_give_up=_fail_waiting_emails,
        )
        taken = [r.pk for r in recovered]
        # Rows that need no PDF, and e-mails whose PDF exists.
        due = jobs.overdue_take(Delivery.objects.exclude(kind__in=NEEDS_PDF).exclude(pk__in=taken), now=now)
        due += jobs.overdue_take(
            Delivery.objects.filter(kind__in=NEEDS_PDF, submission__isnull=False).exclude(submission__pdf=""),
            now=now,
        )
    republish = recovered + due
    handed = deliveries_publish([(r.pk, r.kind) for r in republish]) if republish else 0
    if republish or failed:
        logger.warning(
            "sweeper: %s queued row(s) handed over again, %s recovered from dead workers, %s failed",
            len(due),
            len(recovered),
            failed,
        )
    return SweepResult(requeued=len(due), recovered=len(recovered), failed=failed, handed=handed)


@transaction.atomic
def delivery_retry(*, delivery: Delivery) -> Delivery:
    """Staff retry a failed row (e.g. after fixing the SMTP settings or an address). Retrying a
    failed PDF also re-queues the e-mails that failed for want of it."""
    row = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if row.status != St.FAILED:
        raise ReportError(
            _("Only a failed delivery can be retried; this one is “%(status)s”.")
            % {"status": row.get_status_display()}
        )
    ready = _pdf_ready(row)
    # An e-mail whose PDF is missing is handed over by the render row when done (or retried first).
    jobs.job_requeue(row, enqueued=ready)
    if row.kind == K.RENDER_PDF:
        Delivery.objects.filter(
            submission_id=_render_submission_id(row),
            kind__in=NEEDS_PDF,
            status=St.FAILED,
            last_error__startswith="the PDF could not be rendered",
        ).update(
            status=St.QUEUED,
            attempts=0,
            last_error="",
            finished_at=None,
            enqueued_at=None,
            updated_at=timezone.now(),
        )
    if ready:
        deliveries_enqueue_on_commit([row])
    return row

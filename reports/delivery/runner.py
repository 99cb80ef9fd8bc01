"""Delivery as data: the PDF of each submission and the e-mails about it, one ``Delivery`` row each.

What happens on submit (``services.report_submit`` calls ``submission_deliveries_create`` inside its
transaction, so the submission and its rows are saved together or not at all):

1. three rows are created — render the PDF, e-mail the secretariat, the receipt to the entity;
2. after the commit, the render row is handed to the broker (``transaction.on_commit``). A broker
   outage only logs a warning: the request never waits more than the short publish timeout and
   never fails; the row stays ``queued`` and the sweeper hands it over later;
3. the render task stores the PDF on the submission, marks its row done and, in the same
   transaction, hands the two e-mail rows to the broker (on commit). E-mails *wait for the PDF by
   data*: an e-mail row whose PDF is missing is never claimed (a task that finds it so returns and
   leaves it queued) and never swept, so no attempt and no retry is spent waiting; the moment the
   PDF exists its e-mails are enqueued. A PDF that cannot be rendered at all fails its e-mail rows
   with that reason — visible to staff, who retry (``delivery_retry``) once the cause is fixed.

Running a row (``delivery_run``, what the tasks call):

- **claim**: lock the row, return if it is done, failed or already running; otherwise mark it
  ``running`` (``started_at``, ``attempts + 1``) and *commit* before doing the work. A second task
  for the same row — a duplicate message, a redelivery, the sweeper's re-enqueue — finds it
  running or done and does nothing. This is what makes "the same task run twice" send one e-mail.
- **work**: render, or build and send the message through SMTP.
- **record**: done; or, on a transient error (SMTP 4xx, disconnects, connection errors, timeouts,
  anything unexpected), back to ``queued`` with ``enqueued_at`` set to when the retry is due
  (exponential backoff: ``DELIVERY_RETRY_DELAY`` doubled per attempt up to
  ``DELIVERY_RETRY_MAX_DELAY``), until ``DELIVERY_MAX_ATTEMPTS``; on a permanent error (SMTP 5xx)
  ``failed`` with the server's reason in ``last_error``.

The sweeper (``deliveries_sweep``, every minute from celery beat) re-enqueues rows still ``queued``
``DELIVERY_SWEEP_AFTER`` seconds after they were due (publish lost to a broker outage, retry lost),
and rows left ``running`` longer than the hard task time limit plus that margin: no task can run
that long (the hard limit kills it), so their worker died — SIGKILL, out of memory, a lost host.

Exactly one e-mail per row. Every outcome the worker lives to see is exact: a row is sent by one
claimed run, an SMTP error reply means the server did not take the message, and done is recorded
right after the server's 250. The only window left is a worker that dies *during* the SMTP
conversation or between the 250 and the commit of "done". Its row stays ``running`` and the sweeper
sends it again: we choose **at-least-once** for that window, because a worker killed mid-send has
almost always died before the server's final 250 (the conversation takes milliseconds to seconds,
the gap after the 250 microseconds) — resending is then the only way the secretariat gets the
e-mail at all, whereas at-most-once would turn every such crash into a lost e-mail. A resend
carries the same ``Message-ID`` (derived from the row), so in the rare case the first copy did
arrive, mail servers and clients that deduplicate on Message-ID show it once, and anyone can tell
the copies are the same message. Rendering has no outside effect and is simply redone.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from action_lines.models import ActionLine

from ..document.pdf import pdf_filename, report_pdf
from ..errors import ReportError
from ..models import Delivery, Membership, Report, ReportingCycle, Submission
from .emails import message_build

logger = logging.getLogger(__name__)

K = Delivery.Kind
St = Delivery.Status
# E-mails that carry the submission's PDF: they are only sent once it exists.
NEEDS_PDF = (K.SECRETARIAT_EMAIL, K.RECEIPT_EMAIL)
EMAIL_KINDS = (K.SECRETARIAT_EMAIL, K.RECEIPT_EMAIL, K.NOTICE_EMAIL)
SWEEP_BATCH = 500


# --- Creating rows (inside the caller's transaction) --------------------------------------------------


def secretariat_address(cycle: ReportingCycle) -> str:
    return cycle.secretariat_email or settings.SECRETARIAT_EMAIL


def _unique(addresses: Iterable[str | None]) -> list[str]:
    seen: set[str] = set()
    result = []
    for address in addresses:
        address = (address or "").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def _member_emails(report: Report, *, owners_only: bool = False) -> list[str]:
    memberships = Membership.objects.filter(entity_id=report.entity_id).select_related("user")
    if owners_only:
        memberships = memberships.filter(role=Membership.Role.OWNER)
    # Owners first, then the others, each group by e-mail: a stable order for the To: line.
    ordered = sorted(memberships, key=lambda m: (m.role != Membership.Role.OWNER, m.user.email.lower()))
    return _unique(m.user.email for m in ordered)


def submission_deliveries_create(*, submission: Submission) -> list[Delivery]:
    """The delivery rows of a new submission; its PDF is handed to the broker after the commit.

    Call inside the transaction that creates the submission (``services.report_submit``)."""
    report = submission.report
    now = timezone.now()
    submitter = getattr(submission.submitted_by, "email", "")
    rows = [
        Delivery(report=report, submission=submission, kind=K.RENDER_PDF, enqueued_at=now),
        Delivery(
            report=report,
            submission=submission,
            kind=K.SECRETARIAT_EMAIL,
            recipients=[secretariat_address(report.cycle)],
        ),
    ]
    receipt_to = _unique([submitter, *_member_emails(report, owners_only=True)])
    if receipt_to:
        rows.append(
            Delivery(report=report, submission=submission, kind=K.RECEIPT_EMAIL, recipients=receipt_to)
        )
    for row in rows:
        row.save()
    deliveries_enqueue_on_commit(rows[:1])
    return rows


def changes_notice_create(*, report: Report, message: str) -> Delivery | None:
    """The e-mail telling every member of the entity what the secretariat wants changed.

    Call inside the transaction of ``services.report_request_changes``."""
    recipients = _member_emails(report)
    if not recipients:
        logger.warning("report %s: changes requested, but its entity has no members to tell", report.pk)
        return None
    row = Delivery.objects.create(
        report=report,
        submission=report.submissions.order_by("-number").first(),
        kind=K.NOTICE_EMAIL,
        recipients=recipients,
        context={"message": message},
        enqueued_at=timezone.now(),
    )
    deliveries_enqueue_on_commit([row])
    return row


# --- Handing rows to the broker ----------------------------------------------------------------------


def deliveries_enqueue_on_commit(rows: Iterable[Delivery]) -> None:
    jobs = [(row.pk, row.kind) for row in rows]
    if jobs:
        transaction.on_commit(partial(deliveries_publish, jobs), robust=True)


def deliveries_publish(jobs: Iterable[tuple[int, str]]) -> int:
    """Hand rows to the broker; returns how many were handed over.

    Never raises and never waits long (``tasks.publish``: the broker settings bound each attempt).
    When the broker is down the rows stay queued and the sweeper hands them over when it is back."""
    from . import tasks  # the tasks import this module

    handed = 0
    for pk, kind in jobs:
        task = tasks.render_pdf if kind == K.RENDER_PDF else tasks.send_email
        if not tasks.publish(task, pk, model=f"delivery ({kind})"):
            break  # the broker is down: do not wait once per row
        handed += 1
    return handed


# --- Running a row (the tasks) ------------------------------------------------------------------------


class Outcome(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"  # nothing to do: done, failed, running elsewhere, or waiting for its PDF
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    retry_in: float | None = None
    error: str = ""


def retry_delay(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: the base delay doubled per attempt, capped."""
    base = settings.DELIVERY_RETRY_DELAY
    return float(min(base * 2 ** max(attempts - 1, 0), settings.DELIVERY_RETRY_MAX_DELAY))


def _pdf_ready(row: Delivery) -> bool:
    if row.kind not in NEEDS_PDF:
        return True
    return bool(
        row.submission_id and Submission.objects.filter(pk=row.submission_id).exclude(pdf="").exists()
    )


def delivery_claim(*, delivery_id: int, now: datetime | None = None) -> Delivery | None:
    """Lock the row and mark it running (committed before any work), or ``None`` when there is
    nothing to do: done, failed, running in another task, or an e-mail still waiting for its PDF."""
    with transaction.atomic():
        row = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if row is None or row.status != St.QUEUED or not _pdf_ready(row):
            return None
        row.status = St.RUNNING
        row.started_at = now or timezone.now()
        row.finished_at = None
        row.attempts += 1
        row.save(update_fields=["status", "started_at", "finished_at", "attempts", "updated_at"])
    return row


def delivery_run(*, delivery_id: int) -> RunResult:
    """Claim, do and record one row: what both tasks run."""
    row = delivery_claim(delivery_id=delivery_id)
    if row is None:
        return RunResult(Outcome.SKIPPED)
    try:
        if row.kind == K.RENDER_PDF:
            submission_pdf_ensure(submission=row.submission)
        else:
            delivery_message(row).send(fail_silently=False)
    except Exception as exc:  # classified below: transient ones retry, permanent ones fail the row
        return _record_failure(row, exc)
    _record_done(row)
    return RunResult(Outcome.DONE)


def _record_done(row: Delivery) -> None:
    now = timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(pk=row.pk, status__in=[St.QUEUED, St.RUNNING]).update(
            status=St.DONE, finished_at=now, last_error="", updated_at=now
        )
        if row.kind == K.RENDER_PDF:
            waiting = list(
                Delivery.objects.select_for_update()
                .filter(submission_id=row.submission_id, kind__in=NEEDS_PDF, status=St.QUEUED)
                .order_by("pk")
            )
            Delivery.objects.filter(pk__in=[w.pk for w in waiting]).update(enqueued_at=now, updated_at=now)
            deliveries_enqueue_on_commit(waiting)
    logger.info("delivery %s (%s) done after %s attempt(s)", row.pk, row.kind, row.attempts)


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
    return False, f"{type(exc).__name__}: {exc}"[:2000]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _record_failure(row: Delivery, exc: BaseException) -> RunResult:
    permanent, reason = smtp_error_reason(exc)
    now = timezone.now()
    give_up = permanent or row.attempts >= settings.DELIVERY_MAX_ATTEMPTS
    with transaction.atomic():
        current = Delivery.objects.select_for_update().filter(pk=row.pk).first()
        if current is None or current.status != St.RUNNING or current.started_at != row.started_at:
            return RunResult(Outcome.SKIPPED, error=reason)  # the sweeper took it over meanwhile
        current.last_error = reason if permanent else f"attempt {row.attempts}: {reason}"
        if give_up:
            if not permanent:
                current.last_error = f"gave up after {row.attempts} attempts; last: {reason}"
            current.status = St.FAILED
            current.finished_at = now
            current.save(update_fields=["status", "finished_at", "last_error", "updated_at"])
            if row.kind == K.RENDER_PDF:
                _fail_waiting_emails(row, f"the PDF could not be rendered: {reason}", now)
        else:
            delay = retry_delay(row.attempts)
            current.status = St.QUEUED
            current.enqueued_at = now + timedelta(seconds=delay)
            current.save(update_fields=["status", "enqueued_at", "last_error", "updated_at"])
    unexpected = not isinstance(exc, (smtplib.SMTPException, OSError))  # a bug: keep its traceback
    if give_up:
        logger.error(
            "delivery %s (%s) failed: %s",
            row.pk,
            row.kind,
            current.last_error,
            exc_info=exc if unexpected else None,
        )
        return RunResult(Outcome.FAILED, error=current.last_error)
    logger.warning(
        "delivery %s (%s) will be retried in %.0f s: %s",
        row.pk,
        row.kind,
        delay,
        reason,
        exc_info=exc if unexpected else None,
    )
    return RunResult(Outcome.RETRY, retry_in=delay, error=reason)


def _fail_waiting_emails(row: Delivery, reason: str, now: datetime) -> None:
    Delivery.objects.filter(submission_id=row.submission_id, kind__in=NEEDS_PDF, status=St.QUEUED).update(
        status=St.FAILED, last_error=reason, finished_at=now, updated_at=now
    )


# --- The sweeper ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    requeued: int  # queued rows handed to the broker again
    recovered: int  # rows left running by a dead worker, queued again
    failed: int  # rows left running by a dead worker too many times
    handed: int  # how many of those the broker took


def deliveries_sweep(*, now: datetime | None = None) -> SweepResult:
    """Hand over again what the broker lost or a dead worker left behind (celery beat, every minute).

    ``now`` lets tests (and operators) look at the rows as if that much time had passed."""
    now = now or timezone.now()
    margin = timedelta(seconds=settings.DELIVERY_SWEEP_AFTER)
    running_limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + margin
    republish: list[Delivery] = []
    recovered = failed = 0
    with transaction.atomic():
        stale = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=St.RUNNING, started_at__lt=now - running_limit)
            .order_by("pk")[:SWEEP_BATCH]
        )
        for row in stale:
            started = timezone.localtime(row.started_at).strftime("%Y-%m-%d %H:%M:%S %Z")
            note = f"the worker stopped while on attempt {row.attempts} (started {started})"
            if row.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
                row.status, row.finished_at, row.last_error = St.FAILED, now, f"gave up: {note}"
                row.save(update_fields=["status", "finished_at", "last_error", "updated_at"])
                if row.kind == K.RENDER_PDF:
                    _fail_waiting_emails(row, "the PDF could not be rendered: " + row.last_error, now)
                failed += 1
                continue
            row.status, row.enqueued_at, row.last_error = St.QUEUED, now, f"{note}; queued again"
            row.save(update_fields=["status", "enqueued_at", "last_error", "updated_at"])
            republish.append(row)
            recovered += 1

        overdue = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - margin)
        queued = Delivery.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            overdue, status=St.QUEUED
        )
        due = list(
            queued.exclude(kind__in=NEEDS_PDF)
            .exclude(pk__in=[r.pk for r in republish])
            .order_by("pk")[:SWEEP_BATCH]
        ) + list(
            queued.filter(kind__in=NEEDS_PDF, submission__isnull=False)
            .exclude(submission__pdf="")
            .order_by("pk")[:SWEEP_BATCH]
        )
        Delivery.objects.filter(pk__in=[r.pk for r in due]).update(enqueued_at=now, updated_at=now)
        republish += due
    handed = deliveries_publish([(r.pk, r.kind) for r in republish]) if republish else 0
    if republish or failed:
        logger.warning(
            "sweeper: %s queued row(s) handed over again, %s recovered from dead workers, %s failed",
            len(due),
            recovered,
            failed,
        )
    return SweepResult(requeued=len(due), recovered=recovered, failed=failed, handed=handed)


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
    now = timezone.now()
    row.status, row.attempts, row.last_error, row.finished_at = St.QUEUED, 0, "", None
    row.enqueued_at = now
    row.save(update_fields=["status", "attempts", "last_error", "finished_at", "enqueued_at", "updated_at"])
    publish = [row]
    if row.kind == K.RENDER_PDF:
        Delivery.objects.filter(
            submission_id=row.submission_id,
            kind__in=NEEDS_PDF,
            status=St.FAILED,
            last_error__startswith="the PDF could not be rendered",
        ).update(
            status=St.QUEUED, attempts=0, last_error="", finished_at=None, enqueued_at=None, updated_at=now
        )
    elif not _pdf_ready(row):
        # Its PDF is missing: the render row hands it over when done (or is retried first).
        row.enqueued_at = None
        row.save(update_fields=["enqueued_at", "updated_at"])
        publish = []
    deliveries_enqueue_on_commit(publish)
    return row


# --- The PDF ---------------------------------------------------------------------------------------------


def submission_pdf_ensure(*, submission: Submission, force: bool = False) -> Submission:
    """Render and store the submission's PDF (and its page map) unless it already has them: a re-run
    after a worker died between storing the file and recording the row as done costs nothing.
    ``force`` renders again (operators; an older PDF without a page map)."""
    submission = Submission.objects.select_related("report__entity", "report__cycle").get(pk=submission.pk)
    if submission.pdf and submission.pdf_page_map and not force:
        return submission
    rendered = report_pdf(
        submission.content,
        number=submission.number,
        submitted_at=submission.submitted_at,
        is_late=submission.is_late,
    )
    submission.pdf.save(submission_pdf_filename(submission), ContentFile(rendered.content), save=False)
    submission.pdf_pages = rendered.pages
    submission.pdf_page_map = rendered.page_map
    Submission.objects.filter(pk=submission.pk).update(
        pdf=submission.pdf.name, pdf_pages=rendered.pages, pdf_page_map=rendered.page_map
    )
    return submission


def submission_pdf_filename(submission: Submission) -> str:
    return pdf_filename(
        entity_name=submission.content.get("entity", {}).get("name") or submission.report.entity.name,
        cycle_slug=submission.report.cycle.slug,
        number=submission.number,
    )


# --- The e-mails (one short function each) -------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _url(name: str, *args: Any, fallback: str = "reports:home") -> str:
    try:
        return _absolute(reverse(name, args=args))
    except NoReverseMatch:
        return _absolute(reverse(fallback))


def message_id(row: Delivery) -> str:
    """The same for every attempt at one row, so a resend is recognisably the same message."""
    domain = urlsplit(settings.SITE_URL).hostname or "wsis-portal.invalid"
    stamp = int(row.created_at.timestamp()) if row.created_at else 0
    return f"<delivery-{row.pk}.{stamp}@{domain}>"


def _pdf_attachment(submission: Submission) -> tuple[str, bytes, str]:
    with submission.pdf.open("rb") as fh:
        return submission_pdf_filename(submission), fh.read(), "application/pdf"


def submission_summary(submission: Submission) -> dict[str, Any]:
    """What the secretariat reads first: who, where, which submission, which Action Lines."""
    doc = submission.content
    labels = {line.code: line.label for line in ActionLine.objects.all()}
    covered, not_applicable = [], []
    for row in doc.get("action_lines", []):
        label = labels.get(row["code"], row["code"])
        if row.get("not_applicable"):
            not_applicable.append(label)
        elif any(
            (row.get(name) or "").strip() for name in ("achievements", "challenges", "future_priorities")
        ):
            covered.append(label)
    return {
        "doc": doc,
        "entity": doc.get("entity", {}),
        "cycle_name": doc.get("cycle", {}).get("name", submission.report.cycle.name),
        "number": submission.number,
        "submitted_at": timezone.localtime(submission.submitted_at),
        "is_late": submission.is_late,
        "submitted_by": getattr(submission.submitted_by, "email", ""),
        "lines_covered": covered,
        "lines_not_applicable": not_applicable,
        "indicators": len(doc.get("indicators", [])),
        "pages": submission.pdf_pages,
        "contact": doc.get("contact", {}),
    }


def _valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def secretariat_message(row: Delivery) -> EmailMultiAlternatives:
    submission = row.submission
    summary = submission_summary(submission)
    contact_email = (summary["contact"].get("email") or "").strip()
    return message_build(
        "submission_secretariat",
        to=row.recipients,
        context={
            **summary,
            "admin_url": _url("admin:reports_report_change", submission.report_id, fallback="admin:index"),
        },
        attachments=[_pdf_attachment(submission)],
        reply_to=[contact_email] if contact_email and _valid_email(contact_email) else [],
        headers={"Message-ID": message_id(row)},
    )


def receipt_message(row: Delivery) -> EmailMultiAlternatives:
    submission = row.submission
    return message_build(
        "submission_receipt",
        to=row.recipients,
        context={
            **submission_summary(submission),
            "secretariat_email": secretariat_address(submission.report.cycle),
            "download_url": _url("reports:submission_pdf", submission.pk),
        },
        attachments=[_pdf_attachment(submission)],
        headers={"Message-ID": message_id(row)},
    )


def notice_message(row: Delivery) -> EmailMultiAlternatives:
    report = row.report
    return message_build(
        "changes_requested",
        to=row.recipients,
        context={
            "entity": {"name": report.entity.name, "acronym": report.entity.acronym},
            "cycle_name": report.cycle.name,
            "message": row.context.get("message", ""),
            "number": row.submission.number if row.submission else None,
            "workspace_url": _url("reports:workspace", report.pk),
            "secretariat_email": secretariat_address(report.cycle),
        },
        headers={"Message-ID": message_id(row)},
    )


MESSAGES = {
    K.SECRETARIAT_EMAIL: secretariat_message,
    K.RECEIPT_EMAIL: receipt_message,
    K.NOTICE_EMAIL: notice_message,
}


def delivery_message(row: Delivery) -> EmailMultiAlternatives:
    """The e-mail of a row: the secretariat's in the portal's language, the stakeholders' (receipt,
    changes requested) in the language their report is written in."""
    row = Delivery.objects.select_related("submission__submitted_by", "report__entity", "report__cycle").get(
        pk=row.pk
    )
    language = settings.LANGUAGE_CODE
    if row.kind != K.SECRETARIAT_EMAIL:
        language = row.report.language or language
    with translation.override(language):
        return MESSAGES[row.kind](row)

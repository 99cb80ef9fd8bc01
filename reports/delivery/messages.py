"""The e-mail of each kind of delivery row, one short function each (built with
``emails.message_build`` from ``templates/emails/``).

Every attempt at one row builds the same message with the same ``Message-ID`` (derived from the
row), so a resend after a worker died mid-send is recognisably the same message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import timezone, translation

from action_lines.models import ActionLine

from .. import selectors, text
from ..models import Delivery, Report, Submission
from .emails import message_build
from .rows import secretariat_address
from .submission_pdf import submission_pdf_filename

K = Delivery.Kind
T = TypeVar("T")

# The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): typed into a
# name, they make it read otherwise than it is written (an override before "gpj.exe" shows "exe.jpg").
# Forms strip them from names (``reports/web/forms.py``); no e-mail subject carries them.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def bidi_strip(value: str) -> str:
    """``value`` without the bidirectional controls (the marks U+200E/U+200F stay: they only
    place punctuation in right-to-left names and cannot reorder what follows)."""
    return value.translate(BIDI_CONTROLS)


def _target(row: Delivery, value: T | None) -> T:
    """The row's target (its submission, report, compilation or invitation): the database's
    constraint gives every kind of row its own, so it is never missing for that kind."""
    if value is None:
        raise ValueError(f"delivery {row.pk} ({row.kind}) has no target")
    return value


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _url(name: str, *args: Any, **kwargs: Any) -> str:
    """An address on SITE_URL. No fallback: a link that cannot be built fails the row, visibly."""
    return _absolute(reverse(name, args=args or None, kwargs=kwargs or None))


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
    lines = list(ActionLine.objects.select_related("parent").order_by("order"))
    labels = {line.code: line.label for line in lines}
    parents = {line.code: line.parent.code for line in lines if line.parent is not None}
    rows = doc.get("action_lines", [])

    def addressed(row: dict[str, Any]) -> bool:
        return text.is_addressed(
            not_applicable=bool(row.get("not_applicable")),
            answers=(row.get(name) for name in ("achievements", "challenges", "future_priorities")),
        )

    # C7 is addressed by any of its sub-lines (its own mark then does not hold).
    sub_lines: dict[str, list[bool]] = {}
    for row in rows:
        if row["code"] in parents:
            sub_lines.setdefault(parents[row["code"]], []).append(addressed(row))
    covered, not_applicable = [], []
    for row in rows:
        label = labels.get(row["code"], row["code"])
        subs = sub_lines.get(row["code"], [])
        if text.is_not_applicable(not_applicable=bool(row.get("not_applicable")), sub_lines=subs):
            not_applicable.append(label)
        elif text.is_addressed_with_sub_lines(
            not_applicable=bool(row.get("not_applicable")),
            answers=(row.get(name) for name in ("achievements", "challenges", "future_priorities")),
            sub_lines=subs,
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
    submission = _target(row, row.submission)
    summary = submission_summary(submission)
    contact_email = (summary["contact"].get("email") or "").strip()
    return message_build(
        "submission_secretariat",
        to=row.recipients,
        context={
            **summary,
            "admin_url": _url("admin:reports_report_change", submission.report_id),
        },
        attachments=[_pdf_attachment(submission)],
        reply_to=[contact_email] if contact_email and _valid_email(contact_email) else [],
        headers={"Message-ID": message_id(row)},
    )


def receipt_message(row: Delivery) -> EmailMultiAlternatives:
    submission = _target(row, row.submission)
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


def _flagged_sections(sections: list[dict[str, str]]) -> list[dict[str, str]]:
    """The sections the secretariat flagged, named in the reader's language, with their comments."""
    labels = selectors.review_section_labels([s.get("key", "") for s in sections])
    return [{"label": labels[s.get("key", "")], "comment": s.get("comment", "")} for s in sections]


def notice_message(row: Delivery) -> EmailMultiAlternatives:
    report = _target(row, row.report)
    status = row.context.get("status", "")
    if status in {Report.Status.ACCEPTED, Report.Status.PUBLISHED}:
        return status_notice_message(row, report=report, template=status)  # emails/accepted_*, published_*
    return message_build(
        "changes_requested",
        to=row.recipients,
        context={
            "entity": {"name": report.entity.name, "acronym": report.entity.acronym},
            "cycle_name": report.cycle.name,
            "message": row.context.get("message", ""),
            "sections": _flagged_sections(row.context.get("sections") or []),
            "number": row.submission.number if row.submission else None,
            "workspace_url": _url("reports:workspace", report.pk),
            "secretariat_email": secretariat_address(report.cycle),
            "changes_due_at": report.changes_due_at,
            "time_zone": report.cycle.time_zone,
        },
        headers={"Message-ID": message_id(row)},
    )


def status_notice_message(row: Delivery, *, report: Report, template: str) -> EmailMultiAlternatives:
    """The secretariat accepted (``accepted``) or published (``published``) the report: which
    submission, and for a published one the link to download its PDF."""
    submission = row.submission
    return message_build(
        template,
        to=row.recipients,
        context={
            "entity": {"name": report.entity.name, "acronym": report.entity.acronym},
            "cycle_name": report.cycle.name,
            "number": submission.number if submission else None,
            "download_url": _url("reports:submission_pdf", submission.pk) if submission else "",
            "workspace_url": _url("reports:workspace", report.pk),
            # Its public page (published reports only; the accepted e-mail does not show it).
            "public_url": _url("public:report", report.pk),
            "secretariat_email": secretariat_address(report.cycle),
        },
        headers={"Message-ID": message_id(row)},
    )


def reminder_message(row: Delivery) -> EmailMultiAlternatives:
    """A deadline reminder: the deadline in the cycle's time zone, named, and the workspace's link."""
    report = _target(row, row.report)
    due = datetime.fromisoformat(row.context["due"]) if row.context.get("due") else report.cycle.deadline
    return message_build(
        "reminder",
        to=row.recipients,
        context={
            "entity": {"name": report.entity.name, "acronym": report.entity.acronym},
            "cycle_name": report.cycle.name,
            "due": due,
            "time_zone": report.cycle.time_zone,
            "passed": int(row.context.get("step", 0)) < 0,  # days before the due moment when decided
            "refuses_late": report.cycle.late_policy == report.cycle.LatePolicy.REFUSE,
            "changes_requested": report.status == report.Status.CHANGES_REQUESTED,
            "chased": bool(row.context.get("chased")),
            "workspace_url": _url("reports:workspace", report.pk),
            "secretariat_email": secretariat_address(report.cycle),
        },
        headers={"Message-ID": message_id(row)},
    )


def compilation_message(row: Delivery) -> EmailMultiAlternatives:
    job = _target(row, row.compilation)
    return message_build(
        "compilation_ready",
        to=row.recipients,
        context={
            "job": job,
            "link": _url("admin:reports_compilation_download", job.pk),
        },
        headers={"Message-ID": message_id(row)},
    )


def invitation_message(row: Delivery) -> EmailMultiAlternatives:
    invitation = _target(row, row.invitation)
    return message_build(
        "invitation",
        to=row.recipients,
        context={
            "entity": invitation.entity,
            "inviter": invitation.invited_by,
            "url": _url("reports:invitation", token=row.context.get("token", "")),
            "expires": invitation.expires_at,
        },
        headers={"Message-ID": message_id(row)},
    )


MESSAGES: dict[str, Callable[[Delivery], EmailMultiAlternatives]] = {
    K.SECRETARIAT_EMAIL: secretariat_message,
    K.RECEIPT_EMAIL: receipt_message,
    K.NOTICE_EMAIL: notice_message,
    K.COMPILATION_EMAIL: compilation_message,
    K.INVITATION_EMAIL: invitation_message,
    K.REMINDER_EMAIL: reminder_message,
}


def _language(row: Delivery) -> str:
    """The secretariat's e-mails (a submission, a compilation) in the portal's language; an
    invitation in the language its sender used; the stakeholders' (receipt, changes requested,
    deadline reminders) in the language their report is written in."""
    if row.kind == K.INVITATION_EMAIL:
        return row.context.get("language") or settings.LANGUAGE_CODE
    if row.kind != K.SECRETARIAT_EMAIL and row.report is not None:
        return row.report.language or settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


def delivery_message(row: Delivery) -> EmailMultiAlternatives:
    """The e-mail of a row, in its reader's language."""
    row = Delivery.objects.select_related(
        "submission__submitted_by",
        "report__entity",
        "report__cycle",
        "compilation__cycle",
        "invitation__entity",
        "invitation__invited_by",
    ).get(pk=row.pk)
    with translation.override(_language(row)):
        message = MESSAGES[row.kind](row)
    message.subject = bidi_strip(str(message.subject))  # also names stored before forms stripped them
    return message

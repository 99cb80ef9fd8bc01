"""Creating delivery rows, inside the transaction of what causes them, and handing them to the broker
after its commit.

- a submission (``services.report_submit``): render the PDF, e-mail the secretariat, the receipt to
  the entity; only the PDF is handed over on commit, its e-mails when it exists
  (``reports/delivery/runner.py``);
- changes requested (``services.report_request_changes``): the notice to every member;
- accepted or published (``services.report_transition``): the notice to every member;
- a compilation built (``reports/compilation/build.py``): the e-mail to whoever asked for it;
- an invitation (``reports/web/invitations.py``): its e-mail.
- a deadline reminder (``reports/deadlines.py``): one e-mail to the entity's owners and editors.

A broker outage only logs a warning: the request never waits more than the short publish timeout
and never fails; the row stays ``queued`` and the sweeper hands it over later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import (
    Compilation,
    Delivery,
    Invitation,
    Membership,
    Reminder,
    Report,
    ReportingCycle,
    Submission,
)

logger = logging.getLogger(__name__)

K = Delivery.Kind


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


def changes_notice_create(
    *, report: Report, message: str, sections: list[dict[str, str]] | None = None
) -> Delivery | None:
    """The e-mail telling every member of the entity what the secretariat wants changed: its
    message and the flagged sections with their comments (``sections``: key and comment; the
    e-mail names each section in its reader's language).

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
        context={"message": message, "sections": sections or []},
        enqueued_at=timezone.now(),
    )
    deliveries_enqueue_on_commit([row])
    return row


def status_notice_create(*, report: Report, status: str) -> Delivery | None:
    """The e-mail telling every member of the entity that the secretariat accepted or published
    their report (``context["status"]``; a published one links to its PDF). Once per submission and
    status: moving back and forth (unpublish, publish again) does not tell them twice.

    Call inside the transaction of ``services.report_transition``."""
    submission = report.submissions.order_by("-number").first()
    told = Delivery.objects.filter(
        report=report, submission=submission, kind=K.NOTICE_EMAIL, context__status=status
    )
    if told.exists():
        return None
    recipients = _member_emails(report)
    if not recipients:
        logger.warning("report %s: %s, but its entity has no members to tell", report.pk, status)
        return None
    row = Delivery.objects.create(
        report=report,
        submission=submission,
        kind=K.NOTICE_EMAIL,
        recipients=recipients,
        context={"status": status},
        enqueued_at=timezone.now(),
    )
    deliveries_enqueue_on_commit([row])
    return row


def compilation_email_create(*, compilation: Compilation) -> Delivery | None:
    """The e-mail telling whoever asked for a compilation that it is ready (one per compilation:
    a second call returns the row the first one created).

    Call inside the transaction that records the compilation done."""
    email = getattr(compilation.requested_by, "email", "")
    if not email:
        return None
    row, created = Delivery.objects.get_or_create(
        compilation=compilation,
        kind=K.COMPILATION_EMAIL,
        defaults={"recipients": [email], "enqueued_at": timezone.now()},
    )
    if created:
        deliveries_enqueue_on_commit([row])
    return row


def invitation_email_create(*, invitation: Invitation, token: str, language: str) -> Delivery:
    """The e-mail of a new invitation, with its signed link (``token``), in ``language``.

    Call inside the transaction that creates the invitation."""
    row = Delivery.objects.create(
        invitation=invitation,
        kind=K.INVITATION_EMAIL,
        recipients=[invitation.email],
        context={"token": token, "language": language},
        enqueued_at=timezone.now(),
    )
    deliveries_enqueue_on_commit([row])
    return row


def entity_member_emails(report: Report) -> list[str]:
    """The addresses of the report's entity's owners and editors, owners first."""
    return _member_emails(report)


def reminder_email_create(*, report: Report, reminder: Reminder, due: datetime) -> Delivery:
    """The e-mail of a deadline reminder (scheduled or chased by the Secretariat) to its recipients;
    ``due`` is when submitting stops being on time for this report (``deadlines.submission_due``).

    Call inside the transaction that records the ``Reminder`` (``reports/deadlines.py``)."""
    row = Delivery.objects.create(
        report=report,
        kind=K.REMINDER_EMAIL,
        recipients=list(reminder.recipients),
        context={
            "reminder": reminder.pk,
            "step": reminder.step,
            "chased": reminder.chased_by_id is not None,
            "due": due.isoformat(),
        },
        enqueued_at=timezone.now(),
    )
    deliveries_enqueue_on_commit([row])
    return row


# --- Handing rows to the broker ----------------------------------------------------------------------


def deliveries_enqueue_on_commit(rows: Iterable[Delivery]) -> None:
    jobs = [(row.pk, row.kind) for row in rows]
    if jobs:
        transaction.on_commit(partial(deliveries_publish, jobs), robust=True)


def edition_enqueue_on_commit(submission_id: int) -> None:
    """Once committed, hand the render of the submission's compilation edition to the broker."""
    transaction.on_commit(partial(edition_publish, submission_id), robust=True)


def edition_publish(submission_id: int) -> bool:
    from . import tasks  # noqa: PLC0415 (as in deliveries_publish)

    return tasks.publish(tasks.render_edition, submission_id, model="compilation edition of submission")


def deliveries_publish(jobs: Iterable[tuple[int, str]]) -> int:
    """Hand rows to the broker; returns how many were handed over.

    Never raises and never waits long (``tasks.publish``: the broker settings bound each attempt).
    When the broker is down the rows stay queued and the sweeper hands them over when it is back."""
    from . import tasks  # noqa: PLC0415 (the task meets its service: the tasks import the runner, which imports this module)

    handed = 0
    for pk, kind in jobs:
        task = tasks.render_pdf if kind == K.RENDER_PDF else tasks.send_email
        if not tasks.publish(task, pk, model=f"delivery ({kind})"):
            break  # the broker is down: do not wait once per row
        handed += 1
    return handed

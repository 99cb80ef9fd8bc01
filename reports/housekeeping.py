"""Housekeeping run by Celery beat: expired sessions, and the retention of personal data.

- **Sessions** (hourly): Django's ``clearsessions`` deletes expired sessions, and with them the
  text kept over an expired login (``reports/web/stash.py``), which lives in the session.
- **Audit rows** (daily): security events (``SecurityEvent``) and django-auditlog's model history
  (``LogEntry``) older than ``RETENTION_AUDIT_DAYS`` (default 400: a year and its audit) are deleted.
- **Follow-up contacts** (daily): ``RETENTION_CONTACT_YEARS`` (default 3) after a reporting cycle's
  deadline, the contact person of its reports is cleared — name, position, e-mail, phone and
  address (the entity unit, not a person's data, stays) — in the report, in every submission's
  snapshot, and in the submission's PDF, rendered again from the cleared snapshot (at most
  ``PDF_BATCH`` per run; until then the PDF download says it is being prepared).

The functions take ``now`` for tests and return counts; the tasks are thin wrappers, found by
Celery through ``reports/tasks.py``.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from auditlog.models import LogEntry
from celery import shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .delivery import runner
from .models import FollowUpContact, Report, SecurityEvent, Submission

# The follow-up contact's fields that describe a person (``unit`` names part of the entity).
CONTACT_PERSONAL_FIELDS = ("name", "position", "email", "phone", "address")
CLEARED_MARK = "contact_cleared_at"  # set in a submission's snapshot once its contact is cleared
PDF_BATCH = 20  # PDFs rendered again per run (WeasyPrint: about a second each)


def sessions_clear() -> int:
    """Delete expired sessions (Django's ``clearsessions``); returns how many there were."""
    expired = Session.objects.filter(expire_date__lt=timezone.now()).count()
    call_command("clearsessions")
    return expired


def audit_retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """Delete security events and model-history rows older than ``RETENTION_AUDIT_DAYS``."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_AUDIT_DAYS)
    events, _ = SecurityEvent.objects.filter(created_at__lt=cutoff).delete()
    history, _ = LogEntry.objects.filter(timestamp__lt=cutoff).delete()
    return {"security_events": events, "history": history}


def _contact_cutoff(now: datetime) -> datetime:
    years = settings.RETENTION_CONTACT_YEARS
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


@dataclass
class ContactsCleared:
    contacts: int = 0
    snapshots: int = 0
    pdfs: int = 0


def contacts_retention_apply(*, now: datetime | None = None, pdf_batch: int = PDF_BATCH) -> ContactsCleared:
    """Clear the follow-up contacts of the reports of cycles whose deadline is more than
    ``RETENTION_CONTACT_YEARS`` ago: the rows, the submissions' snapshots, then (``pdf_batch`` at a
    time) their PDFs. Idempotent: what is cleared is not touched again."""
    now = now or timezone.now()
    result = ContactsCleared()
    reports = Report.objects.filter(cycle__deadline__lt=_contact_cutoff(now)).values("pk")
    filled = Q()
    for name in CONTACT_PERSONAL_FIELDS:
        filled |= ~Q(**{name: ""})
    result.contacts = FollowUpContact.objects.filter(filled, report__in=reports).update(
        **dict.fromkeys(CONTACT_PERSONAL_FIELDS, ""), updated_at=now
    )
    pending = Submission.objects.filter(report__in=reports).exclude(content__has_key=CLEARED_MARK)
    for pk in pending.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            submission = Submission.objects.select_for_update().get(pk=pk)
            content = dict(submission.content)
            contact = dict(content.get("contact") or {})
            content["contact"] = {**contact, **dict.fromkeys(CONTACT_PERSONAL_FIELDS, "")}
            content[CLEARED_MARK] = now.isoformat()
            old_pdf = submission.pdf.name if submission.pdf else ""
            # The compilation edition holds the contact too (reports/delivery/submission_pdf.py).
            old_edition = ((submission.pdf_page_map or {}).get("edition") or {}).get("name") or ""
            Submission.objects.filter(pk=pk).update(content=content, pdf="", pdf_pages=None, pdf_page_map={})
            for old in (old_pdf, old_edition):
                if old:
                    transaction.on_commit(functools.partial(submission.pdf.storage.delete, old))
        result.snapshots += 1
    to_render = Submission.objects.filter(report__in=reports, content__has_key=CLEARED_MARK, pdf="")
    for submission in to_render.defer("content").order_by("pk")[:pdf_batch]:
        runner.submission_pdf_ensure(submission=submission)
        result.pdfs += 1
    return result


def retention_apply(*, now: datetime | None = None) -> dict[str, Any]:
    return {**audit_retention_apply(now=now), **asdict(contacts_retention_apply(now=now))}


# --- Tasks (registered through reports/tasks.py) ---------------------------------------------------


@shared_task(name="reports.sessions_clear", ignore_result=True, soft_time_limit=240, time_limit=300)
def sessions_clear_task() -> int:
    """Celery beat, hourly: delete expired sessions."""
    return sessions_clear()


@shared_task(name="reports.retention_apply", ignore_result=True)
def retention_apply_task() -> dict[str, Any]:
    """Celery beat, daily: delete old audit rows, clear old follow-up contacts."""
    return retention_apply()

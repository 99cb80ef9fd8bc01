"""Deadlines for a worldwide audience: when each report is due, whether it may still be submitted,
how a deadline is written, and the reminders before and after it.

- **When a report is due.** The cycle's deadline, or the extension the Secretariat granted that
  entity (``Report.deadline_extended_to``). While a request for changes is open, the entity may
  resubmit until its answer-by date (``Report.changes_due_at``) whatever the cycle's late rule.
  Submitting after that is late: flagged, or refused when the cycle refuses late reports. The same
  rule serves the banner, the Submit button, ``services.report_submit``, the late flag and the
  reminders.
- **How a deadline is written.** In the cycle's time zone with its name and UTC offset
  ("31 July 2025, 23:59 (Geneva time, UTC+2)"), in the reader's language with Django's formats;
  the pages add the reader's own local time (``static/js/local-time.js``).
- **Reminders.** At the cycle's ``reminder_offsets`` (days before the due moment; negative: days
  after it, only to reports started and still open), to the owners and editors of entities whose
  report is a draft or has changes requested. Each (report, step) is recorded once
  (``Reminder``'s unique constraint) with its e-mail row, in one transaction: running the schedule
  again sends nothing new. Celery beat runs it hourly (``reminders_send_task``);
  ``manage.py send_reminders`` on demand; the Secretariat chases entities from the report list.

The functions take ``now`` for tests; the task is a thin wrapper, found by Celery through
``reports/tasks.py``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .annex import NARRATIVE_FIELDS
from .delivery import rows
from .errors import ReportError
from .models import Reminder, Report, ReportingCycle

logger = logging.getLogger(__name__)

S = Report.Status

# A request for changes gives the entity this many days to answer unless the Secretariat says otherwise.
CHANGES_DUE_DAYS = 14
# A reminder step whose moment passed longer ago than this is not sent any more (a report created late,
# the schedule down for days): one reminder about the current step, never a burst of old ones.
REMINDER_GRACE = timedelta(days=3)
# Reports the reminders are about: not submitted yet, or sent back for changes.
OPEN_STATUSES = (S.DRAFT, S.CHANGES_REQUESTED)
# The place a zone is named after, where the IANA name is not the one people say: the WSIS secretariat
# is in Geneva, whose zone IANA names after Zurich.
ZONE_PLACES = {"Europe/Zurich": gettext_lazy("Geneva")}


# --- Time zones ------------------------------------------------------------------------------------


@cache
def time_zone_names() -> list[str]:
    """The IANA zones a cycle can be announced in: the "Region/City" ones and UTC, sorted."""
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("Etc/", "posix/", "right/", "SystemV/", "US/"))
    }
    return ["UTC", *sorted(names)]


def zone_get(name: str) -> ZoneInfo | None:
    """The zone named ``name``, or ``None`` when there is no such IANA zone."""
    if not name or name != name.strip():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def cycle_zone(cycle: ReportingCycle) -> ZoneInfo:
    """The cycle's time zone (the portal's when the stored name is not a zone)."""
    return zone_get(cycle.time_zone) or ZoneInfo(settings.TIME_ZONE)


def utc_offset(moment: datetime) -> str:
    """ "UTC+2", "UTC+5:30", "UTC-3", "UTC" for an aware datetime."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone: ZoneInfo, at: datetime) -> str:
    """ "Geneva time, UTC+2": the zone's place and its offset at ``at`` (summer time included)."""
    local = at.astimezone(zone)
    if zone.key in {"UTC", "Etc/UTC", "Etc/GMT", "GMT"}:
        return "UTC"
    place = ZONE_PLACES.get(zone.key) or zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return _("%(place)s time, %(offset)s") % {"place": place, "offset": utc_offset(local)}


@dataclass(frozen=True)
class Moment:
    """A deadline as people read it: ``text`` in the cycle's zone with the zone's name (in the active
    language, with its date format), ``iso`` for the page's ``<time datetime>`` that the browser turns
    into the reader's local time."""

    at: datetime
    zone: ZoneInfo

    @property
    def local(self) -> datetime:
        return self.at.astimezone(self.zone)

    @property
    def iso(self) -> str:
        return self.at.astimezone(UTC).isoformat().replace("+00:00", "Z")

    @property
    def zone_label(self) -> str:
        return zone_label(self.zone, self.at)

    @property
    def text(self) -> str:
        # The language's date and time formats, as the portal writes every date (some languages'
        # DATETIME_FORMAT is not their DATE_FORMAT's: Arabic's is "N j, Y, P"). date_format writes
        # the datetime's own wall-clock time: the cycle's, not the server's.
        when = _("%(date)s, %(time)s") % {
            "date": date_format(self.local, "DATE_FORMAT"),
            "time": date_format(self.local, "TIME_FORMAT"),
        }
        return _("%(date)s (%(zone)s)") % {"date": when, "zone": self.zone_label}

    @property
    def date_text(self) -> str:
        return date_format(self.local, "DATE_FORMAT")

    def __str__(self) -> str:
        return self.text


def moment(cycle: ReportingCycle, at: datetime) -> Moment:
    return Moment(at=at, zone=cycle_zone(cycle))


def end_of_day(cycle: ReportingCycle, day: date) -> datetime:
    """23:59:59 of ``day`` in the cycle's zone: what "by 31 July" means to the Secretariat."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=cycle_zone(cycle))


def changes_due_default(cycle: ReportingCycle, now: datetime | None = None) -> datetime:
    """The answer-by date a request for changes gets unless the Secretariat chooses one."""
    today = (now or timezone.now()).astimezone(cycle_zone(cycle)).date()
    return end_of_day(cycle, today + timedelta(days=CHANGES_DUE_DAYS))


# --- When a report is due ----------------------------------------------------------------------------


def report_deadline(report: Report) -> datetime:
    """The deadline that applies to this entity: its extension, or the cycle's."""
    return report.deadline_extended_to or report.cycle.deadline


def open_changes_due(report: Report) -> datetime | None:
    """The answer-by date of an open request for changes, if any."""
    if report.status == S.CHANGES_REQUESTED and report.changes_due_at:
        return report.changes_due_at
    return None


def submission_due(report: Report) -> datetime:
    """Until when submitting this report is on time: its deadline, or the later answer-by date of
    an open request for changes."""
    due = report_deadline(report)
    changes = open_changes_due(report)
    return max(due, changes) if changes else due


def submission_is_late(*, report: Report, at: datetime) -> bool:
    return at > submission_due(report)


def submission_refused(*, report: Report, at: datetime) -> bool:
    """Late, and the cycle refuses late reports (no extension or answer-by date covers ``at``)."""
    return (
        submission_is_late(report=report, at=at)
        and report.cycle.late_policy == ReportingCycle.LatePolicy.REFUSE
    )


def refusal_message(report: Report) -> str:
    due = moment(report.cycle, submission_due(report))
    return _(
        "The deadline, %(deadline)s, has passed: the secretariat no longer accepts submissions for "
        "%(cycle)s. If you need more time, write to %(email)s."
    ) % {"deadline": due.text, "cycle": report.cycle.name, "email": rows.secretariat_address(report.cycle)}


@dataclass(frozen=True)
class DeadlineState:
    """What the workspace, the submit page, the admin and the e-mails say about a report's deadline."""

    report: Report
    due: Moment  # until when submitting is on time
    deadline: Moment  # the deadline that applies to the entity (the cycle's or its extension)
    cycle_deadline: Moment
    extended: bool
    changes_due: Moment | None  # the answer-by date of an open request for changes
    passed: bool  # the due moment has passed
    refused: bool  # ... and the cycle refuses late reports: no Submit button
    open: bool  # the report is a draft or has changes requested

    @property
    def late_accepted(self) -> bool:
        return self.passed and not self.refused

    @property
    def refusal(self) -> str:
        return refusal_message(self.report) if self.refused else ""


def deadline_state(*, report: Report, now: datetime | None = None) -> DeadlineState:
    now = now or timezone.now()
    cycle = report.cycle
    is_open = report.status in OPEN_STATUSES
    changes = open_changes_due(report)
    return DeadlineState(
        report=report,
        due=moment(cycle, submission_due(report)),
        deadline=moment(cycle, report_deadline(report)),
        cycle_deadline=moment(cycle, cycle.deadline),
        extended=report.deadline_extended_to is not None,
        changes_due=moment(cycle, changes) if changes else None,
        passed=submission_is_late(report=report, at=now),
        refused=is_open and submission_refused(report=report, at=now),
        open=is_open,
    )


# --- Extensions ----------------------------------------------------------------------------------------


@transaction.atomic
def report_extend_deadline(*, report: Report, until: datetime | None, note: str = "") -> Report:
    """Give one entity a later deadline (``until``), or take the extension back (``None``). The
    caller records who decided (``audit.record``: a review decision)."""
    locked = Report.objects.select_for_update().select_related("cycle", "entity").get(pk=report.pk)
    note = (note or "").strip()
    if until is not None and until <= locked.cycle.deadline:
        raise ReportError(
            _("An extension must end after the cycle's deadline (%(deadline)s).")
            % {"deadline": moment(locked.cycle, locked.cycle.deadline).text}
        )
    locked.deadline_extended_to = until
    locked.extension_note = note[:300] if until else ""
    locked.save(update_fields=["deadline_extended_to", "extension_note", "updated_at"])
    return locked


# --- Reminders -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedReminder:
    report: Report
    step: int  # days before the due moment (negative: after it)
    recipients: list[str]
    due: datetime


def reminder_offsets(cycle: ReportingCycle) -> list[int]:
    """The cycle's reminder days as integers (anything else stored there is ignored), largest first."""
    values = cycle.reminder_offsets if isinstance(cycle.reminder_offsets, list) else []
    return sorted({v for v in values if isinstance(v, int) and not isinstance(v, bool)}, reverse=True)


def report_is_started(report: Report) -> bool:
    """Some section has been saved (the workspace stamps every saved section)."""
    return bool(report.section_versions)


def _current_step(report: Report, offsets: list[int], now: datetime) -> int | None:
    """The latest step whose moment has come (within the grace), if the report qualifies for it."""
    due = submission_due(report)
    current = None
    for offset in offsets:  # largest first: the moments in time order
        if due - timedelta(days=offset) <= now:
            current = offset
    if current is None or now >= due - timedelta(days=current) + REMINDER_GRACE:
        return None
    if current < 0 and not (report_is_started(report) and not submission_refused(report=report, at=now)):
        return None  # after the deadline: only reports started and still accepted
    return current


def reminders_due(*, now: datetime, cycle_slug: str | None = None) -> list[PlannedReminder]:
    """The reminders the schedule would send at ``now`` and has not sent yet (nothing is written)."""
    cycles = ReportingCycle.objects.filter(opens_at__lte=now).order_by("deadline")
    if cycle_slug:
        cycles = cycles.filter(slug=cycle_slug)
    planned: list[PlannedReminder] = []
    for cycle in cycles:
        offsets = reminder_offsets(cycle)
        if not offsets:
            continue
        # Only reports whose due moment is near enough for one of the steps to be current.
        start = now - timedelta(days=max(0, -min(offsets))) - REMINDER_GRACE
        end = now + timedelta(days=max(0, max(offsets)))
        near = Q(deadline_extended_to__range=(start, end)) | Q(
            status=S.CHANGES_REQUESTED, changes_due_at__range=(start, end)
        )
        if start <= cycle.deadline <= end:
            near |= Q(deadline_extended_to__isnull=True)
        reports = list(
            Report.objects.filter(near, cycle=cycle, status__in=OPEN_STATUSES)
            .select_related("cycle", "entity")
            .defer(*NARRATIVE_FIELDS)
            .order_by("entity__name", "pk")
        )
        candidates = [(r, step) for r in reports if (step := _current_step(r, offsets, now)) is not None]
        sent = set(
            Reminder.objects.filter(
                report__in=[r for r, _step in candidates], chased_by__isnull=True
            ).values_list("report_id", "step")
        )
        for report, step in candidates:
            if (report.pk, step) in sent:
                continue
            recipients = rows.entity_member_emails(report)
            if recipients:
                planned.append(PlannedReminder(report, step, recipients, submission_due(report)))
    return planned


def reminders_send(*, now: datetime, cycle_slug: str | None = None) -> list[PlannedReminder]:
    """Send the reminders due at ``now``: each one a ``Reminder`` row and its e-mail row in one
    transaction, the e-mail handed to the broker after the commit. Returns what was sent; a
    second run (or a concurrent one) sends nothing the first one did."""
    sent = []
    for plan in reminders_due(now=now, cycle_slug=cycle_slug):
        try:
            with transaction.atomic():
                reminder = Reminder.objects.create(
                    report=plan.report, step=plan.step, created_at=now, recipients=plan.recipients
                )
                rows.reminder_email_create(report=plan.report, reminder=reminder, due=plan.due)
        except IntegrityError:
            continue  # another run recorded this step first
        sent.append(plan)
    if sent:
        logger.info("deadline reminders: %d sent", len(sent))
    return sent


def report_chase(*, report: Report, actor: User, now: datetime | None = None) -> Reminder | None:
    """The Secretariat's reminder now, outside the schedule ("chase"): ``None`` when the report is not
    open (submitted, accepted …) or its entity has nobody to tell."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().select_related("cycle", "entity").get(pk=report.pk)
        if locked.status not in OPEN_STATUSES:
            return None
        recipients = rows.entity_member_emails(locked)
        if not recipients:
            return None
        due = submission_due(locked)
        reminder = Reminder.objects.create(
            report=locked, step=(due - now).days, created_at=now, recipients=recipients, chased_by=actor
        )
        rows.reminder_email_create(report=locked, reminder=reminder, due=due)
    return reminder


# --- Task (registered through reports/tasks.py) ---------------------------------------------------------


@shared_task(name="reports.reminders_send", ignore_result=True, soft_time_limit=600, time_limit=660)
def reminders_send_task() -> int:
    return len(reminders_send(now=timezone.now()))

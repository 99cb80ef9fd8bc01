"""Reads for the secretariat's dashboard: the figures of one reporting cycle.

Every figure is one aggregate query (GROUP BY), so the dashboard costs the same number of
queries for ten reports as for ten thousand. ``dashboard_build`` adds the charts
(``reports/document/charts.py``) and their data tables; ``dashboard_cached`` keeps what it built in
Django's cache, keyed by a stamp of the cycle's reports (how many, and when one last changed:
every service that moves, submits or saves a report sets its ``updated_at``), so the figures
are computed again as soon as a report changes and at most ``DASHBOARD_CACHE_SECONDS`` after
anything else they show (an entity's name, type or country; a follow-up contact) changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import accumulate

from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from action_lines.models import ActionLine

from ..document import charts
from ..models import (
    LINE_ADDRESSED,
    ActionLineProgress,
    Region,
    Report,
    ReportingCycle,
    StakeholderType,
    Submission,
    line_addressed,
)

S = Report.Status
# A report counts as submitted once it has been sent to the secretariat, whatever happened next.
SUBMITTED_STATUSES = [s for s in S.values if s != S.DRAFT]
NOT_SUBMITTED_STATUSES = [S.DRAFT, S.CHANGES_REQUESTED]
WAITING_TABLE_LIMIT = 50
DASHBOARD_CACHE_SECONDS = 60


@dataclass
class LineCoverage:
    line: ActionLine
    addressed: int
    not_applicable: int


@dataclass
class DashboardData:
    cycle: ReportingCycle
    status_counts: dict[str, int]
    late: int
    per_day: list[tuple[date, int, int]]  # day, first submissions, resubmissions
    by_type: list[tuple[str, str, int]]  # value, label, reports
    by_region: list[tuple[Region, int]]
    coverage: list[LineCoverage]
    waiting: list[WaitingReport]

    @property
    def total(self) -> int:
        return sum(self.status_counts.values())

    @property
    def submitted(self) -> int:
        return sum(n for status, n in self.status_counts.items() if status in SUBMITTED_STATUSES)

    @property
    def waiting_total(self) -> int:
        return sum(self.status_counts.get(s, 0) for s in NOT_SUBMITTED_STATUSES)


def cycles_for_dashboard() -> QuerySet[ReportingCycle]:
    return ReportingCycle.objects.only("pk", "name", "slug", "opens_at", "deadline").order_by("-opens_at")


def status_counts(*, cycle: ReportingCycle) -> tuple[dict[str, int], int]:
    """Reports per status (every status present, zeros included) and how many were late."""
    rows = (
        Report.objects.filter(cycle=cycle)
        .order_by()
        .values("status")
        .annotate(n=Count("*"), late=Count("status", filter=Q(is_late=True)))
    )
    counts = dict.fromkeys(S.values, 0)
    late = 0
    for row in rows:
        counts[row["status"]] = row["n"]
        late += row["late"]
    return counts, late


def submissions_per_day(*, cycle: ReportingCycle) -> list[tuple[date, int, int]]:
    """Per local calendar day: first submissions of a report, and resubmissions."""
    rows = (
        Submission.objects.filter(report__cycle=cycle)
        .annotate(day=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("day")
        .annotate(first=Count("number", filter=Q(number=1)), again=Count("number", filter=Q(number__gt=1)))
        .order_by("day")
    )
    return [(row["day"], row["first"], row["again"]) for row in rows]


def submitted_by_stakeholder_type(*, cycle: ReportingCycle) -> list[tuple[str, str, int]]:
    rows = dict(
        Report.objects.filter(cycle=cycle, status__in=SUBMITTED_STATUSES)
        .order_by()
        .values_list("entity__stakeholder_type")
        .annotate(n=Count("*"))
    )
    return [(value, str(label), rows.get(value, 0)) for value, label in StakeholderType.choices]


def submitted_by_region(*, cycle: ReportingCycle) -> list[tuple[Region, int]]:
    counts = dict(
        Report.objects.filter(cycle=cycle, status__in=SUBMITTED_STATUSES)
        .order_by()
        .values_list("entity__country__region_id")
        .annotate(n=Count("*"))
    )
    return [(region, counts.get(region.pk, 0)) for region in Region.objects.order_by("order")]


def action_line_coverage(*, cycle: ReportingCycle) -> list[LineCoverage]:
    """For every Action Line and C7 sub-line, in template order: how many submitted reports
    address it (some text in achievements, challenges or future priorities) and how many
    marked it not applicable. Counted from the progress rows through their partial indexes."""
    submitted = Q(report__cycle=cycle, report__status__in=SUBMITTED_STATUSES)

    def per_line(condition: Q) -> dict[int, int]:
        return dict(
            ActionLineProgress.objects.filter(condition, submitted)
            .order_by()
            .values_list("action_line_id")
            .annotate(n=Count("*"))  # not a column: the partial indexes answer alone
        )

    addressed = per_line(LINE_ADDRESSED)
    not_applicable = per_line(Q(not_applicable=True))
    lines = list(
        ActionLine.objects.in_template_order().only(
            "pk", "code", "number", "title", "short_title", "parent", "order"
        )
    )
    # A line with sub-lines (C7) is addressed by any of them, and its "not applicable" mark then
    # does not hold (``models.line_addressed``): one query per such line.
    for parent_id in {line.parent_id for line in lines if line.parent_id is not None}:
        via_family = line_addressed(report=OuterRef("pk"), line=parent_id)
        marked = Exists(
            ActionLineProgress.objects.filter(
                report=OuterRef("pk"), action_line_id=parent_id, not_applicable=True
            )
        )
        counts = Report.objects.filter(cycle=cycle, status__in=SUBMITTED_STATUSES).aggregate(
            addressed=Count("pk", filter=Q(via_family)),
            not_applicable=Count("pk", filter=Q(marked) & ~Q(via_family)),
        )
        addressed[parent_id] = counts["addressed"]
        not_applicable[parent_id] = counts["not_applicable"]
    return [LineCoverage(line, addressed.get(line.pk, 0), not_applicable.get(line.pk, 0)) for line in lines]


@dataclass
class WaitingReport:
    """A report to chase, in words: plain values, so that the cached dashboard is cheap to
    read back."""

    pk: int
    entity: str
    stakeholder_type: str
    country: str
    status: str
    status_label: str
    lines_covered: int
    updated_at: datetime
    contact_name: str
    contact_email: str


def reports_waiting(*, cycle: ReportingCycle, limit: int = WAITING_TABLE_LIMIT) -> list[WaitingReport]:
    """Reports started and not (re)submitted: drafts and those re-opened for changes,
    most recently worked on first, with what is needed to chase them."""
    statuses = {value: str(label) for value, label in S.choices}
    types = {value: str(label) for value, label in StakeholderType.choices}
    rows = (
        Report.objects.filter(cycle=cycle, status__in=NOT_SUBMITTED_STATUSES)
        .order_by("-updated_at", "pk")
        .values_list(
            "pk",
            "status",
            "updated_at",
            "lines_covered",
            "entity__name",
            "entity__acronym",
            "entity__stakeholder_type",
            "entity__country__name",
            "contact__name",
            "contact__email",
        )[:limit]
    )
    return [
        WaitingReport(
            pk=pk,
            entity=f"{name} ({acronym})" if acronym else name,  # as ``str(entity)``
            stakeholder_type=types.get(stakeholder_type, stakeholder_type),
            country=country,
            status=status,
            status_label=statuses.get(status, status),
            lines_covered=lines_covered,
            updated_at=updated_at,
            contact_name=contact_name or "",
            contact_email=contact_email or "",
        )
        for (
            pk,
            status,
            updated_at,
            lines_covered,
            name,
            acronym,
            stakeholder_type,
            country,
            contact_name,
            contact_email,
        ) in rows
    ]


def dashboard_data(*, cycle: ReportingCycle) -> DashboardData:
    counts, late = status_counts(cycle=cycle)
    return DashboardData(
        cycle=cycle,
        status_counts=counts,
        late=late,
        per_day=submissions_per_day(cycle=cycle),
        by_type=submitted_by_stakeholder_type(cycle=cycle),
        by_region=submitted_by_region(cycle=cycle),
        coverage=action_line_coverage(cycle=cycle),
        waiting=reports_waiting(cycle=cycle),
    )


# --- Charts ----------------------------------------------------------------------------


@dataclass
class Figure:
    """A chart and the table with its numbers."""

    key: str
    title: str
    svg: SafeString
    table: SafeString
    note: str = ""


@dataclass
class Dashboard:
    data: DashboardData
    figures: dict[str, Figure] = field(default_factory=dict)


def _line_label(line: ActionLine) -> str:
    return line.display_short_title if line.parent_id else f"{line.code} {line.display_short_title}"


def dashboard_figures(data: DashboardData) -> dict[str, Figure]:
    deadline = timezone.localtime(data.cycle.deadline).date()
    marker = (deadline, _("Deadline"))
    figures: dict[str, Figure] = {}

    title = _("Reports by status")
    rows = [(str(S(status).label), n) for status, n in data.status_counts.items()]
    figures["status"] = Figure(
        "status",
        title,
        charts.bar_chart(title, rows, show_title=False, chart_id="chart-status"),
        charts.data_table(title, [_("Status"), _("Reports")], rows),
    )

    title = _("Reports submitted per day")
    daily = [(day, first) for day, first, _again in data.per_day]
    figures["per_day"] = Figure(
        "per_day",
        title,
        charts.column_chart(
            title, daily, marker=marker, unit_word=_("reports"), show_title=False, chart_id="chart-per-day"
        ),
        charts.data_table(
            title,
            [_("Day"), _("First submissions"), _("Resubmissions")],
            [(day.isoformat(), first, again) for day, first, again in data.per_day],
        ),
        note=_("First submission of each report, by local day; the dashed line marks the deadline."),
    )

    title = _("Reports submitted, running total")
    running = list(zip([d for d, _n in daily], accumulate(n for _d, n in daily), strict=True))
    figures["cumulative"] = Figure(
        "cumulative",
        title,
        charts.line_chart(
            title,
            running,
            marker=marker,
            unit_word=_("reports"),
            show_title=False,
            chart_id="chart-cumulative",
        ),
        charts.data_table(
            title, [_("Day"), _("Reports submitted so far")], [(d.isoformat(), n) for d, n in running]
        ),
    )

    title = _("Submitted reports by stakeholder type")
    rows = [(label, n) for _value, label, n in data.by_type]
    figures["by_type"] = Figure(
        "by_type",
        title,
        charts.bar_chart(title, rows, show_title=False, chart_id="chart-by-type"),
        charts.data_table(title, [_("Stakeholder type"), _("Reports")], rows),
    )

    title = _("Submitted reports by region")
    rows = [(region.name, n) for region, n in data.by_region]
    figures["by_region"] = Figure(
        "by_region",
        title,
        charts.bar_chart(title, rows, show_title=False, chart_id="chart-by-region"),
        charts.data_table(title, [_("Region"), _("Reports")], rows),
        note=_("Regions are ITU-D's six regions, from the entity's country."),
    )

    title = _("Action Line coverage")
    bars = [charts.Bar(_line_label(c.line), c.addressed, 1 if c.line.parent_id else 0) for c in data.coverage]
    figures["coverage"] = Figure(
        "coverage",
        title,
        charts.bar_chart(title, bars, show_title=False, chart_id="chart-coverage"),
        charts.data_table(
            title,
            [_("Action Line"), _("Reports addressing it"), _("Marked not applicable")],
            [(c.line.label, c.addressed, c.not_applicable) for c in data.coverage],
        ),
        note=_(
            "Submitted reports with an answer on the line (for C7: on C7 or any of its sub-lines); "
            "C7's sub-lines are indented."
        ),
    )
    return figures


def dashboard_build(*, cycle: ReportingCycle) -> Dashboard:
    data = dashboard_data(cycle=cycle)
    return Dashboard(data=data, figures=dashboard_figures(data))


def dashboard_stamp(*, cycle: ReportingCycle) -> str:
    """What changes whenever a report of ``cycle`` is added, removed, moved or saved: their
    number and the last ``updated_at`` (one index-only scan of the cycle's reports)."""
    row = Report.objects.filter(cycle=cycle).order_by().aggregate(n=Count("*"), changed=Max("updated_at"))
    changed = row["changed"].timestamp() if row["changed"] else 0
    return f"{row['n']}-{changed:.6f}"


def dashboard_cached(*, cycle: ReportingCycle) -> Dashboard:
    """``dashboard_build``, reused while the cycle's reports are unchanged (see the module's
    docstring); the charts' words are cached per language."""
    stamp = dashboard_stamp(cycle=cycle)
    key = f"reports:dashboard:{cycle.pk}:{stamp}:{get_language()}"
    board = cache.get(key)
    if board is None:
        board = dashboard_build(cycle=cycle)
        cache.set(key, board, DASHBOARD_CACHE_SECONDS)
    return board

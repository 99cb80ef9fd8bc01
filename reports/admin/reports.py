"""The secretariat's workspace in Django admin.

The report list is built for thousands of reports, with the same queries whatever their
number: filters are subqueries; the rows leave the long texts out, and their delivery state
is one query over the page's reports; reference data for the filters is cached. The list is
Django's change list, rendered by Django's templates. The dashboard is cached per cycle
(``dashboard.dashboard_cached``).

The report page shows the report read-only through the one document template, with the
review buttons, the submissions and their diff, the delivery rows and the audit trail. Every
view here is thin: it checks the permission, calls a service or a selector, and answers.

Permissions: reading needs ``view_report`` (the "Secretariat" group has it, see
``reports/permissions.py``); the review moves and delivery retries need ``review_report``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.related import RelatedField
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from action_lines.models import ActionLine

from .. import audit, deadlines, selectors, services
from ..annex import NARRATIVE_FIELDS
from ..delivery.runner import delivery_retry
from ..document import diff, rendering, snapshot
from ..errors import IllegalTransition, ReportError
from ..models import (
    LINE_ADDRESSED,
    ActionLineProgress,
    Country,
    Delivery,
    Entity,
    FollowUpContact,
    KeyIndicator,
    Membership,
    Region,
    Report,
    ReportingCycle,
    SecurityEvent,
    StatusChange,
    Submission,
    SuccessStory,
)
from ..permissions import REVIEW_PERMISSION
from . import dashboard, exports, review
from .entities import entity_changes_since_submission, entity_flag, identity_changed_since_submission
from .staff import staff_user

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = Report.Status

# What the buttons on the report page say for each allowed move (services.TRANSITIONS).
# Requesting changes has its own form; submitting is the entity's, never a button here.
MOVE_LABELS: dict[tuple[str, str], Any] = {
    (S.SUBMITTED, S.UNDER_REVIEW): gettext_lazy("Start review"),
    (S.SUBMITTED, S.ACCEPTED): gettext_lazy("Accept"),
    (S.UNDER_REVIEW, S.ACCEPTED): gettext_lazy("Accept"),
    (S.ACCEPTED, S.PUBLISHED): gettext_lazy("Publish"),
    (S.UNDER_REVIEW, S.SUBMITTED): gettext_lazy("Stop review (back to submitted)"),
    (S.ACCEPTED, S.UNDER_REVIEW): gettext_lazy("Reopen review"),
    (S.PUBLISHED, S.ACCEPTED): gettext_lazy("Unpublish (back to accepted)"),
}
BACK_MOVES = {(S.UNDER_REVIEW, S.SUBMITTED), (S.ACCEPTED, S.UNDER_REVIEW), (S.PUBLISHED, S.ACCEPTED)}
PENDING = [Delivery.Status.QUEUED, Delivery.Status.RUNNING]
# Report columns the list never shows: kept out of its query.
LONG_FIELDS = (*NARRATIVE_FIELDS, "section_versions")
# What the list's columns show: all its rows' query reads.
LIST_FIELDS = (
    "cycle__name",  # the report's name, in the action checkbox's label
    "status",
    "submitted_at",
    "is_late",
    "lines_covered",
    "entity__name",
    "entity__acronym",
    "entity__stakeholder_type",
    "entity__country__name",
    "entity__country__region__name",
    "assignee__first_name",  # the reviewer column
    "assignee__last_name",
    "assignee__email",
)


def submission_pdf_url(submission_id: int) -> str | None:
    """The PDF download of a submission, or ``None`` while the PDF view is not there."""
    try:
        return reverse("reports:submission_pdf", kwargs={"pk": submission_id})
    except NoReverseMatch:
        return None


# --- List filters ------------------------------------------------------------------------


# Reference data (regions, Action Lines) loaded from fixtures and not edited in the portal:
# the list's filters read it from the cache rather than with a query per page.
REFERENCE_CACHE_SECONDS = 300


def reference_cached(name: str, load: Callable[[], Any]) -> Any:
    return cache.get_or_set(f"reports:admin:{name}:{get_language()}", load, REFERENCE_CACHE_SECONDS)


CYCLES_CACHE_KEY = "reports:admin:cycles"
CYCLES_CACHE_SECONDS = 60  # the bound where caches are per process (the embedded default)


def _action_lines() -> list[ActionLine]:
    return list(ActionLine.objects.in_template_order().only("code", "short_title", "parent"))


def _region_countries() -> dict[str, list[str]]:
    countries: dict[str, list[str]] = {}
    for code, region in Country.objects.order_by("code").values_list("code", "region_id"):
        countries.setdefault(region, []).append(code)
    return countries


class RegionFilter(admin.RelatedFieldListFilter):
    """Django's filter on the region, its six choices cached (see ``reference_cached``).
    A chosen region filters on its countries' codes (cached with the regions), so that the
    page's queries do not join the countries to find the region."""

    def field_choices(
        self, field: RelatedField, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, StrOrPromise]]:
        return reference_cached(
            "regions", lambda: super(RegionFilter, self).field_choices(field, request, model_admin)
        )

    def queryset(self, request: HttpRequest, queryset: QuerySet[Report]) -> QuerySet[Report] | None:
        region = self.used_parameters.get(self.lookup_kwarg)
        if isinstance(region, list):  # Django keeps every value given for a parameter
            region = region[-1] if len(region) == 1 else None
        countries = reference_cached("region-countries", _region_countries)
        if len(self.used_parameters) != 1 or region not in countries:
            return super().queryset(request, queryset)
        return queryset.filter(entity__country__in=countries[region])


class CycleFilter(admin.RelatedFieldListFilter):
    """Django's filter on the reporting cycle, its few choices cached until a cycle is saved
    or deleted (``cycles_forget``)."""

    def field_choices(
        self, field: RelatedField, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, StrOrPromise]]:
        choices: list[tuple[str, StrOrPromise]] | None = cache.get_or_set(
            CYCLES_CACHE_KEY,
            lambda: super(CycleFilter, self).field_choices(field, request, model_admin),
            CYCLES_CACHE_SECONDS,
        )
        return choices or []


@receiver([post_save, post_delete], sender=ReportingCycle, dispatch_uid="reports.admin.cycles_forget")
def cycles_forget(**kwargs: Any) -> None:
    """A cycle was added, renamed, moved or removed: the cycle and month filters read them again."""
    cache.delete_many([CYCLES_CACHE_KEY, CYCLE_WINDOWS_CACHE_KEY])


CYCLE_WINDOWS_CACHE_KEY = "reports:admin:cycle-windows"
MONTHS_AFTER_DEADLINE = 3  # late submissions: the months after a deadline still offered
MONTHS_OFFERED = 36


def _months(start: date, end: date) -> list[date]:
    """The first days of the months from ``start``'s to ``end``'s, both included."""
    months, (year, month) = [], (start.year, start.month)
    while (year, month) <= (end.year, end.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


class SubmittedMonthFilter(admin.SimpleListFilter):
    """Reports submitted in one calendar month (in the portal's time zone), offered for the months
    of the reporting cycles, newest first: from a cycle's opening to a few months past its deadline,
    never beyond this month. The choices come from the (cached) cycles and the filter is a range on
    the indexed submission time, where Django's date drill-down grouped and bounded the filtered
    reports with two more queries on every page."""

    title = gettext_lazy("submitted in")
    parameter_name = "submitted"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        windows: list[tuple[datetime, datetime]] = (
            cache.get_or_set(
                CYCLE_WINDOWS_CACHE_KEY,
                lambda: list(ReportingCycle.objects.values_list("opens_at", "deadline")),
                CYCLES_CACHE_SECONDS,
            )
            or []
        )
        today = timezone.localdate()
        months: set[date] = set()
        for opens_at, deadline in windows:
            end = timezone.localdate(deadline)
            year, month = divmod(end.year * 12 + end.month - 1 + MONTHS_AFTER_DEADLINE, 12)
            months.update(_months(timezone.localdate(opens_at), min(date(year, month + 1, 1), today)))
        newest = sorted(months, reverse=True)[:MONTHS_OFFERED]
        return [(f"{m:%Y-%m}", date_format(m, "YEAR_MONTH_FORMAT")) for m in newest]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Report]) -> QuerySet[Report] | None:
        value = self.value()
        if not value:
            return queryset
        try:
            first = datetime.strptime(value, "%Y-%m").replace(tzinfo=timezone.get_current_timezone())
        except (TypeError, ValueError) as exc:
            raise IncorrectLookupParameters(value) from exc
        following = (
            first.replace(year=first.year + 1, month=1)
            if first.month == 12
            else first.replace(month=first.month + 1)
        )
        return queryset.filter(submitted_at__gte=first, submitted_at__lt=following)


class ActionLineCoveredFilter(admin.SimpleListFilter):
    """Reports that address an Action Line (some answer, not marked not applicable).
    A line with sub-lines (C7) also matches reports that address one of its sub-lines."""

    title = gettext_lazy("Action Line covered")
    parameter_name = "line"
    template = "admin/reports/collapsed_filter.html"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        lines = reference_cached("action-lines", _action_lines)
        # The ids a code stands for (a line and its sub-lines), so that the filter's query
        # names them rather than joining the Action Lines again in every query of the page.
        codes = {line.pk: line.code for line in lines}
        self.line_ids: dict[str, list[int]] = {}
        for line in lines:
            self.line_ids.setdefault(line.code, []).append(line.pk)
            if line.parent_id in codes:
                self.line_ids.setdefault(codes[line.parent_id], []).append(line.pk)
        return [
            (
                line.code,
                f"{line.code} {line.display_short_title}"
                if not line.parent_id
                else f"— {line.display_short_title}",
            )
            for line in lines
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Report]) -> QuerySet[Report]:
        code = self.value()
        if not code:
            return queryset
        addressed = ActionLineProgress.objects.filter(
            LINE_ADDRESSED, report=OuterRef("pk"), action_line__in=self.line_ids.get(code, [])
        )
        return queryset.filter(Exists(addressed))


class DeliveryFailedFilter(admin.SimpleListFilter):
    title = gettext_lazy("delivery")
    parameter_name = "delivery"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [
            ("failed", _("Failed (PDF or e-mail)")),
            ("pending", _("Pending")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Report]) -> QuerySet[Report]:
        if self.value() == "failed":
            return queryset.filter(
                Exists(Delivery.objects.filter(report=OuterRef("pk"), status=Delivery.Status.FAILED))
            )
        if self.value() == "pending":
            return queryset.filter(Exists(Delivery.objects.filter(report=OuterRef("pk"), status__in=PENDING)))
        return queryset


REGION_PARAMETER = "entity__country__region__code__exact"
COUNTRIES_CACHE_SECONDS = 60


class CountryFilter(admin.SimpleListFilter):
    """The countries of the chosen region that have reports. Listing all ~200 countries at
    once would be a long sidebar and a quarter of the list page's time, so a region is
    chosen first (a country given in the address is always offered)."""

    title = gettext_lazy("country")
    parameter_name = "country"
    template = "admin/reports/country_filter.html"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        region = request.GET.get(REGION_PARAMETER)
        chosen = request.GET.get(self.parameter_name)
        if region not in reference_cached("region-countries", _region_countries):
            region = None
        if not (chosen and len(chosen) == 2 and chosen.isascii() and chosen.isalpha()):
            chosen = None
        if not region and not chosen:
            return []
        # A country's first report shows up here within a minute (the bound of the cache).
        countries: list[tuple[str, StrOrPromise]] | None = cache.get_or_set(
            f"reports:admin:countries:{get_language()}:{region}:{chosen}",
            lambda: self._countries(region, chosen),
            COUNTRIES_CACHE_SECONDS,
        )
        return countries or []

    @staticmethod
    def _countries(region: str | None, chosen: str | None) -> list[tuple[str, str]]:
        # Per country of the region, one index probe for an entity with a report (an IN over
        # all entities with reports would read and sort every report).
        with_reports = Exists(
            Entity.objects.filter(country=OuterRef("pk"), reports__isnull=False).order_by().values("pk")
        )
        countries = Country.objects.filter(Q(with_reports, region_id=region) if region else Q(pk=chosen))
        if region and chosen:
            countries = Country.objects.filter(Q(with_reports, region_id=region) | Q(pk=chosen))
        return [(country.code, country.name) for country in countries.only("code", "name").order_by("name")]

    def has_output(self) -> bool:
        return True  # shown even before a region is chosen, to say so

    def queryset(self, request: HttpRequest, queryset: QuerySet[Report]) -> QuerySet[Report]:
        if self.value():
            return queryset.filter(entity__country_id=self.value())
        return queryset


class ReportChangeList(ChangeList):
    """The list's rows read only what its columns show; the page's delivery state is read for
    its reports in one more query (``selectors.deliveries_summaries``)."""

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> QuerySet[Report]:
        # ReportAdmin names its relations (a list, not True or False).
        related = () if isinstance(self.list_select_related, bool) else self.list_select_related
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .select_related(None)  # not the cycle, which the report page reads
            .select_related(*related)
            .only(*LIST_FIELDS)
            .annotate(entity_changed=identity_changed_since_submission())
        )

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        summaries = selectors.deliveries_summaries(report_ids=[report.pk for report in self.result_list])
        for report in self.result_list:
            report.delivery_summary = summaries[report.pk]


# --- Forms -------------------------------------------------------------------------------


class RequestChangesForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("What should the entity change?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,  # the service says what is missing, in its own words
        strip=True,
        help_text=gettext_lazy("E-mailed to the entity's members and shown on their workspace."),
    )
    # The entity may resubmit until the end of this day (the cycle's time zone), whatever the late rule.
    due_date = forms.DateField(
        label=gettext_lazy("Answer by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy(
            "The entity can submit again until the end of this day (the cycle's time zone), even after "
            "the deadline. Shown on its workspace and in the e-mail."
        ),
    )


class ExtensionForm(forms.Form):
    """A later deadline for one entity (the end of the chosen day in the cycle's time zone)."""

    until = forms.DateField(
        label=gettext_lazy("Extend this entity's deadline to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("End of that day in the cycle's time zone. Empty: no extension."),
    )
    note = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False, strip=True)


# --- The report admin ----------------------------------------------------------------------


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "entity_display",
        "stakeholder_type",
        "country",
        "status_display",
        "submitted",
        "late",
        "lines",
        "delivery_display",
        "reviewer",
    ]
    list_display_links = ["entity_display"]
    list_filter = [
        ("cycle", CycleFilter),
        "status",
        "entity__stakeholder_type",
        ("entity__country__region", RegionFilter),
        CountryFilter,
        ActionLineCoveredFilter,
        SubmittedMonthFilter,
        "is_late",
        DeliveryFailedFilter,
        review.ReviewerFilter,
    ]
    search_fields = ["entity__name", "entity__acronym", "contact__email"]
    search_help_text = gettext_lazy("Search by entity name, acronym or follow-up contact e-mail.")
    list_select_related = ["entity__country__region", "cycle", "assignee"]
    # Newest submissions first, drafts last; matches the index ``report_submitted_desc``.
    # ModelAdmin.ordering takes expressions as Meta.ordering does; the stubs know only names.
    ordering = [F("submitted_at").desc(nulls_last=True), "-pk"]  # type: ignore[list-item]
    list_per_page = 25
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["start_review", "accept", "compile_selected", "chase"]
    change_list_template = "admin/reports/report/change_list.html"

    # Reports are created by their entities, never in admin.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REVIEW_PERMISSION)

    # Up to this many reports whose contact's e-mail matches a search word are handed to the
    # list's queries as values; more than that, as a subquery.
    SEARCH_MATCHES_AS_VALUES = 2000

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Report], search_term: str
    ) -> tuple[QuerySet[Report], bool]:
        """Every word must occur in the entity's name or acronym or the contact's e-mail (as
        ``search_fields`` says), matched in the small entity and contact tables first: one
        indexed lookup on reports instead of joining three tables per query of the page.

        The contacts matching a word are read first and passed on as values: with the entity
        subquery alone (a name or acronym, the usual search) PostgreSQL answers it from the
        trigram indexes; OR'd with a contact subquery it scanned the whole entity table in each
        of the page's queries (3 ms apiece at 10,000 entities)."""
        limit = self.SEARCH_MATCHES_AS_VALUES
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            if not bit:
                continue
            entities = Entity.objects.filter(Q(name__icontains=bit) | Q(acronym__icontains=bit)).order_by()
            contact_reports = (
                FollowUpContact.objects.filter(email__icontains=bit)
                .order_by()
                .values_list("report_id", flat=True)
            )
            report_ids = list(contact_reports[: limit + 1])
            # No matching contact: Django leaves the empty ``IN`` out of the query altogether.
            by_contact = Q(pk__in=report_ids)
            if len(report_ids) > limit:
                by_contact = Q(pk__in=Subquery(contact_reports))
            queryset = queryset.filter(Q(entity__in=Subquery(entities.values("pk"))) | by_contact)
        return queryset, False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return super().get_queryset(request).select_related("entity__country__region", "cycle")

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ReportChangeList

    # --- Columns ---

    @admin.display(description=gettext_lazy("entity"), ordering="entity__name")
    def entity_display(self, report: Report) -> str:
        return format_html("{}{}", report.entity, entity_flag(report))

    @admin.display(description=gettext_lazy("stakeholder type"), ordering="entity__stakeholder_type")
    def stakeholder_type(self, report: Report) -> str:
        return report.entity.get_stakeholder_type_display()

    @admin.display(description=gettext_lazy("country and region"), ordering="entity__country__name")
    def country(self, report: Report) -> str:
        country = report.entity.country
        return format_html('{}<br><span class="wsis-muted">{}</span>', country.name, country.region.name)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, report: Report) -> str:
        return format_html(
            '<span class="wsis-status wsis-status-{}">{}</span>', report.status, report.get_status_display()
        )

    @admin.display(description=gettext_lazy("submitted at"), ordering="submitted_at")
    def submitted(self, report: Report) -> str:
        if not report.submitted_at:
            return "—"
        local = timezone.localtime(report.submitted_at)
        return format_html(
            '{}<br><span class="wsis-muted">{}</span>', date_format(local, "j M Y"), date_format(local, "H:i")
        )

    @admin.display(description=gettext_lazy("late"), ordering="is_late", empty_value="")
    def late(self, report: Report) -> str:
        if not report.is_late:
            return ""
        return format_html('<span class="wsis-flag wsis-flag-late">{}</span>', _("Late"))

    @admin.display(description=gettext_lazy("lines"), ordering="lines_covered")
    def lines(self, report: Report) -> int:
        return report.lines_covered

    @admin.display(description=gettext_lazy("delivery"))
    @admin.display(description=gettext_lazy("reviewer"), ordering="assignee__email")
    def reviewer(self, report: Report) -> str:
        if report.assignee is None:
            return "—"
        return report.assignee.get_full_name() or report.assignee.email

    def delivery_display(self, report: Report) -> str:
        summary = getattr(report, "delivery_summary", None) or selectors.DeliverySummary()
        failed, pending, done, pdf = summary.failed, summary.pending, summary.done, summary.pdf_status
        if not (failed or pending or done):
            return "—"
        pdf_labels: dict[str | None, str] = {
            Delivery.Status.DONE: _("PDF ok"),
            Delivery.Status.FAILED: _("PDF failed"),
        }
        pdf_label = pdf_labels.get(pdf, _("PDF pending") if pdf else "")
        parts = [pdf_label] if pdf_label else []
        if failed:
            parts.append(ngettext("%(n)d failed", "%(n)d failed", failed) % {"n": failed})
        if pending:
            parts.append(ngettext("%(n)d pending", "%(n)d pending", pending) % {"n": pending})
        if not failed and not pending:
            parts.append(_("e-mails sent"))
        state = "failed" if failed else ("pending" if pending else "done")
        return format_html(
            '<span class="wsis-delivery wsis-delivery-{}">{}</span>',
            state,
            format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts)),
        )

    # --- URLs ---

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("dashboard/", wrap(self.dashboard_view), name=f"{prefix}_dashboard"),
            path("export/<str:fmt>/", wrap(self.export_view), name=f"{prefix}_export"),
            path(
                "export/<str:fmt>/action-lines/",
                wrap(self.export_view),
                {"shape": "lines"},
                name=f"{prefix}_export_lines",
            ),
            path(
                "export/<str:fmt>/indicators/",
                wrap(self.export_view),
                {"shape": "indicators"},
                name=f"{prefix}_export_indicators",
            ),
            path(
                "export/<str:fmt>/stories/",
                wrap(self.export_view),
                {"shape": "stories"},
                name=f"{prefix}_export_stories",
            ),
            path("export-pdfs/", wrap(self.export_pdfs_view), name=f"{prefix}_export_pdfs"),
            path("<path:object_id>/move/<str:to_status>/", wrap(self.move_view), name=f"{prefix}_move"),
            path(
                "<path:object_id>/request-changes/",
                wrap(self.request_changes_view),
                name=f"{prefix}_request_changes",
            ),
            path("<path:object_id>/diff/", wrap(self.diff_view), name=f"{prefix}_diff"),
            path(
                "<path:object_id>/sections/",
                wrap(partial(review.section_review_view, self)),
                name=f"{prefix}_section_review",
            ),
            path("<path:object_id>/notes/", wrap(partial(review.note_view, self)), name=f"{prefix}_note"),
            path(
                "<path:object_id>/reviewer/", wrap(partial(review.assign_view, self)), name=f"{prefix}_assign"
            ),
            path("<path:object_id>/extension/", wrap(self.extension_view), name=f"{prefix}_extension"),
            path(
                "<path:object_id>/deliveries/<int:delivery_id>/retry/",
                wrap(self.retry_delivery_view),
                name=f"{prefix}_retry_delivery",
            ),
            *super().get_urls(),
        ]

    def report_or_404(self, request: HttpRequest, object_id: str) -> Report:
        report = self.get_object(request, unquote(object_id))
        if report is None:
            raise Http404(_("No report with this id."))
        if not self.has_view_or_change_permission(request, report):
            raise PermissionDenied
        return report

    def require_review(self, request: HttpRequest) -> None:
        if not self.has_review_permission(request):
            raise PermissionDenied

    def _page_url(self, report: Report) -> str:
        return reverse("admin:reports_report_change", args=[report.pk])

    # --- The report page ---

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return redirect(request.path)
        report = self.report_or_404(request, object_id)
        return self.report_page(request, report)

    def report_page(
        self,
        request: HttpRequest,
        report: Report,
        *,
        changes_form: RequestChangesForm | None = None,
        extension_form: ExtensionForm | None = None,
        section_errors: dict[str, str] | None = None,
        section_typed: dict[str, dict[str, str]] | None = None,
        note_form: review.NoteForm | None = None,
    ) -> TemplateResponse:
        lines = list(ActionLine.objects.in_template_order())
        submissions = list(selectors.report_submissions(report=report))
        show = request.GET.get("show", "")
        shown = None
        if show != "live" and submissions:
            number = int(show) if show.isdigit() else None
            shown = selectors.submission_content(report=report, number=number)
        if shown is not None:
            shown_number, doc = shown
        else:
            shown_number, doc = None, snapshot.document_for_report(report)
        latest = doc if shown is not None and shown_number == report.submission_count else None
        if latest is None and submissions:
            latest = (selectors.submission_content(report=report) or (None, None))[1]
        document_html = render_to_string(
            "reports/document/report.html", rendering.document_context(doc, action_lines=lines), request
        )
        can_review = self.has_review_permission(request)
        allowed = services.TRANSITIONS.get(report.status, set())
        moves = [
            {"to": to, "label": label, "back": (report.status, to) in BACK_MOVES}
            for (origin, to), label in MOVE_LABELS.items()
            if origin == report.status and to in allowed
        ]
        deliveries = list(selectors.report_deliveries(report=report))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(report.entity),
            "subtitle": report.cycle.name,
            "report": report,
            "document_html": document_html,
            "shown_number": shown_number,
            "showing_live": shown is None,
            "submissions": [
                {"submission": s, "pdf_url": submission_pdf_url(s.pk), "shown": s.number == shown_number}
                for s in submissions
            ],
            "deliveries": deliveries,
            "failed_deliveries": sum(1 for d in deliveries if d.status == Delivery.Status.FAILED),
            "status_changes": list(selectors.report_status_changes(report=report)),
            "previous_cycle_report": selectors.report_previous(report=report),
            "members": list(selectors.entity_memberships(entity=report.entity)),
            "entity_changes": entity_changes_since_submission(report, latest),
            "can_review": can_review,
            "can_retry": can_review,
            "moves": moves if can_review else [],
            "can_request_changes": can_review and S.CHANGES_REQUESTED in allowed,
            "changes_form": changes_form
            or RequestChangesForm(
                initial={
                    "due_date": timezone.localdate(
                        deadlines.changes_due_default(report.cycle), deadlines.cycle_zone(report.cycle)
                    )
                }
            ),
            "deadline": deadlines.deadline_state(report=report),
            "extension_form": extension_form
            or ExtensionForm(
                initial={
                    "until": report.deadline_extended_to
                    and timezone.localdate(report.deadline_extended_to, deadlines.cycle_zone(report.cycle)),
                    "note": report.extension_note,
                }
            ),
            "has_view_permission": True,
        }
        context.update(
            review.review_context(
                request,
                report,
                can_review=can_review,
                section_errors=section_errors,
                section_typed=section_typed,
                note_form=note_form,
            )
        )
        return TemplateResponse(request, "admin/reports/report/review.html", context)

    # --- Review moves ---

    def move_view(self, request: HttpRequest, object_id: str, to_status: str) -> HttpResponse:
        if request.method != "POST":
            return redirect(self._page_url(self.report_or_404(request, object_id)))
        self.require_review(request)
        report = self.report_or_404(request, object_id)
        if to_status not in S.values or to_status == S.CHANGES_REQUESTED:
            raise Http404(_("Unknown move."))
        before = report.get_status_display()
        from_status = report.status
        try:
            moved = services.report_transition(
                report=report,
                to_status=to_status,
                actor=staff_user(request),
                message=request.POST.get("message", ""),
            )
        except ReportError as error:
            messages.error(request, str(error))
        else:
            audit.record(
                request,
                SecurityEvent.Kind.REVIEW,
                obj=report,
                from_status=from_status,
                to_status=moved.status,
            )
            messages.success(
                request,
                _("“%(entity)s”: %(before)s → %(after)s.")
                % {"entity": report.entity, "before": before, "after": moved.get_status_display()},
            )
        return redirect(self._page_url(report))

    def request_changes_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return redirect(self._page_url(self.report_or_404(request, object_id)))
        self.require_review(request)
        report = self.report_or_404(request, object_id)
        form = RequestChangesForm(request.POST)
        form.is_valid()
        due_date = form.cleaned_data.get("due_date")
        due_at = deadlines.end_of_day(report.cycle, due_date) if due_date else None
        if due_at is not None and due_at <= timezone.now():
            form.add_error("due_date", _("Choose a day that has not passed yet."))
        if form.has_error("due_date"):
            return self.report_page(request, report, changes_form=form)
        from_status = report.status
        try:
            services.report_request_changes(
                report=report,
                actor=staff_user(request),
                message=form.cleaned_data.get("message", ""),
                due_at=due_at,
            )
        except IllegalTransition as error:
            messages.error(request, str(error))
            form.add_error(None, str(error))
            return self.report_page(request, report, changes_form=form)
        except ReportError as error:
            form.add_error("message", str(error))
            return self.report_page(request, report, changes_form=form)
        audit.record(
            request,
            SecurityEvent.Kind.REVIEW,
            obj=report,
            from_status=from_status,
            to_status=S.CHANGES_REQUESTED,
        )
        messages.success(
            request,
            _("Changes requested from “%(entity)s”; the entity's members are told by e-mail.")
            % {"entity": report.entity},
        )
        return redirect(self._page_url(report))

    def extension_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Grant (or take back) one entity's extension of the deadline; a review decision in the log."""
        if request.method != "POST":
            return redirect(self._page_url(self.report_or_404(request, object_id)))
        self.require_review(request)
        report = self.report_or_404(request, object_id)
        form = ExtensionForm(request.POST)
        if not form.is_valid():
            return self.report_page(request, report, extension_form=form)
        day = form.cleaned_data.get("until")
        until = deadlines.end_of_day(report.cycle, day) if day else None
        try:
            extended = deadlines.report_extend_deadline(
                report=report, until=until, note=form.cleaned_data.get("note", "")
            )
        except ReportError as error:
            form.add_error("until", str(error))
            return self.report_page(request, report, extension_form=form)
        audit.record(
            request,
            SecurityEvent.Kind.REVIEW,
            obj=report,
            extension=until.astimezone(UTC).isoformat() if until else None,
            note=extended.extension_note,
        )
        if until is None:
            text = _("“%(entity)s” has no extension: the cycle's deadline applies.") % {
                "entity": report.entity
            }
        else:
            text = _("“%(entity)s” may submit until %(deadline)s.") % {
                "entity": report.entity,
                "deadline": deadlines.moment(report.cycle, until).text,
            }
        messages.success(request, text)
        return redirect(self._page_url(report))

    def _bulk_move(self, request: HttpRequest, queryset: QuerySet[Report], to_status: str) -> None:
        moved, refused = 0, []
        ids = list(queryset.order_by().values_list("pk", flat=True))
        for report in Report.objects.filter(pk__in=ids).select_related("entity").defer(*LONG_FIELDS):
            from_status = report.status
            try:
                services.report_transition(report=report, to_status=to_status, actor=staff_user(request))
            except ReportError as error:
                refused.append(f"{report.entity}: {error}")
            else:
                moved += 1
                audit.record(
                    request,
                    SecurityEvent.Kind.REVIEW,
                    obj=report,
                    from_status=from_status,
                    to_status=to_status,
                )
        label = S(to_status).label
        if moved:
            self.message_user(
                request,
                ngettext("%(n)d report moved to “%(status)s”.", "%(n)d reports moved to “%(status)s”.", moved)
                % {"n": moved, "status": label},
                messages.SUCCESS,
            )
        if refused:
            shown = refused[:10]
            more = len(refused) - len(shown)
            text = ngettext(
                # Translators: the move to the new status was refused, not the reports themselves (they
                # keep their current status); the reasons follow after the colon, one per report.
                "%(n)d report could not be moved to “%(status)s”: ",
                "%(n)d reports could not be moved to “%(status)s”: ",
                len(refused),
            ) % {"n": len(refused), "status": label}
            text += " ".join(shown)
            if more:
                text += " " + _("… and %(n)d more.") % {"n": more}
            self.message_user(request, text, messages.WARNING)

    @admin.action(description=gettext_lazy("Start review of the selected reports"), permissions=["review"])
    def start_review(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._bulk_move(request, queryset, S.UNDER_REVIEW)

    @admin.action(description=gettext_lazy("Accept the selected reports"), permissions=["review"])
    def accept(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._bulk_move(request, queryset, S.ACCEPTED)

    @admin.action(
        description=gettext_lazy("Compile the selected reports into one PDF"), permissions=["compile"]
    )
    def compile_selected(self, request: HttpRequest, queryset: QuerySet[Report]) -> HttpResponse:
        # The selection can be thousands of ids: kept in the session, not in the URL.
        request.session["compilation_report_ids"] = list(queryset.values_list("pk", flat=True))
        return redirect(reverse("admin:reports_compilation_add") + "?selected=1")

    @admin.action(
        description=gettext_lazy("Send the selected entities a reminder of the deadline now"),
        permissions=["review"],
    )
    def chase(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        """A reminder now to the owners and editors of each selected report still open (a draft or
        with changes requested), in the report's language; the others are skipped and counted."""
        sent, skipped = 0, 0
        actor = staff_user(request)
        ids = list(queryset.order_by().values_list("pk", flat=True))
        for report in Report.objects.filter(pk__in=ids).select_related("entity", "cycle").defer(*LONG_FIELDS):
            if deadlines.report_chase(report=report, actor=actor) is None:
                skipped += 1
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "A reminder is on its way to %(n)d entity.",
                    "Reminders are on their way to %(n)d entities.",
                    sent,
                )
                % {"n": sent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d report skipped: already submitted, or nobody in the entity to tell.",
                    "%(n)d reports skipped: already submitted, or nobody in the entity to tell.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )

    def has_compile_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("reports.add_compilation")

    # --- Deliveries ---

    def retry_delivery_view(self, request: HttpRequest, object_id: str, delivery_id: int) -> HttpResponse:
        report = self.report_or_404(request, object_id)
        if request.method != "POST":
            return redirect(self._page_url(report))
        self.require_review(request)
        delivery = Delivery.objects.filter(pk=delivery_id, report=report).first()
        if delivery is None:
            raise Http404(_("No such delivery for this report."))
        retry_delivery(request, delivery)
        return redirect(self._page_url(report) + "#deliveries")

    # --- Submissions diff ---

    def diff_view(self, request: HttpRequest, object_id: str) -> TemplateResponse:
        report = self.report_or_404(request, object_id)
        submissions = list(selectors.report_submissions(report=report))
        numbers = [s.number for s in submissions]  # newest first
        live = "live"
        # The entity's report for the previous cycle, as last submitted (``?a=previous``).
        previous = selectors.report_previous_submitted(report=report)
        named = {live, "previous"} if previous else {live}

        def choice(name: str, default: str) -> str:
            value = request.GET.get(name, default)
            return value if value in named or (value.isdigit() and int(value) in numbers) else default

        newest = str(numbers[0]) if numbers else live
        older = str(numbers[1]) if len(numbers) > 1 else newest
        a = choice("a", older)
        b = choice("b", newest if newest != older else live)
        lines = list(ActionLine.objects.in_template_order())

        def document(which: str) -> dict:
            if which == live:
                return snapshot.document_for_report(report)
            if which == "previous" and previous is not None:
                return previous.document
            found = selectors.submission_content(report=report, number=int(which))
            if found is None:  # deleted since the page listed it
                raise Http404
            return found[1]

        sections = diff.document_diff(document(a), document(b), action_lines=lines) if a != b else []
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Changes in “%(entity)s”") % {"entity": report.entity},
            "report": report,
            "submissions": submissions,
            "previous": previous,
            "a": a,
            "b": b,
            "same": a == b,
            "total": len(sections),
            "changed": [s for s in sections if s.changed],
            "unchanged": [s for s in sections if not s.changed],
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/reports/report/diff.html", context)

    # --- Dashboard ---

    def dashboard_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        cycles = list(dashboard.cycles_for_dashboard())
        chosen = request.GET.get("cycle", "")
        now = timezone.now()
        opened = [c for c in cycles if c.opens_at <= now]  # newest first: the current one leads
        cycle = next((c for c in cycles if str(c.pk) == chosen), None) or next(iter(opened or cycles), None)
        board = dashboard.dashboard_cached(cycle=cycle) if cycle else None
        changelist = reverse("admin:reports_report_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Secretariat dashboard"),
            "cycles": cycles,
            "cycle": cycle,
            "board": board,
            "statuses": [
                (S(status).label, n, f"{changelist}?cycle__id__exact={cycle.pk}&status__exact={status}")
                for status, n in board.data.status_counts.items()
            ]
            if board and cycle
            else [],
            "changelist_url": changelist,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/reports/report/dashboard.html", context)

    # --- Exports ---

    def export_view(
        self, request: HttpRequest, fmt: str, shape: str = "reports"
    ) -> StreamingHttpResponse | FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if fmt not in {"csv", "xlsx"}:
            raise Http404(_("Unknown export format."))
        queryset = self.get_changelist_instance(request).queryset
        # What was asked for (format, shape, the list's filters and search), never the data.
        filters = {key: values for key, values in request.GET.lists() if key != "p"}
        audit.record(request, SecurityEvent.Kind.EXPORT, format=fmt, shape=shape, filters=filters)
        chosen = exports.SHAPES[shape]
        header, rows = chosen.header(), chosen.rows(queryset)
        stem = f"wsis-{chosen.stem}-{timezone.localdate():%Y-%m-%d}"
        if fmt == "csv":
            response = StreamingHttpResponse(
                exports.csv_stream(header, rows), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
            return response
        fh = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 — FileResponse closes (and so deletes) it
        exports.xlsx_write(fh, header, rows, title=chosen.title())
        fh.seek(0)
        return FileResponse(
            fh,
            as_attachment=True,
            filename=f"{stem}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def export_pdfs_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """The PDFs of the latest submissions of the list's current filter, as one ZIP streamed
        file by file; for staff who may download submissions, and audited as an export."""
        if not (self.has_view_permission(request) and request.user.has_perm("reports.view_submission")):
            raise PermissionDenied
        submissions = exports.pdf_zip_submissions(self.get_changelist_instance(request).queryset)
        filters = {key: values for key, values in request.GET.lists() if key != "p"}
        audit.record(request, SecurityEvent.Kind.EXPORT, format="zip", shape="pdfs", filters=filters)
        response = StreamingHttpResponse(exports.pdf_zip_stream(submissions.iterator(chunk_size=200)))
        response["Content-Type"] = "application/zip"
        stem = f"wsis-report-pdfs-{timezone.localdate():%Y-%m-%d}"
        response["Content-Disposition"] = f'attachment; filename="{stem}.zip"'
        response["Cache-Control"] = "private, no-store"
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        query = request.GET.copy()
        for key in ("p", "_changelist_filters"):
            query.pop(key, None)
        extra = {
            "title": _("Reports"),
            "export_query": f"?{query.urlencode()}" if query else "",
            "filters_key": urlencode(sorted((key, value) for key, many in query.lists() for value in many)),
            "can_review": self.has_review_permission(request),
        }
        return super().changelist_view(request, {**extra, **(extra_context or {})})


def retry_delivery(request: HttpRequest, delivery: Delivery) -> bool:
    """Hand a delivery back to the delivery pipeline (``reports.delivery.runner.delivery_retry``)
    and tell the person what happened."""
    try:
        delivery_retry(delivery=delivery)
    except ReportError as error:
        messages.error(request, str(error))
        return False
    messages.success(request, _("“%(delivery)s” queued again.") % {"delivery": delivery.get_kind_display()})
    return True


# --- What hangs off a report, and the reference data: read-only for the secretariat -------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the services write; admin shows them."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["entity", "user", "role", "created_at"]
    list_select_related = ["entity", "user"]
    list_filter = ["role"]
    search_fields = ["entity__name", "user__email"]
    show_full_result_count = False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["report_link", "number", "submitted_at", "is_late", "submitted_by"]
    list_select_related = ["report__entity", "submitted_by"]
    list_filter = ["is_late", "report__cycle"]
    search_fields = ["report__entity__name"]
    exclude = ["content"]
    date_hierarchy = "submitted_at"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Submission]:
        return super().get_queryset(request).defer("content")

    @admin.display(description=gettext_lazy("report"), ordering="report__entity__name")
    def report_link(self, submission: Submission) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:reports_report_change", args=[submission.report_id]),
            submission.report.entity.name,
        )


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "report", "from_status", "to_status", "actor", "message"]
    list_select_related = ["report__entity", "report__cycle", "actor"]
    list_filter = ["to_status"]
    search_fields = ["report__entity__name", "message"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "cause", "kind", "recipient_list", "status", "attempts", "short_error"]
    list_select_related = ["report__entity", "report__cycle", "compilation__cycle", "invitation__entity"]
    list_filter = ["status", "kind"]
    # The entity a row is about, and the addresses it goes to (a JSON list, searched as text).
    search_fields = ["report__entity__name", "invitation__entity__name", "recipients"]
    actions = ["retry"]
    show_full_result_count = False

    @admin.display(description=gettext_lazy("about"))
    def cause(self, delivery: Delivery) -> str:
        """What the row is for: a report's submission, a compiled report or an invitation."""
        if delivery.report is not None:
            return str(delivery.report)
        if delivery.compilation is not None:
            return _("Compiled report: %(name)s") % {"name": delivery.compilation}
        if delivery.invitation is not None:
            return _("Invitation to join %(entity)s") % {"entity": delivery.invitation.entity.name}
        return ""

    @admin.display(description=gettext_lazy("to"))
    def recipient_list(self, delivery: Delivery) -> str:
        return ", ".join(delivery.recipients)

    @admin.display(description=gettext_lazy("last error"))
    def short_error(self, delivery: Delivery) -> str:
        return (delivery.last_error[:117] + "…") if len(delivery.last_error) > 120 else delivery.last_error

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REVIEW_PERMISSION)

    @admin.action(description=gettext_lazy("Retry the selected failed deliveries"), permissions=["review"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        for delivery in queryset.filter(status=Delivery.Status.FAILED):
            retry_delivery(request, delivery)


class ReportChildAdmin(ReadOnlyAdmin):
    list_select_related = ["report__entity", "report__cycle"]
    search_fields = ["report__entity__name"]
    show_full_result_count = False


@admin.register(ActionLineProgress)
class ActionLineProgressAdmin(ReportChildAdmin):
    list_display = ["report", "action_line", "not_applicable"]
    list_select_related = ["report__entity", "report__cycle", "action_line"]
    list_filter = ["action_line", "not_applicable"]


@admin.register(SuccessStory)
class SuccessStoryAdmin(ReportChildAdmin):
    list_display = ["title", "report", "action_line", "year"]
    list_select_related = ["report__entity", "report__cycle", "action_line"]
    list_filter = ["action_line"]
    search_fields = ["title", "report__entity__name"]


@admin.register(KeyIndicator)
class KeyIndicatorAdmin(ReportChildAdmin):
    list_display = ["indicator", "value", "unit", "year", "report"]
    search_fields = ["indicator", "report__entity__name"]


@admin.register(FollowUpContact)
class FollowUpContactAdmin(ReportChildAdmin):
    list_display = ["name", "email", "position", "report"]
    search_fields = ["name", "email", "report__entity__name"]


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["name", "code"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]

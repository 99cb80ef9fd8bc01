"""Admin screens for compiled PDF reports: choose the filters and a layout, follow the job's
progress, download the result, retry a failed job. Imported by ``reports/admin/__init__.py``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from action_lines.models import ActionLine
from wsis_portal import limits

from .. import selectors, storage
from ..audit import record
from ..compilation import build as compilation
from ..errors import ReportError
from ..models import Compilation, Region, Report, ReportingCycle, SecurityEvent, StakeholderType
from .staff import staff_user


class CompilationForm(forms.Form):
    cycle = forms.ModelChoiceField(ReportingCycle.objects.all(), label=_("Reporting cycle"))
    layout = forms.ChoiceField(
        choices=Compilation.Layout.choices, label=_("Layout"), widget=forms.RadioSelect
    )
    grouping = forms.ChoiceField(
        choices=Compilation.Grouping.choices,
        label=_("Group full reports"),
        widget=forms.RadioSelect,
        required=False,
    )
    statuses = forms.MultipleChoiceField(
        choices=[c for c in Report.Status.choices if c[0] != Report.Status.DRAFT],
        required=False,
        label=_("Statuses"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every report submitted at least once."),
    )
    stakeholder_types = forms.MultipleChoiceField(
        choices=StakeholderType.choices,
        required=False,
        label=_("Stakeholder types"),
        widget=forms.CheckboxSelectMultiple,
    )
    regions = forms.ModelMultipleChoiceField(
        Region.objects.all(), required=False, label=_("Regions"), widget=forms.CheckboxSelectMultiple
    )
    action_lines = forms.ModelMultipleChoiceField(
        ActionLine.objects.in_template_order(),
        required=False,
        label=_("Action Lines"),
        widget=forms.CheckboxSelectMultiple,
        to_field_name="code",
        help_text=_(
            "Reports that address one of these lines; the by-Action-Line layout compiles only these."
        ),
    )
    title = forms.CharField(max_length=300, required=False, label=_("Title (optional)"))

    def selection(self, report_ids: tuple[int, ...] = ()) -> compilation.Selection:
        data = self.cleaned_data
        return compilation.Selection(
            cycle=data["cycle"].slug,
            layout=data["layout"],
            grouping=data.get("grouping") or Compilation.Grouping.STAKEHOLDER_TYPE,
            statuses=tuple(data["statuses"]),
            stakeholder_types=tuple(data["stakeholder_types"]),
            regions=tuple(r.code for r in data["regions"]),
            action_lines=tuple(line.code for line in data["action_lines"]),
            report_ids=report_ids,
        )


ACTIVE = (Compilation.Status.QUEUED, Compilation.Status.RUNNING)


@admin.register(Compilation)
class CompilationAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "layout",
        "status_badge",
        "progress_display",
        "report_count",
        "page_count",
        "size_display",
        "requested_by",
        "created_at",
        "download_link",
    ]
    list_filter = ["status", "layout", "cycle"]
    list_select_related = ["cycle", "requested_by"]
    readonly_fields = [f.name for f in Compilation._meta.fields]  # noqa: SLF001 (Django's documented Options API)
    actions = ["retry"]
    ordering = ["-created_at"]

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="reports_compilation_download",
            ),
            path(
                "progress/",
                self.admin_site.admin_view(self.progress_view),
                name="reports_compilation_progress",
            ),
        ]
        return own + super().get_urls()

    def has_change_permission(self, request: HttpRequest, obj: Compilation | None = None) -> bool:
        return False  # stored jobs are records, not edited

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj: Compilation) -> str:
        if obj.status == Compilation.Status.FAILED:
            return format_html(
                '<strong class="errornote-inline">{}</strong><br><small>{}</small>',
                obj.get_status_display(),
                obj.last_error[:200],
            )
        return obj.get_status_display()

    @admin.display(description=_("Progress"))
    def progress_display(self, obj: Compilation) -> str:
        """A queued or running job's progress, kept up to date on the page by
        static/js/compilation-progress.js (which reloads the list when the job ends)."""
        if obj.status in ACTIVE:
            return format_html(
                '<span class="compile-progress" data-compilation-progress="{}" data-id="{}">'
                '<progress max="100" value="{}" aria-label="{}">{} %</progress> '
                '<span class="compile-progress-message" aria-live="polite">{}</span></span>',
                reverse("admin:reports_compilation_progress"),
                obj.pk,
                obj.progress,
                _("Progress of compilation %(id)s") % {"id": obj.pk},
                obj.progress,
                obj.progress_message or obj.get_status_display(),
            )
        return f"{obj.progress} %"

    def progress_view(self, request: HttpRequest) -> JsonResponse:
        """The progress of the jobs ``?ids=1,2`` (at most 100), for the list's live progress bars."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()][:100]
        jobs = Compilation.objects.filter(pk__in=ids).order_by("pk")
        return JsonResponse(
            {
                "jobs": [
                    {
                        "id": job.pk,
                        "status": job.status,
                        "active": job.status in ACTIVE,
                        "progress": job.progress,
                        "message": job.progress_message or str(job.get_status_display()),
                    }
                    for job in jobs
                ]
            }
        )

    @admin.display(description=_("Size"))
    def size_display(self, obj: Compilation) -> str:
        return f"{obj.file_size / 1e6:.1f} MB" if obj.file_size else "—"

    @admin.display(description=_("File"))
    def download_link(self, obj: Compilation) -> str:
        if obj.status != Compilation.Status.DONE or not obj.file:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:reports_compilation_download", args=[obj.pk]),
            _("Download PDF"),
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        report_ids: tuple[int, ...] = ()
        if request.GET.get("selected"):  # "Compile the selected reports" in the report list
            report_ids = tuple(int(i) for i in request.session.get("compilation_report_ids", []))
        current = selectors.cycle_current()
        initial = {
            "cycle": current,
            "layout": Compilation.Layout.ACTION_LINE,
            "grouping": Compilation.Grouping.STAKEHOLDER_TYPE,
        }
        form = CompilationForm(request.POST or None, initial=initial)
        status = 200
        if request.method == "POST" and form.is_valid() and limits.limit_reached(request, "compilation"):
            form.add_error(None, limits.limit_message("compilation"))  # the choices stay ticked
            status = 429
        elif request.method == "POST" and form.is_valid():
            try:
                job = compilation.compilation_request(
                    user=staff_user(request),
                    selection=form.selection(report_ids),
                    title=form.cleaned_data["title"],
                )
            except ReportError as exc:
                form.add_error(None, str(exc))
            else:
                record(
                    request,
                    SecurityEvent.Kind.COMPILATION_REQUESTED,
                    obj=job,
                    reused=job.reused,
                    reports=len(report_ids),
                )
                if job.reused:
                    self.message_user(
                        request,
                        _("Nothing changed since this compilation was made: it is reused."),
                        messages.INFO,
                    )
                else:
                    self.message_user(
                        request,
                        _("The compilation is queued; you will get an e-mail when it is ready."),
                        messages.SUCCESS,
                    )
                return HttpResponseRedirect(reverse("admin:reports_compilation_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Compile reports"),
            "form": form,
            "report_ids": report_ids,
            "opts": self.model._meta,  # noqa: SLF001 (Django's documented Options API)
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/reports/compilation/add.html", context, status=status)

    def download_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if limits.limit_reached(request, "download"):
            return limits.too_many_requests(request, "download")
        job = get_object_or_404(Compilation, pk=pk)
        if job.status != Compilation.Status.DONE or not job.file:
            raise Http404(_("This compilation has no file yet."))
        filename = f"wsis-{job.cycle.slug}-{job.layout}-{job.pk}.pdf"
        try:  # streamed from the storage (local disk or bucket), never read whole
            download = storage.download_response(job.file, filename=filename, content_type="application/pdf")
        except FileNotFoundError as exc:
            raise Http404(_("This compilation has no file yet.")) from exc
        record(request, SecurityEvent.Kind.DOWNLOAD, obj=job)
        return download

    @admin.action(description=_("Retry the selected failed compilations"), permissions=["add"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Compilation]) -> None:
        retried = 0
        for job in queryset:
            try:
                compilation.compilation_retry(compilation=job)
                retried += 1
            except ReportError as exc:
                self.message_user(request, f"{job}: {exc}", messages.WARNING)
        if retried:
            self.message_user(
                request,
                ngettext("%(n)d compilation queued again.", "%(n)d compilations queued again.", retried)
                % {"n": retried},
                messages.SUCCESS,
            )

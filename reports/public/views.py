"""The public pages: published reports (list, search, page, PDF, earlier versions), the Action
Line pages and their compiled PDFs. Anyone may read them, logged in or not.

Every read starts from ``reports/published.py`` (published reports only). Pages are cheap to
serve again: the page's own part is rendered once per public stamp, language and address and
kept in the cache (``_cached``); the answer carries an ``ETag`` and ``Last-Modified`` from the
same stamp, so a browser that has it gets ``304 Not Modified``. Publishing or withdrawing a
report changes the stamp (``published.public_stamp_forget``), which makes every entry stale."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_GET

from action_lines.models import ActionLine
from wsis_portal import limits

from .. import published, services
from ..annex import Kind
from ..compilation import build as compilation
from ..document import charts, diff
from ..document.rendering import document_context
from ..models import Compilation, PublishedVersion, Region, Report, ReportingCycle, StakeholderType
from .forms import PublicFilterForm, choices_with_counts
from .pdf import published_pdf_filename, published_pdf_render
from .sitemaps import SITEMAPS

CACHE_SECONDS = 600  # a rendered part is kept this long at most (the stamp makes it stale sooner)
PAGE_FORMAT = "2"  # part of every key: change it when the cached parts change shape


# --- Caching ---------------------------------------------------------------------------------------


def _etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """Everything the answer depends on: the public stamp, the language, who asks (the header
    names them) and the address. (The language form's token comes from the CSRF cookie, which
    changes only when someone logs in or out: then who asks changes too.)"""
    user = getattr(request, "user", None)
    parts = [
        PAGE_FORMAT,
        published.public_stamp().value,
        translation.get_language() or "",
        str(user.pk) if user is not None and user.is_authenticated else "-",
        request.get_full_path(),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _last_modified(request: HttpRequest, *args: Any, **kwargs: Any) -> datetime | None:
    return published.public_stamp().last_modified


def public_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """GET only; conditional GET on the public stamp; browsers check back before reusing a copy."""
    conditional = condition(etag_func=_etag, last_modified_func=_last_modified)(view)

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = conditional(request, *args, **kwargs)
        patch_cache_control(response, max_age=0, must_revalidate=True)
        if request.user.is_authenticated:
            patch_cache_control(response, private=True)
        patch_vary_headers(response, ["Cookie", "Accept-Language"])
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_GET(wrapped)


def _cached(request: HttpRequest, name: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The page's own part (``body``, ``title``, ``description`` …) from the cache, or built and
    rendered now. ``build`` returns the template name under ``template`` and its context; it may
    raise ``Http404`` (nothing is kept then). The part is the same for everyone: it never shows
    who is logged in and holds no form token."""
    stamp = published.public_stamp().value
    raw = f"{PAGE_FORMAT}|{name}|{stamp}|{translation.get_language()}|{request.get_full_path()}"
    key = "public:page:" + hashlib.sha256(raw.encode()).hexdigest()
    part = cache.get(key)
    if part is None:
        context = build()
        template = context.pop("template")
        part = {
            "title": str(context.get("title", "")),
            "description": str(context.get("description", "")),
            "canonical": str(context.get("canonical", "")),
            "noindex": bool(context.get("noindex")),
            "body": render_to_string(template, context, request=request),
        }
        cache.set(key, part, CACHE_SECONDS)
    return part


def _page(request: HttpRequest, part: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "public/page.html",
        {**part, "body": mark_safe(part["body"])},  # noqa: S308 (our template's output, cached)
        status=status,
    )


def _int(value: str | None, default: int = 1) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


# --- Published reports ---------------------------------------------------------------------------


@public_page
def report_list(request: HttpRequest) -> HttpResponse:
    """``/published/``: every published report, searchable and filtered, with counts per value."""

    def build() -> dict[str, Any]:
        form = PublicFilterForm(request.GET)
        filters = form.filters()
        result = published.public_search(filters=filters, page=_int(request.GET.get("page")))
        filter_fields = [
            {
                "name": name,
                "label": form.fields[name].label,
                "errors": form.errors.get(name),
                "options": choices_with_counts(form, name, result.facets.get(name, {})),
            }
            for name in published.FACETS
        ]
        query = request.GET.copy()
        query.pop("page", None)
        title = _("Published reports")
        if filters.q:
            title = _("Search: %(q)s") % {"q": filters.q}
        return {
            "template": "public/report_list.html",
            "title": title,
            "description": _(
                "Reports on the implementation of the WSIS outcomes published by the WSIS secretariat: "
                "search them, filter them by cycle, Action Line, stakeholder type, region, country, language."
            ),
            "canonical": reverse("public:reports"),
            # Searches and filter combinations are for readers; robots index the list and the reports.
            "noindex": not filters.is_empty or "page" in request.GET,
            "form": form,
            "filters": filters,
            "filter_fields": filter_fields,
            "result": result,
            "page_query": query.urlencode(),
            "stakeholder_types": dict(StakeholderType.choices),
        }

    return _page(request, _cached(request, "list", build))


def _version_or_404(report_id: int) -> PublishedVersion:
    try:
        return published.report_public(report_id)
    except PublishedVersion.DoesNotExist:
        raise Http404(_("There is no published report at this address.")) from None


def _document(doc: dict[str, Any]) -> dict[str, Any]:
    context = document_context(doc)
    context["parts"] = [part for part in context["parts"] if part.spec.kind is not Kind.CONTACT]
    return context


@public_page
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """``/published/<id>/``: the report as published, with its entity, dates and earlier versions."""

    def build() -> dict[str, Any]:
        version = _version_or_404(report_id)
        report = version.report
        entity = report.entity
        return {
            "template": "public/report_detail.html",
            "title": f"{entity.name} — {report.cycle.name}",
            "description": _("The report of %(entity)s (%(type)s, %(country)s) for %(cycle)s, as published.")
            % {
                "entity": entity.name,
                "type": entity.get_stakeholder_type_display(),
                "country": entity.country.name,
                "cycle": report.cycle.name,
            },
            "canonical": reverse("public:report", args=[report.pk]),
            "version": version,
            "report": report,
            "org": entity,
            "versions": published.report_versions(report),
            **_document(version.content),
        }

    return _page(request, _cached(request, "report", build))


@public_page
def report_version(request: HttpRequest, report_id: int, number: int) -> HttpResponse:
    """``/published/<id>/versions/<n>/``: an earlier published version and what changed after it."""

    def build() -> dict[str, Any]:
        current = _version_or_404(report_id)
        versions = published.report_versions(current.report)
        by_number = {v.number: v for v in versions}
        version = by_number.get(number)
        if version is None:
            raise Http404(_("This report has no published version with that number."))
        later = next((v for v in sorted(versions, key=lambda v: v.number) if v.number > number), None)
        sections = (
            [s for s in diff.document_diff(version.content, later.content) if s.key != "contact"]
            if later
            else []
        )
        report = current.report
        return {
            "template": "public/report_version.html",
            "title": _("%(entity)s — version %(number)s") % {"entity": report.entity.name, "number": number},
            "description": _("An earlier published version of the report of %(entity)s for %(cycle)s.")
            % {"entity": report.entity.name, "cycle": report.cycle.name},
            "canonical": reverse("public:version", args=[report.pk, number]),
            "report": report,
            "org": report.entity,
            "version": version,
            "later": later,
            "current": current,
            "changed": [s for s in sections if s.changed],
            "versions": versions,
            **_document(version.content),
        }

    return _page(request, _cached(request, "version", build))


@require_GET
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponseBase:
    """``/published/<id>/pdf``: the published version as a PDF, without the follow-up contact,
    laid out on the first download and stored."""
    version = _version_or_404(report_id)
    filename = published_pdf_filename(version)
    if not version.pdf:
        # Laying a report out takes a worker's CPU for seconds: a client asking for many of them
        # at once waits (the bulk downloads at /data/ are the way to take everything).
        if limits.limit_reached(request, "public_pdf"):
            return limits.too_many_requests(request, "public_pdf")
        services.published_version_pdf_store(
            version=version, content=published_pdf_render(version), filename=filename
        )
    response = FileResponse(
        version.pdf.open("rb"), as_attachment=False, filename=filename, content_type="application/pdf"
    )
    patch_cache_control(response, max_age=300, public=True)
    return response


# --- Action Lines ---------------------------------------------------------------------------------


def _titles(line: ActionLine) -> list[dict[str, str]]:
    """The line's official title in each of the portal's languages."""
    titles = []
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            info = translation.get_language_info(code)
            titles.append(
                {
                    "code": code,
                    "language": str(info["name_local"]),
                    "title": line.display_title if not line.is_sub_line else line.display_short_title,
                    "dir": "rtl" if info["bidi"] else "ltr",
                }
            )
    return titles


@public_page
def action_line_list(request: HttpRequest) -> HttpResponse:
    """``/action-lines/``: every line with its facilitators and how many published reports address it."""

    def build() -> dict[str, Any]:
        lines = list(
            ActionLine.objects.in_template_order()
            .prefetch_related("facilitators__agency")
            .select_related("parent")
        )
        counts = published.action_line_counts()
        return {
            "template": "public/action_line_list.html",
            "title": _("WSIS Action Lines"),
            "description": _(
                "The WSIS Action Lines C1 to C11 and C7's sub-lines: their facilitators and every published "
                "contribution on each."
            ),
            "canonical": reverse("public:action_lines"),
            "rows": [{"line": line, "count": counts.get(line.code, 0)} for line in lines],
        }

    return _page(request, _cached(request, "lines", build))


def _line_or_404(code: str) -> ActionLine:
    line = ActionLine.objects.select_related("parent").filter(code=code).first()
    if line is None:
        raise Http404(_("There is no Action Line with this code."))
    return line


@public_page
def action_line_detail(request: HttpRequest, code: str) -> HttpResponseBase:
    """``/action-lines/<code>/``: the line in six languages, its facilitators, who reported on it
    (by stakeholder type and region, with the dashboard's charts) and every published contribution."""
    if code != code.upper() and ActionLine.objects.filter(code=code.upper()).exists():
        return redirect("public:action_line", code=code.upper(), permanent=True)

    def build() -> dict[str, Any]:
        line = _line_or_404(code)
        figures = published.action_line_figures(line)
        cycle = request.GET.get("cycle", "")
        page, contributions = published.action_line_contributions(
            line, page=_int(request.GET.get("page")), cycle=cycle
        )
        types = dict(StakeholderType.choices)
        regions = dict(Region.objects.values_list("code", "name"))
        type_rows = [(str(label), figures.by_type.get(value, 0)) for value, label in types.items()]
        region_rows = [(gettext(name), figures.by_region.get(code, 0)) for code, name in regions.items()]
        type_title = _("Published reports on this line by stakeholder type")
        region_title = _("Published reports on this line by region")
        cycles = list(ReportingCycle.objects.filter(slug__in=figures.by_cycle).order_by("-opens_at"))
        return {
            "template": "public/action_line_detail.html",
            "title": line.label,
            "description": ngettext(
                "%(line)s: its facilitators and the %(n)s published report that addresses it.",
                "%(line)s: its facilitators and the %(n)s published reports that address it.",
                figures.total,
            )
            % {"line": line.label, "n": figures.total},
            "canonical": reverse("public:action_line", args=[line.code]),
            "line": line,
            "titles": _titles(line),
            "facilitators": list(line.facilitators.select_related("agency").order_by("order")),
            "sub_lines": list(line.sub_lines.order_by("order")),
            "figures": figures,
            "charts": [
                (
                    type_title,
                    charts.bar_chart(type_title, type_rows, show_title=False, chart_id="chart-line-types"),
                    charts.data_table(type_title, [_("Stakeholder type"), _("Reports")], type_rows),
                ),
                (
                    region_title,
                    charts.bar_chart(
                        region_title, region_rows, show_title=False, chart_id="chart-line-regions"
                    ),
                    charts.data_table(region_title, [_("Region"), _("Reports")], region_rows),
                ),
            ],
            "cycles": [{"cycle": c, "count": figures.by_cycle.get(c.slug, 0)} for c in cycles],
            "cycle": cycle,
            "page": page,
            "contributions": contributions,
            "page_query": f"cycle={cycle}&" if cycle else "",
        }

    return _page(request, _cached(request, "line", build))


@require_GET
def action_line_pdf(request: HttpRequest, code: str, cycle: str) -> HttpResponseBase:
    """``/action-lines/<code>/pdf/<cycle>``: the compiled PDF of every published report's part on
    the line in that cycle. The newest finished compilation of exactly the reports published now
    is served; otherwise one is requested (or the one at work is reused) and the page says so."""
    line = _line_or_404(code)
    selection = compilation.Selection(
        cycle=cycle, layout="action-line", statuses=(Report.Status.PUBLISHED,), action_lines=(line.code,)
    )
    subs = compilation.selection_submissions(selection)
    if not subs:
        raise Http404(_("No published report addresses this Action Line in this cycle."))
    fingerprint = compilation.selection_fingerprint(selection, subs)
    done = (
        Compilation.objects.filter(fingerprint=fingerprint, status=Compilation.Status.DONE)
        .exclude(file="")
        .order_by("-finished_at", "-pk")
        .first()
    )
    if done is not None:
        download = FileResponse(
            done.file.open("rb"),
            filename=f"wsis-{cycle}-{line.slug}.pdf",
            content_type="application/pdf",
        )
        patch_cache_control(download, max_age=300, public=True)
        return download
    job = compilation.compilation_request(
        user=None,  # type: ignore[arg-type]  # requested by no one: no e-mail when it is ready
        selection=selection,
        title=_("%(line)s — published reports") % {"line": line.label},
    )
    response = render(
        request,
        "public/compilation_pending.html",
        {"line": line, "job": job, "count": len(subs), "cycle": cycle},
        status=202,
    )
    response["Retry-After"] = "60"
    patch_cache_control(response, no_store=True)
    return response


@public_page
def sitemap(request: HttpRequest) -> HttpResponse:
    """``/sitemap.xml``: the list pages, every published report, every Action Line page."""
    response = sitemap_view(request, sitemaps=SITEMAPS)
    response.render()
    return response

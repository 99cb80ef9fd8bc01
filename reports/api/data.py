"""``/data/``: the bulk downloads, one ZIP per reporting cycle (built by ``reports/opendata.py``).

The page lists every cycle that has published reports with what its archive holds (row counts,
size, when it was generated); the download streams the stored archive with its ``ETag`` (the
archive's SHA-256) and ``Last-Modified`` (when it was generated), so a client that has it already
gets ``304 Not Modified``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition, require_safe

from ..models import Report, ReportingCycle
from ..opendata import ArchiveInfo, archive_info, archive_name


@dataclass
class CycleData:
    cycle: ReportingCycle
    published: int
    archive: ArchiveInfo | None
    download: str


@require_safe
def data_page(request: HttpRequest) -> HttpResponse:
    cycles = (
        ReportingCycle.objects.annotate(
            published=Count("reports", filter=Q(reports__status=Report.Status.PUBLISHED))
        )
        .filter(published__gt=0)
        .order_by("-opens_at")
    )
    rows = [
        CycleData(
            cycle=cycle,
            published=cycle.published,
            archive=archive_info(cycle=cycle),
            download=f"/data/{cycle.slug}/{archive_name(cycle.slug)}",
        )
        for cycle in cycles
    ]
    return render(request, "opendata/data.html", {"rows": rows})


def _archive(request: HttpRequest, slug: str, filename: str) -> ArchiveInfo | None:
    if not hasattr(request, "opendata_archive"):  # read once per request: ETag, date, download
        cycle = get_object_or_404(ReportingCycle, slug=slug)
        found = archive_info(cycle=cycle) if filename == archive_name(slug) else None
        request.opendata_archive = found  # type: ignore[attr-defined]
    return cast(ArchiveInfo | None, request.opendata_archive)  # type: ignore[attr-defined]


def _etag(request: HttpRequest, slug: str, filename: str) -> str | None:
    info = _archive(request, slug, filename)
    return info.sha256 if info else None


def _last_modified(request: HttpRequest, slug: str, filename: str) -> datetime | None:
    info = _archive(request, slug, filename)
    return info.generated if info else None


@require_safe
@condition(etag_func=_etag, last_modified_func=_last_modified)
def data_download(request: HttpRequest, slug: str, filename: str) -> HttpResponseBase:
    info = _archive(request, slug, filename)
    if info is None:
        raise Http404("No such archive (yet).")
    try:
        handle = default_storage.open(info.path, "rb")
    except FileNotFoundError as exc:  # being replaced by a newer build this very moment
        raise Http404("No such archive (yet).") from exc
    # Streamed in chunks (FileResponse closes the file when it is sent).
    response = FileResponse(
        handle, as_attachment=True, filename=info.file_name, content_type="application/zip"
    )
    patch_cache_control(response, public=True, max_age=300)
    return response

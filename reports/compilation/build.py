"""Compiled PDF reports: one document from hundreds or thousands of submissions.

Design (measured in ``bench/compile.py``): nothing is laid out twice. Every submission is
rendered when it is submitted as its PDF and as its *compilation edition*
(``reports/delivery/submission_pdf.py``): one page naming the entity instead of the cover and
contents, no template guidance, each Action Line with content on pages of its own and opening with
its author, the entity in the running header, the bottom margin left empty; the first and last page
of every part are recorded (``Submission.pdf_page_map["edition"]``). A compilation then

1. selects the latest submission of every matching report (one query, no report text loaded),
2. renders what is new with WeasyPrint — the front matter (cover, disclaimer, key figures
   with the dashboard's charts, table of contents) and one divider page per part — computing
   every page number from the page counts it already knows,
3. and copies pages from the cached PDFs into the output (``reports/compilation/merge.py``): whole
   reports for the *full* layout, each report's pages of one Action Line for the *by Action
   Line* layout, with a PDF outline for every part and report, printing on every copied page the
   part's title and the page's number in the compilation (``reports/compilation/stamp.py``).

Steps 2 and 3 overlap: the output is written as a stream, one report's PDF at a time (memory
does not grow with the reports' pages), by a child process for a large selection while
WeasyPrint lays out the frame in this one; the frame's pages are added last. The table of
contents is a few text blocks per page (``reports/compilation/toc.py``), cheap to lay out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import sys
import tempfile
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.fields.files import FieldFile
from django.db.models.fields.json import KeyTransform
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from weasyprint import HTML

from action_lines.models import ActionLine

from .. import storage
from ..delivery.jobs import (
    Outcome,
    RunResult,
    SweepResult,
    error_text,
    job_claim,
    job_done,
    job_failure,
    job_requeue,
    overdue_take,
    stale_after,
    stale_recover,
)
from ..delivery.rows import compilation_email_create
from ..document import charts
from ..document.pdf import PDF_BASE_URL, StaticFilesFetcher
from ..errors import ReportError
from ..models import (
    LINE_ADDRESSED,
    ActionLineProgress,
    Compilation,
    Entity,
    Region,
    Report,
    ReportingCycle,
    StakeholderType,
    Submission,
)
from . import merge
from . import toc as compilation_toc
from .stamp import StampFont

logger = logging.getLogger(__name__)

# Bump when the compiled layout changes, so that stored compilations are not reused.
LAYOUT_VERSION = 3
# The table of contents has fixed-height rows that never wrap, so its length in pages is known
# before it is laid out (reports/compilation/toc.py; keep in step with static/css/compilation.css).
TOC_ROWS_FIRST_PAGE = 39
TOC_ROWS_PER_PAGE = 42

Progress = Callable[[int, str], None]


class EmptySelection(ReportError):
    pass


@dataclass(frozen=True)
class Selection:
    """What to compile. Empty tuples mean "no restriction"; statuses default to every
    report that has been submitted at least once."""

    cycle: str
    layout: str = "action-line"
    grouping: str = "stakeholder_type"
    statuses: tuple[str, ...] = ()
    stakeholder_types: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    action_lines: tuple[str, ...] = ()
    report_ids: tuple[int, ...] = ()

    def as_filters(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_filters(cls, filters: dict[str, Any]) -> Selection:
        known = {f: filters[f] for f in cls.__dataclass_fields__ if f in filters}
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in known.items()}
        return cls(**values)


def _line_codes(codes: tuple[str, ...]) -> list[str]:
    """Selected codes with C7's sub-lines when C7 itself is chosen."""
    if not codes:
        return []
    chosen = set(codes)
    lines = ActionLine.objects.select_related("parent").in_template_order()
    return [
        line.code
        for line in lines
        if line.code in chosen or (line.parent is not None and line.parent.code in chosen)
    ]


@dataclass(slots=True)
class Source:
    """A submission as the compilation reads it: its compilation edition's page map and what the
    contents, bookmarks and key figures say of its entity. Plain values, not model instances: a
    10,000-report selection is held whole while it is planned and copied (``bench/compile.py``:
    the models with their report's text were most of the memory)."""

    pk: int
    pdf: str  # the stored PDF's name (empty: not rendered yet)
    edition: dict[str, Any]  # ``pdf_page_map["edition"]``: pages, lines, covered, name, verified
    entity_name: str
    stakeholder_type: str
    verified: bool
    country_name: str
    region: str
    region_name: str
    region_order: int
    cycle_name: str
    line_index: dict[str, int]  # line code → its place in ``line_pages`` (one dict for all sources)
    line_pages: array[int]  # first and last page of each line in the edition, -1 where it has none
    attribution: str = ""  # "Entity — Stakeholder type, Country", made once (``_attribution``)
    path: Path | None = None  # the edition as a local file, found once (``_pdf_path``)
    bookmarks: dict[int, tuple[merge.Bookmark]] = field(default_factory=dict)  # by outline level

    def pages_of_line(self, code: str) -> tuple[int, int] | None:
        """The first and last page (0-based) of the line's part in the edition."""
        index = self.line_index.get(code)
        if index is None or 2 * index >= len(self.line_pages) or self.line_pages[2 * index] < 0:
            return None
        return self.line_pages[2 * index], self.line_pages[2 * index + 1]

    @property
    def edition_is_current(self) -> bool:
        """The edition exists and prints the entity's verified mark as it stands."""
        return bool(self.edition.get("name")) and self.edition.get("verified") == self.verified


def _compact(edition: dict[str, Any] | None, line_index: dict[str, int]) -> tuple[dict[str, Any], array[int]]:
    """The edition's page map as the compilation reads it, and its lines' pages as one array of
    (first, last) pairs placed by ``line_index`` (extended with codes not seen before): thousands
    of maps of the same few dozen lines, held in a few hundred bytes each."""
    edition = dict(edition or {})
    edition.pop("sections", None)
    pages = array("i")
    for code, (first, last) in (edition.pop("lines", None) or {}).items():
        index = line_index.setdefault(sys.intern(code), len(line_index))
        if len(pages) < 2 * index + 2:
            pages.extend([-1] * (2 * index + 2 - len(pages)))
        pages[2 * index], pages[2 * index + 1] = first, last
    covered = edition.get("covered")
    if isinstance(covered, list):
        edition["covered"] = [sys.intern(code) for code in covered]
    return edition, pages


_SOURCE_COLUMNS = (
    "pk",
    "pdf",
    "edition_map",
    "report__entity__name",
    "report__entity__stakeholder_type",
    "report__entity__verification",
    "report__entity__country__name",
    "report__entity__country__region_id",
    "report__entity__country__region__name",
    "report__entity__country__region__order",
    "report__cycle__name",
)


def selection_submissions(selection: Selection) -> list[Source]:
    """The latest submission of every report the selection covers, in compilation order, as
    ``Source`` records (one query, read as it streams)."""
    reports = Report.objects.filter(cycle__slug=selection.cycle, submission_count__gt=0)
    if selection.statuses:
        reports = reports.filter(status__in=selection.statuses)
    if selection.stakeholder_types:
        reports = reports.filter(entity__stakeholder_type__in=selection.stakeholder_types)
    if selection.regions:
        reports = reports.filter(entity__country__region__in=selection.regions)
    if selection.report_ids:
        reports = reports.filter(pk__in=selection.report_ids)
    codes = _line_codes(selection.action_lines)
    if codes:
        addressed = ActionLineProgress.objects.filter(
            LINE_ADDRESSED, report=OuterRef("pk"), action_line__code__in=codes
        )
        reports = reports.filter(Exists(addressed))
    rows = (
        Submission.objects.filter(report__in=reports.values("pk"), number=F("report__submission_count"))
        .annotate(edition_map=KeyTransform("edition", "pdf_page_map"))
        .values_list(*_SOURCE_COLUMNS)
    )
    verified = Entity.Verification.VERIFIED
    names: dict[str, str] = {}  # countries, regions, cycles: the same strings for every report
    line_index: dict[str, int] = {}
    sources = [
        Source(
            pk=pk,
            pdf=pdf or "",
            edition=(compact := _compact(edition, line_index))[0],
            line_index=line_index,
            line_pages=compact[1],
            entity_name=entity,
            stakeholder_type=names.setdefault(kind, kind),
            verified=verification == verified,
            country_name=names.setdefault(country, country),
            region=names.setdefault(region, region),
            region_name=names.setdefault(region_name, region_name),
            region_order=order,
            cycle_name=names.setdefault(cycle, cycle),
        )
        for pk, pdf, edition, entity, kind, verification, country, region, region_name, order, cycle in (
            rows.iterator(chunk_size=500)
        )
    ]
    type_order = {value: i for i, value in enumerate(StakeholderType.values)}
    by_region = selection.layout == "full" and selection.grouping == "region"

    def key(source: Source) -> tuple:
        group = source.region_order if by_region else type_order.get(source.stakeholder_type, 99)
        return (group, source.entity_name.casefold(), source.pk)

    return sorted(sources, key=key)


def selection_fingerprint(selection: Selection, submissions: list[Source]) -> str:
    payload = {
        "v": LAYOUT_VERSION,
        "layout": selection.layout,
        "grouping": selection.grouping if selection.layout == "full" else "",
        "lines": _line_codes(selection.action_lines),
        "submissions": sorted(s.pk for s in submissions),
        # The Secretariat verifying an entity changes its mark in the contents and bookmarks.
        "verified": sorted(s.pk for s in submissions if s.verified),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# --- Planning ---------------------------------------------------------------------------


@dataclass
class Part:
    """A divider page followed by report runs (whole reports or one line of each)."""

    key: str
    title: str
    subtitle: str
    level: int
    runs: list[tuple[Source, int, int | None]] = field(default_factory=list)  # (source, first, last)
    facilitators: str = ""


def _edition(sub: Source) -> dict[str, Any]:
    """The compilation edition's page map: ``pages``, ``lines``, ``covered`` … (submission_pdf.py)."""
    return sub.edition


def _pdf_path(sub: Source) -> Path:
    """The submission's compilation edition as a local file (the pages the merge copies)."""
    # The file itself on a local disk; from a bucket, copied once into the job's spool.
    if sub.path is None:
        edition = FieldFile(Submission(pk=sub.pk), Submission.pdf.field, sub.edition["name"])
        sub.path = storage.spooled_path(edition)
    return sub.path


def _attribution(sub: Source) -> str:
    """ "Entity — Stakeholder type, Country" (the by Action Line layout asks for it once per line)."""
    if not sub.attribution:
        sub.attribution = (
            f"{sub.entity_name} — {StakeholderType(sub.stakeholder_type).label}, {sub.country_name}"
        )
        if sub.verified:
            sub.attribution += " · " + _("verified")  # vouched for by the Secretariat
    return sub.attribution


def _plan_full(selection: Selection, subs: list[Source]) -> list[Part]:
    parts: dict[str, Part] = {}
    for sub in subs:
        if selection.grouping == "region":
            key, title = sub.region, sub.region_name
        else:
            key, title = sub.stakeholder_type, str(StakeholderType(sub.stakeholder_type).label)
        part = parts.setdefault(key, Part(key=key, title=title, subtitle="", level=1))
        part.runs.append((sub, 0, None))
    for part in parts.values():
        part.subtitle = ngettext("%(count)d report", "%(count)d reports", len(part.runs)) % {
            "count": len(part.runs)
        }
    return list(parts.values())


def _covered(sub: Source, parents: dict[str, str]) -> set[str]:
    """The line codes a submission's PDF addresses, C7 included when any of its sub-lines is
    (``text.is_addressed_with_sub_lines``; ``parents``: sub-line code → its line's code)."""
    covered = set(_edition(sub).get("covered", []))
    return covered | {parents[code] for code in covered if code in parents}


def _plan_action_lines(selection: Selection, subs: list[Source]) -> list[Part]:
    wanted = set(_line_codes(selection.action_lines))
    parts: list[Part] = []
    lines = list(
        ActionLine.objects.in_template_order()
        .select_related("parent")
        .prefetch_related("facilitators__agency")
    )
    parents = {line.code: line.parent.code for line in lines if line.parent is not None}
    covered_by_sub = {sub.pk: _covered(sub, parents) for sub in subs}
    for line in lines:
        if wanted and line.code not in wanted:
            continue
        part = Part(key=line.code, title=line.label, subtitle="", level=2 if line.is_sub_line else 1)
        leads = [f.agency.acronym for f in line.facilitators.all() if f.role == "lead"]
        cos = [f.agency.acronym for f in line.facilitators.all() if f.role == "co"]
        if leads:
            part.facilitators = ngettext(
                "Lead facilitator: %(leads)s", "Lead facilitators: %(leads)s", len(leads)
            ) % {"leads": ", ".join(leads)}
            if cos:
                part.facilitators += " · " + ngettext(
                    "Co-facilitator: %(cos)s", "Co-facilitators: %(cos)s", len(cos)
                ) % {"cos": ", ".join(cos)}
        for sub in subs:
            pages = sub.pages_of_line(line.code)
            if pages and line.code in covered_by_sub[sub.pk]:
                part.runs.append((sub, pages[0], pages[1]))
        part.subtitle = ngettext("%(count)d contribution", "%(count)d contributions", len(part.runs)) % {
            "count": len(part.runs)
        }
        parts.append(part)
    return parts


def _run_length(sub: Source, first: int, last: int | None) -> int:
    total = _edition(sub).get("pages") or 0
    end = total - 1 if last is None else min(last, total - 1)
    return max(end - first + 1, 0)


def toc_pages(rows: int) -> int:
    if rows <= TOC_ROWS_FIRST_PAGE:
        return 1
    return 1 + math.ceil((rows - TOC_ROWS_FIRST_PAGE) / TOC_ROWS_PER_PAGE)


# --- Front matter --------------------------------------------------------------------------


def key_figures(subs: list[Source], selection: Selection) -> dict[str, Any]:
    """Counts by stakeholder type, region and Action Line coverage, with their charts."""
    by_type = Counter(s.stakeholder_type for s in subs)
    by_region = Counter(s.region for s in subs)
    parents = dict(ActionLine.objects.filter(parent__isnull=False).values_list("code", "parent__code"))
    covered = Counter(code for s in subs for code in _covered(s, parents))
    type_rows = [(str(label), by_type.get(value, 0)) for value, label in StakeholderType.choices]
    region_rows = [(r.name, by_region.get(r.code, 0)) for r in Region.objects.order_by("order")]
    line_rows = [
        charts.Bar(
            line.label if not line.is_sub_line else line.display_short_title,
            covered.get(line.code, 0),
            1 if line.is_sub_line else 0,
        )
        for line in ActionLine.objects.in_template_order()
    ]
    return {
        "total": len(subs),
        "type_chart": charts.bar_chart(_("Stakeholder type distribution"), type_rows, width=620),
        "type_table": charts.data_table(
            _("Reports by stakeholder type"), [_("Stakeholder type"), _("Reports")], type_rows
        ),
        "region_chart": charts.bar_chart(_("Regional distribution"), region_rows, width=620),
        "region_table": charts.data_table(_("Reports by region"), [_("Region"), _("Reports")], region_rows),
        "lines_chart": charts.bar_chart(_("Action Line coverage"), line_rows, width=620),
    }


# The compilation's page numbers and parts' titles printed on the reports' pages (stamp.py); the
# bench turns it off to measure what it costs.
STAMP_PAGES = True
FRONT_PAGES = 4  # cover, disclaimer, two pages of key figures (fixed sizes in compilation.css)


@dataclass
class Frame:
    """The laid-out frame: where the table of contents and each divider page are."""

    path: Path
    pages: int
    toc_start: int  # 0-based
    dividers: list[int]  # 0-based page of each divider


def _frame_render(context: dict[str, Any], path: Path) -> Frame:
    html = render_to_string("reports/compilation/frame.html", context)
    document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticFilesFetcher()).render()
    first: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            first.setdefault(anchor, index)
    document.write_pdf(path)
    return Frame(
        path=path,
        pages=len(document.pages),
        toc_start=first["toc"],
        dividers=[first[f"divider-{i}"] for i in range(len(context["dividers"]))],
    )


def _number_pages(
    selection: Selection, parts: list[Part], toc_start: int, toc_len: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """TOC entries and divider pages with their final (1-based) page numbers."""
    page = toc_start + toc_len + 1
    toc: list[dict[str, Any]] = [{"title": _("Key figures"), "subtitle": "", "page": 3, "level": 1}]
    dividers: list[dict[str, Any]] = []
    for part in parts:
        dividers.append({"part": part, "page": page})
        toc.append({"title": part.title, "subtitle": part.subtitle, "page": page, "level": part.level})
        page += 1
        for sub, first, last in part.runs:
            if selection.layout == "full":
                toc.append(
                    {"title": _attribution(sub), "subtitle": "", "page": page, "level": part.level + 1}
                )
            page += _run_length(sub, first, last)
    return toc, dividers


class _Unsettled(Exception):
    """The frame was laid out with other page positions than planned."""

    def __init__(self, toc_start: int, toc_len: int) -> None:
        super().__init__(toc_start, toc_len)
        self.toc_start, self.toc_len = toc_start, toc_len


def _assemble(
    parts: list[Part],
    title: str,
    output: Path,
    frame: Path | merge.Later,
    toc_start: int,
    toc_len: int,
    progress: merge.Progress | None = None,
) -> merge.Assembled:
    """The output from the frame's pages and the reports' page runs, with the outline; every
    report page printed with its part's title and its number (the frame prints its own)."""
    mark = merge.Bookmark
    font = StampFont(part.title for part in parts) if STAMP_PAGES else None
    number = toc_start + toc_len + 1  # the first divider's (1-based)
    runs = [
        merge.Run(frame, 0, toc_start - 1, [mark(title, 1, 0), mark(_("Key figures"), 1, 2)]),
        merge.Run(frame, toc_start, toc_start + toc_len - 1, [mark(_("Table of contents"), 1, 0)]),
    ]
    divider_page = toc_start + toc_len
    for part in parts:
        runs.append(merge.Run(frame, divider_page, divider_page, [mark(part.title, part.level, 0)]))
        divider_page += 1
        number += 1
        for sub, first, last in part.runs:
            if length := _run_length(sub, first, last):
                level = part.level + 1
                if (bookmarks := sub.bookmarks.get(level)) is None:  # shared by its runs
                    bookmarks = sub.bookmarks[level] = (mark(_attribution(sub), level, 0),)
                stamp = font.head(part.title, number) if font else None
                runs.append(merge.Run(_pdf_path(sub), first, last, bookmarks, stamp))
                number += length
    return merge.assemble(
        runs,
        output,
        title=title,
        author=_("WSIS secretariat"),
        language=settings.LANGUAGE_CODE,
        stamping=font.stamping() if font else None,
        progress=progress,
    )


@dataclass
class Built:
    pages: int
    reports: int
    size: int


def compilation_build(
    selection: Selection,
    output: Path,
    *,
    title: str = "",
    submissions: list[Source] | None = None,
    progress: Progress | None = None,
    ensure_pdf: Callable[[Submission], object] | None = None,
) -> Built:
    """Write the compiled PDF of ``selection`` to ``output``."""
    report = progress or (lambda _pct, _msg: None)
    subs = submissions if submissions is not None else selection_submissions(selection)
    if not subs:
        raise EmptySelection(_("No submitted report matches these filters: there is nothing to compile."))
    # Without ``ensure_pdf`` nothing is rendered here: an edition whose verified mark is out of
    # date is used as it is; one that is missing stops the build.
    missing = [
        sub
        for sub in subs
        if not sub.pdf or not sub.edition.get("name") or (ensure_pdf and not sub.edition_is_current)
    ]
    for done, sub in enumerate(missing, start=1):
        if ensure_pdf is None:
            raise ReportError(_("Submission %(id)s has no PDF yet.") % {"id": sub.pk})
        report(5 + int(45 * (done - 1) / len(missing)), _("Rendering report PDFs not rendered yet"))
        ensure_pdf(Submission.objects.get(pk=sub.pk))
        rendered = Submission.objects.only("pdf", "pdf_page_map").get(pk=sub.pk)
        sub.pdf = rendered.pdf.name or ""
        sub.edition, sub.line_pages = _compact(rendered.pdf_page_map.get("edition"), sub.line_index)
        if not sub.edition_is_current:
            raise ReportError(_("Submission %(id)s has no compilation edition yet.") % {"id": sub.pk})
    report(50, _("Planning the document"))
    parts = _plan_full(selection, subs) if selection.layout == "full" else _plan_action_lines(selection, subs)
    title = title or (
        _("Compiled stakeholder reports — full reports")
        if selection.layout == "full"
        else _("Compiled stakeholder reports — by Action Line")
    )

    with (
        translation.override(settings.LANGUAGE_CODE),
        tempfile.TemporaryDirectory(prefix="wsis-compile-") as tmp,
        storage.spool(prefix="wsis-sources-"),  # the sources, when they are not on this host's disk
    ):
        context: dict[str, Any] = {
            "title": title,
            "cycle_name": subs[0].cycle_name,
            "generated_at": timezone.localtime(),
            "selection": selection,
            "figures": key_figures(subs, selection),
            "report_count": len(subs),
            "layout_label": dict(_layouts())[selection.layout],
        }
        # Every page number is known before layout: the front matter and the table of contents
        # have fixed lengths, the reports' page counts are stored. So the reports' pages are
        # copied (in a second process, for a large selection) while WeasyPrint lays out the
        # frame; the frame's layout is checked against the plan, and should it come out
        # otherwise (it should not), it is laid out again with the real positions.
        toc_rows = 1 + len(parts) + (len(subs) if selection.layout == "full" else 0)
        toc_start, toc_len = FRONT_PAGES, toc_pages(toc_rows)
        frame_path = Path(tmp) / "frame.pdf"

        def make_frame() -> Path:
            toc, dividers = _number_pages(selection, parts, toc_start, toc_len)
            pages = compilation_toc.toc_pages(toc, TOC_ROWS_FIRST_PAGE, TOC_ROWS_PER_PAGE)
            frame = _frame_render({**context, "toc_pages": pages, "dividers": dividers}, frame_path)
            actual = (
                frame.toc_start,
                (frame.dividers[0] if frame.dividers else frame.pages) - frame.toc_start,
            )
            planned = list(range(toc_start + toc_len, toc_start + toc_len + len(parts)))
            if actual != (toc_start, toc_len) or frame.dividers != planned:
                raise _Unsettled(*actual)
            return frame_path

        shown = [-1]

        def copying(done: int, total: int) -> None:
            percent = 60 + int(39 * done / max(total, 1))
            if percent != shown[0]:
                shown[0] = percent
                report(
                    percent,
                    _("Copying the reports' pages: %(done)d of %(total)d") % {"done": done, "total": total},
                )

        report(60, _("Laying out the cover, key figures and contents"))
        try:
            assembled = _assemble(parts, title, output, merge.Later(make_frame), toc_start, toc_len, copying)
        except _Unsettled as moved:
            toc_start, toc_len = moved.toc_start, moved.toc_len
            try:
                assembled = _assemble(parts, title, output, make_frame(), toc_start, toc_len, copying)
            except _Unsettled:
                raise ReportError(_("The compiled document's page numbers could not be settled.")) from None
    report(100, _("Done"))
    return Built(pages=assembled.pages, reports=len(subs), size=output.stat().st_size)


def _layouts() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Compilation.Layout.choices]


# --- The job ---------------------------------------------------------------------------------
#
# A ``Compilation`` row is a background job like a delivery (``reports/delivery/jobs.py``): claimed
# once, retried with backoff for transient errors (database or network connections), failed with
# its reason otherwise (staff retry it in admin), and swept: a compilation left running longer than
# the task's hard time limit plus the sweeper's margin lost its worker, and is queued again (the
# attempt counts) or failed after ``MAX_ATTEMPTS``. Such a stale job is never reused for a new
# request. The e-mail saying it is ready is a delivery row, saved with "done".

# The task's limits, below the broker's visibility timeout (an hour) so that a running compilation
# is never handed to a second worker.
COMPILE_SOFT_TIME_LIMIT = 3000
COMPILE_TIME_LIMIT = 3300
# A long job: an error that survives two retries will survive more; staff retry after the fix.
MAX_ATTEMPTS = 3


def compilation_stale_after() -> timedelta:
    """How long a compilation may run before the sweeper takes it back (its worker died)."""
    return stale_after(COMPILE_TIME_LIMIT)


def compilation_error_reason(exc: BaseException) -> tuple[bool, str]:
    """``(permanent, reason)``: lost connections (database, storage, network) are worth retrying;
    anything else — nothing to compile, a missing PDF, the time limit, a bug — would fail again."""
    transient = isinstance(exc, (ConnectionError, TimeoutError, OperationalError, InterfaceError))
    return not transient, error_text(exc)


def compilation_request(
    *, user: User, selection: Selection, title: str = "", force: bool = False
) -> Compilation:
    """Ask for a compilation. The same selection over unchanged submissions returns the stored
    result, or the job already at work on it (``reused`` True), unless ``force``; a job left running
    by a dead worker is not reused. An empty selection raises ``EmptySelection``."""
    subs = selection_submissions(selection)
    if not subs:
        raise EmptySelection(_("No submitted report matches these filters: there is nothing to compile."))
    fingerprint = selection_fingerprint(selection, subs)
    now = timezone.now()
    if not force:
        existing = (
            Compilation.objects.filter(fingerprint=fingerprint)
            .exclude(status=Compilation.Status.FAILED)
            .without_stale(before=now - compilation_stale_after())
            .order_by("-created_at")
            .first()
        )
        if existing and (existing.status != Compilation.Status.DONE or existing.file):
            existing.reused = True
            return existing
    with transaction.atomic():
        job = Compilation.objects.create(
            title=title,
            requested_by=user,
            cycle=ReportingCycle.objects.get(slug=selection.cycle),
            layout=selection.layout,
            grouping=selection.grouping,
            filters=selection.as_filters(),
            fingerprint=fingerprint,
            report_count=len(subs),
            enqueued_at=now,
        )
        compilation_enqueue_on_commit(job)
    job.reused = False
    return job


def compilation_enqueue_on_commit(job: Compilation) -> None:
    transaction.on_commit(lambda: compilations_publish([job.pk]), robust=True)


def compilations_publish(ids: list[int]) -> int:
    """Hand compilations to the broker; how many it took (never raises: see ``tasks.publish``)."""
    from ..delivery import tasks  # noqa: PLC0415 (the task meets its service: the tasks import this module)
    from .tasks import compile_reports_task  # noqa: PLC0415 (the task meets its service: it imports this module)

    handed = 0
    for pk in ids:
        if not tasks.publish(compile_reports_task, pk, model="compilation"):
            break  # the broker is down: the sweeper hands them over later
        handed += 1
    return handed


def compilation_run(
    *,
    compilation_id: int,
    ensure_pdf: Callable[[Submission], object] | None = None,
    takeover: bool = False,
) -> RunResult:
    """Build a queued compilation (the task calls this): claimed once, so a duplicate message does
    nothing; done, or retried, or failed with its reason. ``takeover``: the message came back
    because the process building it died, and the job left running is built again."""
    job = job_claim(Compilation, compilation_id, takeover_below=MAX_ATTEMPTS if takeover else 0)
    if job is None:
        return RunResult(Outcome.SKIPPED)
    Compilation.objects.filter(pk=job.pk).update(progress=0, progress_message=_("Started"))

    def progress(percent: int, message: str) -> None:
        Compilation.objects.filter(pk=job.pk).update(progress=percent, progress_message=message[:200])

    selection = Selection.from_filters(job.filters)
    try:
        with tempfile.TemporaryDirectory(prefix="wsis-job-") as tmp:
            path = Path(tmp) / "compilation.pdf"
            built = compilation_build(
                selection, path, title=job.title, progress=progress, ensure_pdf=ensure_pdf
            )
            with path.open("rb") as fh:
                job.file.save(f"{job.cycle.slug}-{job.layout}-{job.pk}.pdf", File(fh), save=False)
    except Exception as exc:  # classified: lost connections are retried, the rest fails the job
        permanent, reason = compilation_error_reason(exc)
        return job_failure(
            Compilation,
            job,
            exc,
            permanent=permanent,
            reason=reason,
            max_attempts=MAX_ATTEMPTS,
            name="compilation",
        )
    with transaction.atomic():
        if job_done(
            Compilation,
            job,
            file=job.file.name,
            page_count=built.pages,
            report_count=built.reports,
            file_size=built.size,
            progress=100,
            progress_message=_("Done"),
        ):
            compilation_email_create(compilation=job)
    return RunResult(Outcome.DONE)


def _superseded_close(recovered: list[Compilation], *, now: datetime) -> set[int]:
    """Of the jobs just recovered from dead workers, close those a later request for the same
    selection replaced (it is queued, running or done): building them too would store a second file
    and send a second e-mail. Returns their ids."""
    closed: set[int] = set()
    for job in recovered:
        newer = (
            Compilation.objects.filter(fingerprint=job.fingerprint, created_at__gt=job.created_at)
            .exclude(status=Compilation.Status.FAILED)
            .order_by("created_at")
            .first()
        )
        if newer is None:
            continue
        job.status, job.finished_at = Compilation.Status.FAILED, now
        job.last_error = f"superseded by compilation #{newer.pk}, requested later for the same selection"
        job.save(update_fields=["status", "finished_at", "last_error", "updated_at"])
        closed.add(job.pk)
    return closed


def compilations_sweep(*, now: datetime | None = None) -> SweepResult:
    """Hand over again the compilations a dead worker left running or a broker outage left queued
    (celery beat, every minute). ``now`` lets tests look at the rows as if time had passed."""
    now = now or timezone.now()
    with transaction.atomic():
        recovered, failed = stale_recover(
            Compilation, now=now, time_limit=COMPILE_TIME_LIMIT, max_attempts=MAX_ATTEMPTS
        )
        superseded = _superseded_close(recovered, now=now)
        recovered = [r for r in recovered if r.pk not in superseded]
        Compilation.objects.filter(pk__in=[r.pk for r in recovered]).update(progress=0, progress_message="")
        due = overdue_take(Compilation.objects.exclude(pk__in=[r.pk for r in recovered]), now=now)
    ids = [r.pk for r in recovered + due]
    handed = compilations_publish(ids) if ids else 0
    if ids or failed:
        logger.warning(
            "sweeper: %s queued compilation(s) handed over again, %s recovered from dead workers, %s failed",
            len(due),
            len(recovered),
            failed,
        )
    return SweepResult(requeued=len(due), recovered=len(recovered), failed=failed, handed=handed)


def compilation_retry(*, compilation: Compilation) -> None:
    """Staff retry a failed compilation: queued again, its attempts reset."""
    with transaction.atomic():
        job = Compilation.objects.select_for_update().get(pk=compilation.pk)
        if job.status != Compilation.Status.FAILED:
            raise ReportError(_("Only a failed compilation can be retried."))
        job_requeue(job)
        job.progress, job.progress_message = 0, ""
        job.save(update_fields=["progress", "progress_message", "updated_at"])
        compilation_enqueue_on_commit(job)

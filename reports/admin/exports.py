"""Exports of a set of reports (the admin list's current filter) as CSV or XLSX, and the
individual PDFs of their latest submissions as one ZIP.

Four shapes (``SHAPES``): one row per report; one row per report × Action Line (every line, C7's
sub-lines included, so each report gives the same number of rows); one row per key indicator; one
row per success story (title, description, link and year). Rows are read in chunks
(``iterator(chunk_size=…)``) and written as they come: CSV streams to the client, XLSX is written by
openpyxl's write-only workbook to a temporary file, the ZIP streams file by file.

Formula injection: in CSV, a text value starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading ``'`` (CSV has no types: a spreadsheet would evaluate it). In XLSX
every text cell is written as a string cell, which a spreadsheet shows as it is and never
evaluates, so answers starting with "-" and phone numbers starting with "+" keep their own text.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from action_lines.models import ActionLine

from ..annex import NARRATIVE_FIELDS, SECTIONS
from ..delivery.runner import submission_pdf_filename
from ..models import ActionLineProgress, FollowUpContact, KeyIndicator, Report, Submission, SuccessStory

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_767
CHUNK_SIZE = 500

# Line states in the per-line export.
ADDRESSED = "addressed"
NOT_APPLICABLE = "not applicable"
NOT_ANSWERED = "not answered"


def neutralise(value: Any) -> Any:
    """A spreadsheet-safe cell value: text that a spreadsheet would read as a formula is
    prefixed with ``'``; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0) if value else None


def _narrative_headers() -> list[str]:
    headers = []
    for spec in SECTIONS:
        for question in spec.questions:
            if len(spec.questions) > 1:
                headers.append(f"{spec.number}.{question.number} {question.label}")
            else:
                headers.append(f"{spec.number}. {spec.title}")
    return headers


def _contact(report: Report) -> FollowUpContact | None:
    try:
        return report.contact
    except FollowUpContact.DoesNotExist:
        return None


def _reports(queryset: QuerySet[Report]) -> QuerySet[Report]:
    """The reports of ``queryset`` (any filters, annotations or ordering) re-read with what
    the exports need, in a stable order."""
    return (
        Report.objects.filter(pk__in=queryset.order_by().values("pk"))
        .select_related("entity__country__region", "cycle", "contact")
        .order_by("entity__name", "pk")
    )


def _report_facts(report: Report) -> list[Any]:
    entity = report.entity
    return [
        report.pk,
        entity.name,
        entity.acronym,
        str(entity.get_stakeholder_type_display()),
        entity.country.name,
        entity.country_id,
        entity.country.region.name,
        str(entity.get_verification_display()),
        report.cycle.name,
        str(report.get_status_display()),
        _local(report.submitted_at),
        report.is_late,
    ]


def _report_fact_headers() -> list[str]:
    return [
        _("Report ID"),
        _("Entity"),
        _("Acronym"),
        _("Stakeholder type"),
        _("Country"),
        _("Country code"),
        _("Region"),
        _("Verification"),
        _("Reporting cycle"),
        _("Status"),
        _("Submitted at"),
        _("Late"),
    ]


def report_export_header() -> list[str]:
    return [
        *_report_fact_headers(),
        _("Submissions"),
        _("Action Lines covered"),
        _("Follow-up contact"),
        _("Contact position"),
        _("Contact e-mail"),
        _("Contact phone"),
        *_narrative_headers(),
    ]


def report_export_rows(queryset: QuerySet[Report], *, chunk_size: int = CHUNK_SIZE) -> Iterator[list[Any]]:
    """One row per report: who, where, status, contact, and the narrative sections."""
    for report in _reports(queryset).iterator(chunk_size=chunk_size):
        contact = _contact(report)
        yield [
            *_report_facts(report),
            report.submission_count,
            report.lines_covered,
            contact.name if contact else "",
            contact.position if contact else "",
            contact.email if contact else "",
            contact.phone if contact else "",
            *(getattr(report, name) for name in NARRATIVE_FIELDS),
        ]


def line_export_header() -> list[str]:
    return [
        *_report_fact_headers(),
        _("Action Line"),
        _("Action Line title"),
        # Translators: column of the Action Line export: whether the line is answered, not started or
        # marked not applicable (not the report's review status, which is "Status").
        pgettext("action line answer state", "State"),
        _("Achievements"),
        _("Challenges"),
        _("Future priorities"),
        _("Success stories"),
    ]


def line_export_rows(queryset: QuerySet[Report], *, chunk_size: int = 200) -> Iterator[list[Any]]:
    """One row per report × Action Line (every line in template order): the line's state
    (addressed, not applicable, not answered), its three answers and its success stories."""
    lines = list(ActionLine.objects.in_template_order())
    reports = (
        _reports(queryset)
        .defer(*NARRATIVE_FIELDS, "section_versions", "changes_requested_message")
        .prefetch_related(
            Prefetch(
                "progress",
                queryset=ActionLineProgress.objects.only(
                    "report_id",
                    "action_line_id",
                    "achievements",
                    "challenges",
                    "future_priorities",
                    "not_applicable",
                ).order_by(),
            ),
            Prefetch(
                "success_stories",
                queryset=SuccessStory.objects.only(
                    "report_id", "action_line_id", "title", "year", "order"
                ).order_by("order", "pk"),
            ),
        )
    )
    for report in reports.iterator(chunk_size=chunk_size):
        facts = _report_facts(report)
        progress = {p.action_line_id: p for p in report.progress.all()}
        stories: dict[int, list[str]] = {}
        for story in report.success_stories.all():
            title = f"{story.title} ({story.year})" if story.year else story.title
            stories.setdefault(story.action_line_id, []).append(title)
        for line in lines:
            row = progress.get(line.pk)
            if row is None:
                state = NOT_ANSWERED
            elif row.not_applicable:
                state = NOT_APPLICABLE
            else:
                state = ADDRESSED if row.is_addressed else NOT_ANSWERED
            yield [
                *facts,
                line.code,
                line.title,
                state,
                row.achievements if row else "",
                row.challenges if row else "",
                row.future_priorities if row else "",
                "\n".join(stories.get(line.pk, [])),
            ]


def indicator_export_header() -> list[str]:
    return [
        *_report_fact_headers(),
        _("Row"),
        _("Indicator"),
        _("Value"),
        _("Unit"),
        _("Year"),
        _("Source"),
        _("Note"),
    ]


def indicator_export_rows(queryset: QuerySet[Report], *, chunk_size: int = CHUNK_SIZE) -> Iterator[list[Any]]:
    """One row per key indicator (section IV), in each report's order: reports without one give
    no row."""
    reports = (
        _reports(queryset)
        .defer(*NARRATIVE_FIELDS, "section_versions", "changes_requested_message")
        .prefetch_related(Prefetch("indicators", queryset=KeyIndicator.objects.order_by("order", "pk")))
    )
    for report in reports.iterator(chunk_size=chunk_size):
        facts = _report_facts(report)
        for number, row in enumerate(report.indicators.all(), start=1):
            yield [*facts, number, row.indicator, row.value, row.unit, row.year, row.source, row.note]


def story_export_header() -> list[str]:
    return [
        *_report_fact_headers(),
        _("Action Line"),
        _("Action Line title"),
        _("Title"),
        _("Description"),
        _("Link"),
        _("Year"),
    ]


def story_export_rows(queryset: QuerySet[Report], *, chunk_size: int = CHUNK_SIZE) -> Iterator[list[Any]]:
    """One row per success story, in template order of the lines: its title, description, link
    and year."""
    lines = {line.pk: line for line in ActionLine.objects.all()}
    order = {line.pk: index for index, line in enumerate(ActionLine.objects.in_template_order())}
    reports = (
        _reports(queryset)
        .defer(*NARRATIVE_FIELDS, "section_versions", "changes_requested_message")
        .prefetch_related(Prefetch("success_stories", queryset=SuccessStory.objects.order_by("order", "pk")))
    )
    for report in reports.iterator(chunk_size=chunk_size):
        facts = _report_facts(report)
        stories = sorted(
            report.success_stories.all(), key=lambda s: (order.get(s.action_line_id, 0), s.order, s.pk)
        )
        for story in stories:
            line = lines[story.action_line_id]
            yield [*facts, line.code, line.title, story.title, story.description, story.url, story.year]


@dataclass(frozen=True)
class Shape:
    """One kind of export: its columns, its rows, the XLSX sheet's title and the file name's stem."""

    header: Callable[[], list[str]]
    rows: Callable[[QuerySet[Report]], Iterator[list[Any]]]
    title: Callable[[], str]
    stem: str


SHAPES: dict[str, Shape] = {
    "reports": Shape(report_export_header, report_export_rows, lambda: _("Reports"), "reports"),
    "lines": Shape(line_export_header, line_export_rows, lambda: _("Action Lines"), "reports-by-action-line"),
    "indicators": Shape(
        indicator_export_header, indicator_export_rows, lambda: _("Key indicators"), "indicators"
    ),
    "stories": Shape(story_export_header, story_export_rows, lambda: _("Success stories"), "success-stories"),
}


# --- Writers -------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose ``write`` returns what it was given (for ``csv.writer``)."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if value is None:
        return ""
    return neutralise(value)


def csv_stream(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV lines as they are produced, UTF-8 with a byte-order mark so that spreadsheet
    programs read the accents and scripts correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([_csv_value(h) for h in header])
    for row in rows:
        yield writer.writerow([_csv_value(v) for v in row])


def _xlsx_value(value: Any) -> Any:
    """Text as the spreadsheet will hold it: without the characters XML cannot carry, cut to a
    cell's limit. Not neutralised: ``_xlsx_cell`` types it as a string."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > XLSX_CELL_LIMIT:
            value = value[: XLSX_CELL_LIMIT - 1] + "…"
    return value


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """A text value as a string cell (openpyxl would make a formula of text starting with "="),
    anything else as openpyxl types it (numbers, dates, booleans)."""
    value = _xlsx_value(value)
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def xlsx_write(fh: IO[bytes], header: list[str], rows: Iterable[list[Any]], *, title: str) -> None:
    """Write one sheet (bold, frozen header row) with openpyxl's write-only workbook, so
    memory stays flat however many rows there are."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    facts = len(_report_fact_headers())
    for index, name in enumerate(header, start=1):
        long_text = index > facts and name not in {_("Submissions"), _("Action Lines covered")}
        sheet.column_dimensions[get_column_letter(index)].width = 50 if long_text else max(12, len(name) + 2)
    bold = Font(bold=True)
    top = Alignment(vertical="top", wrap_text=False)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(name))
        cell.font = bold
        cell.alignment = top
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    workbook.save(fh)


# --- The PDFs of the filter, as one ZIP --------------------------------------------------------

PDF_CHUNK = 64 * 1024


class _Sink(io.RawIOBase):
    """A write-only, unseekable stream that keeps what is written until ``take`` (so ``zipfile``
    writes data descriptors and the archive can be sent as it is built)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def pdf_zip_submissions(queryset: QuerySet[Report]) -> QuerySet[Submission]:
    """The latest submission of each report of ``queryset`` (drafts have none), in entity order."""
    return (
        Submission.objects.filter(
            report__in=queryset.order_by().values("pk"), number=F("report__submission_count")
        )
        .select_related("report__entity", "report__cycle")
        .defer("content")
        .order_by("report__entity__name", "report_id")
    )


def pdf_zip_stream(submissions: Iterable[Submission]) -> Iterator[bytes]:
    """A ZIP of the submissions' stored PDFs, streamed file by file (PDFs are already compressed:
    stored, not deflated), with a ``missing.txt`` naming the reports whose PDF is not rendered yet."""
    sink = _Sink()
    names: set[str] = set()
    missing: list[str] = []
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for submission in submissions:
            report = submission.report
            if not submission.pdf:
                missing.append(f"{report.entity.name} — {report.cycle.name} (#{submission.number})")
                continue
            try:
                source = submission.pdf.open("rb")
            except FileNotFoundError:
                missing.append(f"{report.entity.name} — {report.cycle.name} (#{submission.number})")
                continue
            name = _unique(submission_pdf_filename(submission), names)
            with source, archive.open(name, mode="w") as target:
                while chunk := source.read(PDF_CHUNK):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
        if missing:
            note = _("These reports have no PDF yet (it is being rendered); download again later:")
            archive.writestr("missing.txt", note + "\n" + "\n".join(missing) + "\n")
    yield sink.take()


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}{dot}{ext}"
    taken.add(candidate)
    return candidate

"""Bulk open-data downloads per cycle (CSV, JSON and XLSX in one ZIP), rebuilt on publication.

One archive per reporting cycle, at a fixed place in Django's default storage
(``opendata/<cycle-slug>/wsis-reports-<cycle-slug>.zip``, local disk or the S3 bucket), holding:

- ``README.md`` — what the data is, the cycle, when it was generated, the row count of every
  table, how to cite it; ``LICENSE.txt`` — the Creative Commons Attribution 4.0 licence;
- ``datapackage.json`` — the schema: a Frictionless Data Package naming every file, its fields,
  their types and meanings, and the licence;
- ``csv/<table>.csv`` (UTF-8 with BOM, so spreadsheets read non-Latin text), ``reports.json``
  (every report with its content nested) and ``wsis-reports-<slug>.xlsx`` (one sheet per table).

Only published reports are in it (``published.published_reports()``), and never the follow-up
contact (personal data) nor anything the Secretariat keeps for itself (reviewers, notes, requests
for changes, who submitted). A small ``manifest.json`` beside the archive records when it was
built, from which state of the data (``stamp``) and its row counts: the ``/data/`` page reads it,
and the worker rebuilds only when the stamp has changed.

When: ``services.report_transition`` hands ``reports.opendata_build`` to the worker (on commit)
whenever a report is published or moved back from published; Celery beat runs
``reports.opendata_refresh`` every few minutes, which hands the worker any cycle whose data changed
since (a message lost while the broker was down, an entity's name corrected by the Secretariat).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .delivery import tasks as delivery_tasks
from .models import (
    ActionLineProgress,
    Entity,
    KeyIndicator,
    Report,
    ReportingCycle,
    StakeholderType,
    StatusChange,
    SuccessStory,
)
from .published import published_reports

logger = logging.getLogger(__name__)

# Raise when the archive's layout or columns change: every archive is rebuilt on the next refresh.
ARCHIVE_FORMAT = 1
BUILD_TASK = "reports.opendata_build"
LICENCE_NAME = "CC-BY-4.0"
LICENCE_TITLE = "Creative Commons Attribution 4.0 International"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_FILE = Path(settings.BASE_DIR) / "templates" / "opendata" / "LICENSE-CC-BY-4.0.txt"
CHUNK_SIZE = 200
# A build reads every published report of a cycle: about 15 ms a report on the benchmark's machine
# (bench/opendata.py), so minutes at 10,000. Its own limits, below the broker's visibility timeout.
BUILD_SOFT_TIME_LIMIT = 1500
BUILD_TIME_LIMIT = 1800
XLSX_CELL_LIMIT = 32_767
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PUBLISHED = Report.Status.PUBLISHED


# --- Where the files are -----------------------------------------------------------------------


def archive_name(slug: str) -> str:
    """The archive's file name (what a reader's browser saves it as)."""
    return f"wsis-reports-{slug}.zip"


def archive_path(slug: str) -> str:
    """The archive's place in the default storage: the same for every build of a cycle."""
    return f"opendata/{slug}/{archive_name(slug)}"


def manifest_path(slug: str) -> str:
    return f"opendata/{slug}/manifest.json"


# --- What the tables hold (the schema) -------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Frictionless Table Schema types: integer, string, boolean, datetime
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    rows: Callable[[ReportingCycle], Iterator[dict[str, Any]]] = field(repr=False, default=lambda c: iter(()))

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]


def _text(name: str, description: str) -> Column:
    return Column(name, "string", description)


REPORT_COLUMNS = (
    Column("report_id", "integer", "The report's number in the portal (its page: /published/<report_id>/)."),
    _text("cycle", "The reporting cycle's short name (slug)."),
    _text("cycle_name", "The reporting cycle's name."),
    Column("entity_id", "integer", "The reporting entity's number in the portal."),
    _text("entity_name", "The entity's name."),
    _text("entity_acronym", "The entity's acronym, if any."),
    _text(
        "stakeholder_type",
        "Government, Private Sector, Civil Society, Academia, Technical Community or "
        "International Organization (code).",
    ),
    _text("stakeholder_type_name", "The stakeholder type's name."),
    _text(
        "country",
        "ISO 3166-1 alpha-2 code of the entity's country (headquarters for international organizations).",
    ),
    _text("country_name", "The country's name."),
    _text("region", "The ITU-D region of the country (code)."),
    _text("region_name", "The region's name."),
    Column(
        "entity_verified", "boolean", "Whether the Secretariat verified that the entity is who its name says."
    ),
    _text("language", "The language the report is written in (BCP 47 code)."),
    Column("submitted_at", "datetime", "When the report was last submitted (UTC)."),
    Column("published_at", "datetime", "When the report was last published (UTC)."),
    _text("executive_summary", "I. Executive Summary."),
    _text("digital_strategy", "III.1 Digital Strategy/Policy."),
    _text("strategic_documents", "III.2 Strategic Documents/Plans."),
    _text("wsis_mandates", "III.3 Implementation of WSIS Mandates."),
    _text("indicators_narrative", "IV. Key Indicators of Progress (narrative)."),
    _text("challenges_gaps", "V. Challenges and Gaps."),
    _text("future_vision", "VI. Future Directions, Areas for Collaboration and Vision Beyond 2025."),
    Column("action_lines_covered", "integer", "How many Action Lines the report addresses."),
)
NARRATIVE = (
    "executive_summary",
    "digital_strategy",
    "strategic_documents",
    "wsis_mandates",
    "indicators_narrative",
    "challenges_gaps",
    "future_vision",
)
LINE_COLUMNS = (
    Column("report_id", "integer", "The report (reports.csv)."),
    _text("action_line", "The Action Line's code: C1 … C11, or a C7 sub-line such as C7.GOV."),
    _text("action_line_title", "The Action Line's title (English)."),
    Column("not_applicable", "boolean", "The entity marked the line not applicable to it."),
    _text("achievements", "Achievements."),
    _text("challenges", "Challenges."),
    _text("future_priorities", "Future priorities."),
)
STORY_COLUMNS = (
    Column("story_id", "integer", "The success story's number in the portal."),
    Column("report_id", "integer", "The report (reports.csv)."),
    _text("action_line", "The Action Line the story illustrates (code)."),
    _text("title", "The story's title."),
    _text("description", "The story."),
    _text("url", "A link to more about it, if given."),
    Column("year", "integer", "The year it happened, if given."),
)
INDICATOR_COLUMNS = (
    Column("report_id", "integer", "The report (reports.csv)."),
    Column("position", "integer", "The row's place in the report's table of indicators (from 1)."),
    _text("indicator", "What is measured."),
    _text("value", "The value, as the entity wrote it."),
    _text("unit", "The unit, if any."),
    Column("year", "integer", "The year of the value, if given."),
    _text("source", "Where the value comes from, if given."),
    _text("note", "A note on the value, if any."),
)


# --- Reading the published data ------------------------------------------------------------------


def with_published_at(queryset: QuerySet[Report]) -> QuerySet[Report]:
    """``published_at``: the last time each report was moved to published (its status history)."""
    last = (
        StatusChange.objects.filter(report=OuterRef("pk"), to_status=PUBLISHED)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return queryset.annotate(published_at=Subquery(last))


def _cycle_reports(cycle: ReportingCycle) -> QuerySet[Report]:
    return with_published_at(published_reports().filter(cycle=cycle)).order_by("pk")


def _utc(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else ""


def _report_row(report: Report) -> dict[str, Any]:
    entity = report.entity
    row: dict[str, Any] = {
        "report_id": report.pk,
        "cycle": report.cycle.slug,
        "cycle_name": report.cycle.name,
        "entity_id": entity.pk,
        "entity_name": entity.name,
        "entity_acronym": entity.acronym,
        "stakeholder_type": entity.stakeholder_type,
        "stakeholder_type_name": str(StakeholderType(entity.stakeholder_type).label),
        "country": entity.country_id,
        "country_name": entity.country.name,
        "region": entity.country.region_id,
        "region_name": entity.country.region.name,
        "entity_verified": entity.verification == Entity.Verification.VERIFIED,
        "language": report.language,
        "submitted_at": _utc(report.submitted_at),
        "published_at": _utc(getattr(report, "published_at", None)),
    }
    row.update({name: getattr(report, name) for name in NARRATIVE})
    row["action_lines_covered"] = report.lines_covered
    return row


def _report_rows(cycle: ReportingCycle) -> Iterator[dict[str, Any]]:
    for report in _cycle_reports(cycle).iterator(chunk_size=CHUNK_SIZE):
        yield _report_row(report)


def _line_row(progress: ActionLineProgress) -> dict[str, Any]:
    return {
        "report_id": progress.report_id,
        "action_line": progress.action_line.code,
        "action_line_title": progress.action_line.title,
        "not_applicable": progress.not_applicable,
        "achievements": progress.achievements,
        "challenges": progress.challenges,
        "future_priorities": progress.future_priorities,
    }


def _line_rows(cycle: ReportingCycle) -> Iterator[dict[str, Any]]:
    rows = (
        ActionLineProgress.objects.filter(report__in=published_reports().filter(cycle=cycle).values("pk"))
        .filter(Q(addressed=True) | Q(not_applicable=True))
        .select_related("action_line")
        .order_by("report_id", "action_line__order")
    )
    for progress in rows.iterator(chunk_size=CHUNK_SIZE):
        yield _line_row(progress)


def _story_row(story: SuccessStory) -> dict[str, Any]:
    return {
        "story_id": story.pk,
        "report_id": story.report_id,
        "action_line": story.action_line.code,
        "title": story.title,
        "description": story.description,
        "url": story.url,
        "year": story.year,
    }


def _story_rows(cycle: ReportingCycle) -> Iterator[dict[str, Any]]:
    rows = (
        SuccessStory.objects.filter(report__in=published_reports().filter(cycle=cycle).values("pk"))
        .select_related("action_line")
        .order_by("report_id", "action_line__order", "order", "pk")
    )
    for story in rows.iterator(chunk_size=CHUNK_SIZE):
        yield _story_row(story)


def _indicator_row(indicator: KeyIndicator, position: int) -> dict[str, Any]:
    return {
        "report_id": indicator.report_id,
        "position": position,
        "indicator": indicator.indicator,
        "value": indicator.value,
        "unit": indicator.unit,
        "year": indicator.year,
        "source": indicator.source,
        "note": indicator.note,
    }


def _indicator_rows(cycle: ReportingCycle) -> Iterator[dict[str, Any]]:
    rows = KeyIndicator.objects.filter(
        report__in=published_reports().filter(cycle=cycle).values("pk")
    ).order_by("report_id", "order", "pk")
    report_id, position = None, 0
    for indicator in rows.iterator(chunk_size=CHUNK_SIZE):
        position = position + 1 if indicator.report_id == report_id else 1
        report_id = indicator.report_id
        yield _indicator_row(indicator, position)


TABLES: tuple[Table, ...] = (
    Table(
        "reports",
        "Reports",
        "One row per published report: the entity, the cycle and the narrative sections of Annex 1.",
        REPORT_COLUMNS,
        ("report_id",),
        _report_rows,
    ),
    Table(
        "action_lines",
        "Progress on WSIS Action Lines",
        "Section II: one row per report and Action Line the report addresses or marks not applicable.",
        LINE_COLUMNS,
        ("report_id", "action_line"),
        _line_rows,
    ),
    Table(
        "success_stories",
        "Success stories",
        "Section II: the success stories, each under one Action Line.",
        STORY_COLUMNS,
        ("story_id",),
        _story_rows,
    ),
    Table(
        "indicators",
        "Key indicators",
        "Section IV: the structured indicator rows.",
        INDICATOR_COLUMNS,
        ("report_id", "position"),
        _indicator_rows,
    ),
)


def report_documents(cycle: ReportingCycle) -> Iterator[dict[str, Any]]:
    """Every published report of ``cycle`` as one nested object (``reports.json``): a fixed number
    of queries per chunk of reports."""
    reports = _cycle_reports(cycle).prefetch_related(
        Prefetch(
            "progress",
            ActionLineProgress.objects.filter(Q(addressed=True) | Q(not_applicable=True))
            .select_related("action_line")
            .order_by("action_line__order"),
        ),
        Prefetch(
            "success_stories",
            SuccessStory.objects.select_related("action_line").order_by("action_line__order", "order", "pk"),
        ),
        Prefetch("indicators", KeyIndicator.objects.order_by("order", "pk")),
    )
    for report in reports.iterator(chunk_size=CHUNK_SIZE):
        document = _report_row(report)
        document["action_lines"] = [
            {k: v for k, v in _line_row(p).items() if k != "report_id"} for p in report.progress.all()
        ]
        document["success_stories"] = [
            {k: v for k, v in _story_row(s).items() if k != "report_id"} for s in report.success_stories.all()
        ]
        document["indicators"] = [
            {k: v for k, v in _indicator_row(i, n).items() if k != "report_id"}
            for n, i in enumerate(report.indicators.all(), start=1)
        ]
        yield document


# --- Whether the data changed ----------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedState:
    """When the published data last changed, and how many reports are published."""

    last_modified: datetime | None
    count: int

    @property
    def fingerprint(self) -> str:
        return f"{_utc(self.last_modified)}|{self.count}"


def published_state(*, cycle: ReportingCycle | None = None) -> PublishedState:
    """When the published data last changed — a published report, its entity or its cycle saved,
    or a report moved to or from published — and how many reports are published (a report leaving
    the set changes the count even when its move left no trace). Two queries."""
    reports = published_reports()
    changes = StatusChange.objects.filter(Q(to_status=PUBLISHED) | Q(from_status=PUBLISHED))
    if cycle is not None:
        reports = reports.filter(cycle=cycle)
        changes = changes.filter(report__cycle=cycle)
    found = reports.aggregate(
        report=Max("updated_at"),
        entity=Max("entity__updated_at"),
        cycle=Max("cycle__updated_at"),
        count=Count("pk"),
    )
    count = found.pop("count")
    found["change"] = changes.aggregate(at=Max("created_at"))["at"]
    moments = [value for value in found.values() if value is not None]
    return PublishedState(last_modified=max(moments) if moments else None, count=count)


def published_last_modified(*, cycle: ReportingCycle | None = None) -> datetime | None:
    """When the published data last changed (``published_state``); ``None`` when nothing was ever
    published."""
    return published_state(cycle=cycle).last_modified


def cycle_stamp(*, cycle: ReportingCycle) -> str:
    """A short fingerprint of ``cycle``'s published data: the archive is rebuilt when it differs."""
    state = published_state(cycle=cycle)
    seed = f"{ARCHIVE_FORMAT}|{cycle.pk}|{cycle.slug}|{state.fingerprint}|{_utc(cycle.updated_at)}"
    return hashlib.sha256(seed.encode()).hexdigest()[:20]


# --- Writing the archive ---------------------------------------------------------------------------


@dataclass
class ArchiveInfo:
    """What ``manifest.json`` records about a cycle's archive."""

    cycle: str
    cycle_name: str
    path: str
    file_name: str
    generated_at: str  # ISO 8601, UTC
    stamp: str
    size: int
    sha256: str
    counts: dict[str, int]
    format: int = ARCHIVE_FORMAT

    @property
    def generated(self) -> datetime:
        return datetime.fromisoformat(self.generated_at)


def _csv_value(value: Any) -> Any:
    """A value as CSV text: booleans as true/false, and text a spreadsheet would read as a formula
    behind a ``'`` (the JSON and XLSX files keep the exact text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _write_table(archive: zipfile.ZipFile, table: Table, cycle: ReportingCycle, sheet: Any) -> int:
    """One pass over ``table``'s rows: its CSV member of the ZIP and its sheet of the workbook."""
    count = 0
    sheet.append(table.headers)
    with archive.open(f"csv/{table.name}.csv", "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(table.headers)
        for row in table.rows(cycle):
            values = [row[name] for name in table.headers]
            writer.writerow([_csv_value(value) for value in values])
            sheet.append([_xlsx_value(sheet, value) for value in values])
            count += 1
        text.flush()
        text.detach()
    return count


def _xlsx_value(sheet: Any, value: Any) -> Any:
    """A cell's value for openpyxl: text without the control characters XML cannot hold, cut at
    Excel's cell limit, and typed as text when it starts with "=" (never a formula)."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_CELL_LIMIT]
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _write_json(archive: zipfile.ZipFile, cycle: ReportingCycle, generated_at: str) -> None:
    with archive.open("reports.json", "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8")
        head = {
            "cycle": cycle.slug,
            "cycle_name": cycle.name,
            "generated_at": generated_at,
            "licence": LICENCE_URL,
        }
        text.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "reports": [\n')
        for n, document in enumerate(report_documents(cycle)):
            text.write((",\n" if n else "") + json.dumps(document, ensure_ascii=False))
        text.write("\n]}\n")
        text.flush()
        text.detach()


def datapackage(cycle: ReportingCycle, generated_at: str, counts: dict[str, int]) -> dict[str, Any]:
    """The archive's schema as a Frictionless Data Package (https://datapackage.org)."""
    return {
        "profile": "tabular-data-package",
        "name": f"wsis-reports-{cycle.slug}",
        "title": f"WSIS stakeholder reports — {cycle.name}",
        "created": generated_at,
        "licenses": [{"name": LICENCE_NAME, "title": LICENCE_TITLE, "path": LICENCE_URL}],
        "resources": [
            {
                "name": table.name,
                "title": table.title,
                "description": table.description,
                "path": f"csv/{table.name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "rows": counts[table.name],
                "schema": {
                    "fields": [
                        {"name": c.name, "type": c.type, "description": c.description} for c in table.columns
                    ],
                    "primaryKey": list(table.primary_key),
                    **(
                        {
                            "foreignKeys": [
                                {
                                    "fields": "report_id",
                                    "reference": {"resource": "reports", "fields": "report_id"},
                                }
                            ]
                        }
                        if table.name != "reports"
                        else {}
                    ),
                },
            }
            for table in TABLES
        ],
    }


def readme(cycle: ReportingCycle, generated_at: str, counts: dict[str, int]) -> str:
    rows = "\n".join(f"| `csv/{t.name}.csv` | {t.description} | {counts[t.name]} |" for t in TABLES)
    return f"""# WSIS stakeholder reports — {cycle.name}

The reports that stakeholders (governments, the private sector, civil society, academia, the
technical community and international organizations) sent on their implementation of the outcomes
of the World Summit on the Information Society, following Annex 1 of the invitation, as published
by the WSIS Secretariat on {settings.SITE_URL}.

- Reporting cycle: {cycle.name} (`{cycle.slug}`)
- Generated: {generated_at} (UTC). The archive is rebuilt whenever a report of this cycle is
  published or withdrawn from publication; the latest is always at
  {settings.SITE_URL}/data/{cycle.slug}/{archive_name(cycle.slug)}
- Published reports: {counts["reports"]}

## Files

| file | what | rows |
|---|---|---|
{rows}

- `reports.json`: the same reports, one object each, with their Action Lines, success stories and
  indicators nested.
- `wsis-reports-{cycle.slug}.xlsx`: the four tables as sheets of one workbook.
- `datapackage.json`: the schema of the tables (every column, its type and meaning), as a
  Frictionless Data Package.

CSV files are UTF-8 (with a byte-order mark, so spreadsheets read every script), comma-separated,
with a header row; booleans are `true`/`false`, dates ISO 8601 in UTC. In the CSV files only, a
text that begins with `=`, `+`, `-` or `@` is preceded by `'` so that a spreadsheet does not run
it as a formula; `reports.json` and the XLSX workbook hold the exact text. The Action Lines table
lists the lines a report addresses or marks not applicable; a line missing there was left
unanswered.

The follow-up contact person of each report is personal data and is not published.

## Licence

{LICENCE_TITLE} ({LICENCE_NAME}, {LICENCE_URL}); the full text is in `LICENSE.txt`.
Cite as: "WSIS stakeholder reports — {cycle.name}, WSIS Secretariat, {settings.SITE_URL}/data/,
retrieved <date>", and name the reporting entity when quoting a report.
"""


def archive_info(*, cycle: ReportingCycle) -> ArchiveInfo | None:
    """What the last build of ``cycle``'s archive recorded; ``None`` when there is none (yet)."""
    try:
        with default_storage.open(manifest_path(cycle.slug), "rb") as handle:
            data = json.loads(handle.read())
    except (FileNotFoundError, OSError, ValueError):
        return None
    try:
        return ArchiveInfo(**data)
    except TypeError:
        return None


def _replace(name: str, content: File) -> None:
    """Store ``content`` at exactly ``name``, replacing what is there."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, content)
    if saved != name:  # another build stored one in between: keep the newer, at the fixed name
        default_storage.delete(name)
        content.seek(0)
        default_storage.save(name, content)
        default_storage.delete(saved)


def archive_build(*, cycle: ReportingCycle, now: datetime | None = None) -> ArchiveInfo:
    """Build ``cycle``'s archive from its published reports and store it, then its manifest."""
    with translation.override("en"):
        stamp = cycle_stamp(cycle=cycle)
        generated_at = _utc((now or timezone.now()).replace(microsecond=0))
        counts: dict[str, int] = {}
        with tempfile.TemporaryFile() as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                workbook = Workbook(write_only=True)  # its sheets wait in temporary files
                for table in TABLES:
                    sheet = workbook.create_sheet(title=table.name)
                    counts[table.name] = _write_table(archive, table, cycle, sheet)
                _write_json(archive, cycle, generated_at)
                with tempfile.TemporaryFile() as xlsx:
                    workbook.save(xlsx)
                    xlsx.seek(0)
                    with archive.open(f"wsis-reports-{cycle.slug}.xlsx", "w", force_zip64=True) as target:
                        while chunk := xlsx.read(1024 * 1024):
                            target.write(chunk)
                archive.writestr(
                    "datapackage.json",
                    json.dumps(datapackage(cycle, generated_at, counts), ensure_ascii=False, indent=2),
                )
                archive.writestr("README.md", readme(cycle, generated_at, counts))
                archive.writestr("LICENSE.txt", LICENCE_FILE.read_text(encoding="utf-8"))
            size = spool.tell()
            spool.seek(0)
            digest = hashlib.sha256()
            while chunk := spool.read(1024 * 1024):
                digest.update(chunk)
            spool.seek(0)
            _replace(archive_path(cycle.slug), File(spool, name=archive_name(cycle.slug)))
    info = ArchiveInfo(
        cycle=cycle.slug,
        cycle_name=cycle.name,
        path=archive_path(cycle.slug),
        file_name=archive_name(cycle.slug),
        generated_at=generated_at,
        stamp=stamp,
        size=size,
        sha256=digest.hexdigest(),
        counts=counts,
    )
    _replace(
        manifest_path(cycle.slug), File(io.BytesIO(json.dumps(asdict(info)).encode()), name="manifest.json")
    )
    logger.info("open-data archive of %s built: %s", cycle.slug, counts)
    return info


def _stale(cycle: ReportingCycle) -> bool:
    """Whether ``cycle``'s archive is missing or older than its published data (a missing one only
    matters once something was published)."""
    info = archive_info(cycle=cycle)
    if info is None:
        return published_reports().filter(cycle=cycle).exists()
    return info.stamp != cycle_stamp(cycle=cycle)


def archive_refresh(*, cycle_id: int, force: bool = False) -> bool:
    """Rebuild the cycle's archive if its published data changed since the last build (or
    ``force``); True when it was built. One build per cycle at a time (a lock in the shared
    cache); a build asked for meanwhile is left to the next refresh, which finds the stamp."""
    cycle = ReportingCycle.objects.filter(pk=cycle_id).first()
    if cycle is None or not (force or _stale(cycle)):
        return False
    lock = f"opendata-build:{cycle.pk}"
    if not cache.add(lock, "1", timeout=BUILD_TIME_LIMIT):
        return False
    try:
        archive_build(cycle=cycle)
    finally:
        cache.delete(lock)
    return True


def archives_refresh() -> int:
    """Hand every cycle whose published data changed since its archive was built to the worker (in
    eager mode: build it here); how many."""
    stale = [cycle.pk for cycle in ReportingCycle.objects.all() if _stale(cycle)]
    for pk in stale:
        delivery_tasks.publish(opendata_build_task, pk, model="open-data archive")
    return len(stale)


@shared_task(
    name=BUILD_TASK,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=BUILD_SOFT_TIME_LIMIT,
    time_limit=BUILD_TIME_LIMIT,
)
def opendata_build_task(cycle_id: int) -> bool:
    """After a report of the cycle was published or withdrawn (handed over on commit), or when
    beat's refresh found the archive out of date."""
    return archive_refresh(cycle_id=cycle_id)


@shared_task(name="reports.opendata_refresh", ignore_result=True, soft_time_limit=50, time_limit=60)
def opendata_refresh_task() -> int:
    """Celery beat: what a lost message or a correction left out of date goes to the worker."""
    return archives_refresh()

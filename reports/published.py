"""What is public: published reports only. Every public page, search, API view, sitemap and
download starts from here, so nothing unpublished can leak through one of them.

Besides ``published_reports()``: the published versions (``PublishedVersion``, recorded by the
publish service, without the follow-up contact), the public search with its counts per filter
value (PostgreSQL full-text search in each report language's configuration, ranked, with
``ts_headline`` snippets; a plain ``icontains`` on SQLite, the embedded default), the Action
Line pages' figures and contributions, and the stamp that public caches and ``ETag``s key on."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, FloatField, Max, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Greatest
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from action_lines.models import ActionLine

from .annex import ACTION_LINE_QUESTIONS
from .models import (
    LINE_ADDRESSED,
    ActionLineProgress,
    Entity,
    PublishedVersion,
    Report,
    SuccessStory,
    line_addressed,
)


def published_reports() -> QuerySet[Report]:
    """Reports the Secretariat has published, with what every public listing shows."""
    return Report.objects.filter(status=Report.Status.PUBLISHED).select_related(
        "entity", "entity__country", "entity__country__region", "cycle"
    )


# --- The published document ----------------------------------------------------------------

# PostgreSQL's text-search configurations for the portal's languages; Arabic and Chinese have none
# in a stock PostgreSQL and use 'simple' (words as written, no stemming).
SEARCH_CONFIGS = {"en": "english", "fr": "french", "es": "spanish", "ru": "russian"}
ALL_CONFIGS = ("english", "french", "spanish", "russian", "simple")


def search_config_for(language: str) -> str:
    return SEARCH_CONFIGS.get(language, "simple")


def document_public(doc: dict[str, Any]) -> dict[str, Any]:
    """A report document as it may be published: the follow-up contact (personal data) left out."""
    return {**doc, "contact": {}}


def document_search_text(doc: dict[str, Any]) -> str:
    """Every answer of a report document, for the search (never the contact)."""
    parts: list[str] = [*(doc.get("narrative") or {}).values()]
    for line in doc.get("action_lines") or []:
        parts += [line.get("achievements", ""), line.get("challenges", ""), line.get("future_priorities", "")]
        for story in line.get("success_stories") or []:
            parts += [story.get("title", ""), story.get("description", "")]
    for row in doc.get("indicators") or []:
        parts += [str(row.get(k) or "") for k in ("indicator", "value", "unit", "source", "note")]
    return "\n".join(p for p in parts if p and str(p).strip())


def document_search_title(doc: dict[str, Any]) -> str:
    entity = doc.get("entity") or {}
    return " ".join(x for x in (entity.get("name", ""), entity.get("acronym", "")) if x)


def current_versions() -> QuerySet[PublishedVersion]:
    """The version each published report shows now."""
    return PublishedVersion.objects.filter(
        is_current=True, report__status=Report.Status.PUBLISHED
    ).select_related("report__entity__country__region", "report__cycle")


def report_public(report_id: int) -> PublishedVersion:
    """The current version of a published report; ``PublishedVersion.DoesNotExist`` for any other."""
    return current_versions().get(report_id=report_id)


def report_versions(report: Report) -> list[PublishedVersion]:
    """Every published version of a report, newest first (only for a report that is published)."""
    return list(PublishedVersion.objects.filter(report=report).defer("search_vector").order_by("-number"))


# --- The stamp public caches key on -------------------------------------------------------------

STAMP_KEY = "public:stamp"
STAMP_SECONDS = 300


@dataclass(frozen=True)
class PublicStamp:
    """Changes whenever something public changes: a publication, a withdrawal, an entity's name."""

    value: str
    last_modified: datetime | None


def public_stamp() -> PublicStamp:
    """The current stamp, from the cache or (two aggregate queries) from the database."""
    cached = cache.get(STAMP_KEY)
    if isinstance(cached, PublicStamp):
        return cached
    versions = PublishedVersion.objects.aggregate(
        n=Count("pk"), at=Max(Greatest("published_at", Coalesce("withdrawn_at", "published_at")))
    )
    entities = Entity.objects.filter(reports__published_versions__isnull=False).aggregate(
        at=Max("updated_at")
    )
    moments = [m for m in (versions["at"], entities["at"]) if m is not None]
    last = max(moments) if moments else None
    raw = f"{versions['n']}:{last.isoformat() if last else '-'}"
    stamp = PublicStamp(value=hashlib.sha256(raw.encode()).hexdigest()[:16], last_modified=last)
    cache.set(STAMP_KEY, stamp, STAMP_SECONDS)
    return stamp


def public_stamp_forget() -> None:
    """Call when something public changed (after the commit): every public cache entry and ETag
    keyed on the old stamp is stale from now on."""
    cache.delete(STAMP_KEY)


# --- Search and filters -------------------------------------------------------------------------

FACETS = ("cycle", "action_line", "stakeholder_type", "region", "country", "language")
MAX_QUERY_WORDS = 12


@dataclass(frozen=True)
class PublicFilters:
    """The list's filters; an empty string means "any"."""

    q: str = ""
    cycle: str = ""
    action_line: str = ""
    stakeholder_type: str = ""
    region: str = ""
    country: str = ""
    language: str = ""

    def key(self) -> str:
        return "&".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


@dataclass
class Hit:
    version: PublishedVersion
    snippet: SafeString | None = None

    @property
    def report(self) -> Report:
        return self.version.report


@dataclass
class SearchResult:
    page: Page
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    ranked: bool = False


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _words(q: str) -> list[str]:
    return [w for w in re.findall(r"\w[\w'’-]*", q)][:MAX_QUERY_WORDS]


def _query(q: str) -> SearchQuery:
    combined: SearchQuery | None = None
    for config in ALL_CONFIGS:
        one = SearchQuery(q, search_type="websearch", config=config)
        combined = one if combined is None else combined | one
    assert combined is not None
    return combined


def _line_family(code: str) -> ActionLine | None:
    return ActionLine.objects.filter(code=code).first()


def _apply(
    qs: QuerySet[PublishedVersion], filters: PublicFilters, *, line: ActionLine | None, skip: str = ""
) -> QuerySet[PublishedVersion]:
    if filters.cycle and skip != "cycle":
        qs = qs.filter(report__cycle__slug=filters.cycle)
    if filters.stakeholder_type and skip != "stakeholder_type":
        qs = qs.filter(report__entity__stakeholder_type=filters.stakeholder_type)
    if filters.region and skip != "region":
        qs = qs.filter(report__entity__country__region_id=filters.region)
    if filters.country and skip != "country":
        qs = qs.filter(report__entity__country_id=filters.country.upper())
    if filters.language and skip != "language":
        qs = qs.filter(report__language=filters.language)
    if filters.action_line and skip != "action_line":
        if line is None:
            return qs.none()
        qs = qs.filter(line_addressed(report=OuterRef("report_id"), line=line.pk))
    if filters.q.strip():
        qs = _search(qs, filters.q)
    return qs


def _search(qs: QuerySet[PublishedVersion], q: str) -> QuerySet[PublishedVersion]:
    q = q.strip()[:200]
    if _is_postgres():
        # The report text in its language's configuration (GIN index), and the entity's name or
        # acronym anywhere in a word (trigram index on UPPER(search_title)).
        return qs.filter(Q(search_vector=_query(q)) | Q(search_title__icontains=q))
    words = _words(q) or [q]
    for word in words:
        qs = qs.filter(Q(search_text__icontains=word) | Q(search_title__icontains=word))
    return qs


def _facet_counts(base: QuerySet[PublishedVersion], name: str) -> dict[str, int]:
    if name == "action_line":
        reports = base.values("report_id")
        rows = ActionLineProgress.objects.filter(LINE_ADDRESSED, report_id__in=reports).order_by()
        families = (
            rows.annotate(family=Coalesce("action_line__parent__code", "action_line__code"))
            .values("family")
            .annotate(n=Count("report_id", distinct=True))
        )
        subs = (
            rows.filter(action_line__parent__isnull=False)
            .values("action_line__code")
            .annotate(n=Count("report_id", distinct=True))
        )
        counts = {r["family"]: r["n"] for r in families}
        counts.update({r["action_line__code"]: r["n"] for r in subs})
        return counts
    column = {
        "cycle": "report__cycle__slug",
        "stakeholder_type": "report__entity__stakeholder_type",
        "region": "report__entity__country__region_id",
        "country": "report__entity__country_id",
        "language": "report__language",
    }[name]
    return {r[column]: r["n"] for r in base.order_by().values(column).annotate(n=Count("pk"))}


def _snippets(ids: list[int], q: str) -> dict[int, SafeString]:
    """Highlighted extracts of the page's reports (one query on PostgreSQL)."""
    if not ids or not q.strip():
        return {}
    if _is_postgres():
        start, stop = "\ue000", "\ue001"  # private-use marks: the text is escaped, then marked up
        rows = (
            PublishedVersion.objects.filter(pk__in=ids)
            .annotate(
                snippet=SearchHeadline(
                    "search_text",
                    _query(q.strip()[:200]),
                    config=F("search_config"),
                    start_sel=start,
                    stop_sel=stop,
                    max_words=35,
                    min_words=15,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                )
            )
            .values_list("pk", "snippet")
        )
        return {
            pk: mark_safe(escape(text).replace(start, "<mark>").replace(stop, "</mark>"))  # noqa: S308
            for pk, text in rows
            if text and start in text
        }
    texts = PublishedVersion.objects.filter(pk__in=ids).values_list("pk", "search_text")
    return {pk: snip for pk, text in texts if (snip := text_snippet(text, _words(q) or [q])) is not None}


def text_snippet(text: str, words: Iterable[str], *, width: int = 110) -> SafeString | None:
    """An extract of ``text`` around the first of ``words`` found, each occurrence marked (escaped)."""
    pattern = re.compile("|".join(re.escape(w) for w in words if w), re.IGNORECASE)
    if not pattern.pattern:
        return None
    found = pattern.search(text)
    if found is None:
        return None
    start = max(0, found.start() - width)
    end = min(len(text), found.end() + width)
    if start:  # begin and end on whole words
        space = text.find(" ", start, found.start())
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", found.end(), end)
        end = space if space != -1 else end
    extract = text[start:end].replace("\n", " ")
    pieces: list[str] = []
    cursor = 0
    for match in pattern.finditer(extract):
        pieces += [escape(extract[cursor : match.start()]), f"<mark>{escape(match.group())}</mark>"]
        cursor = match.end()
    pieces.append(escape(extract[cursor:]))
    return mark_safe(("… " if start else "") + "".join(pieces) + (" …" if end < len(text) else ""))  # noqa: S308


def _facet_base() -> QuerySet[PublishedVersion]:
    return PublishedVersion.objects.filter(is_current=True, report__status=Report.Status.PUBLISHED)


# The columns the filters other than the Action Line read, as ``values()`` names.
COLUMNS = {
    "cycle": "report__cycle__slug",
    "stakeholder_type": "report__entity__stakeholder_type",
    "region": "report__entity__country__region_id",
    "country": "report__entity__country_id",
    "language": "report__language",
}


def public_search(*, filters: PublicFilters, page: int = 1, per_page: int = 20) -> SearchResult:
    """The published reports matching ``filters``, one page of them (best match first when
    searching on PostgreSQL, else newest publication first), with a snippet each and, for every
    filter, the number of reports per value given the other filters.

    The words are searched for once for all of it (``bench/public.py``: searching again for the
    count, the page and each filter's counts was most of a broad search's time at 10,000 reports):
    one query reads, for every report matching the words and the Action Line, its filter columns
    and rank; the other filters, the counts per value, the order and the page are worked out from
    those rows. Then one query for the page's reports, one for their snippets, and the Action Line
    counts (a ``GROUP BY`` over the reports the other filters keep)."""
    line = _line_family(filters.action_line) if filters.action_line else None
    q = filters.q.strip()
    searched = _apply(_facet_base(), PublicFilters(q=q, action_line=filters.action_line), line=line)
    ranked = bool(q) and _is_postgres()
    if ranked:
        searched = searched.annotate(rank=SearchRank(F("search_vector"), _query(q[:200])))
    else:
        searched = searched.annotate(rank=Value(0.0, output_field=FloatField()))
    rows = list(searched.order_by().values_list("pk", "published_at", "rank", *COLUMNS.values()))
    chosen = [
        (3 + index, getattr(filters, name).upper() if name == "country" else getattr(filters, name))
        for index, name in enumerate(COLUMNS)
        if getattr(filters, name)
    ]
    facets: dict[str, dict[str, int]] = {}
    for index, name in enumerate(COLUMNS):
        others = [(i, value) for i, value in chosen if i != 3 + index]
        counts: dict[str, int] = {}
        for row in rows:
            if all(row[i] == value for i, value in others):
                counts[row[3 + index]] = counts.get(row[3 + index], 0) + 1
        facets[name] = counts
    kept = [row for row in rows if all(row[i] == value for i, value in chosen)]
    kept.sort(key=lambda r: (-(r[2] or 0), -r[1].timestamp(), -r[0]))
    page_obj = Paginator([row[0] for row in kept], per_page).get_page(page)
    ids = list(page_obj.object_list)
    by_pk = {
        v.pk: v
        for v in current_versions().defer("content", "search_vector", "search_text").filter(pk__in=ids)
    }
    versions = [by_pk[pk] for pk in ids if pk in by_pk]
    snippets = _snippets(ids, q)
    facets["action_line"] = _facet_counts(
        _apply(_facet_base(), filters, line=line, skip="action_line"), "action_line"
    )
    return SearchResult(
        page=page_obj,
        hits=[Hit(version=v, snippet=snippets.get(v.pk)) for v in versions],
        facets={name: facets[name] for name in FACETS},
        ranked=ranked,
    )


# --- Action Lines ---------------------------------------------------------------------------------


@dataclass
class LineFigures:
    total: int
    by_type: dict[str, int]
    by_region: dict[str, int]
    by_cycle: dict[str, int]


def action_line_figures(line: ActionLine) -> LineFigures:
    """How many published reports address ``line`` (its sub-lines counting for it), by stakeholder
    type, by region and by cycle."""
    reports = Report.objects.filter(status=Report.Status.PUBLISHED).filter(
        line_addressed(report=OuterRef("pk"), line=line.pk)
    )

    def by(column: str) -> dict[str, int]:
        return {r[column]: r["n"] for r in reports.order_by().values(column).annotate(n=Count("pk"))}

    by_type = by("entity__stakeholder_type")
    return LineFigures(
        total=sum(by_type.values()),
        by_type=by_type,
        by_region=by("entity__country__region_id"),
        by_cycle=by("cycle__slug"),
    )


@dataclass
class Contribution:
    progress: ActionLineProgress
    stories: list[SuccessStory]

    @property
    def report(self) -> Report:
        return self.progress.report

    @property
    def answers(self) -> list[tuple[str, str]]:
        """(question, answer) for achievements, challenges and future priorities."""
        return [(str(q.label), getattr(self.progress, q.name)) for q in ACTION_LINE_QUESTIONS]


def action_line_contributions(
    line: ActionLine, *, page: int = 1, per_page: int = 20, cycle: str = ""
) -> tuple[Page, list[Contribution]]:
    """The answers published reports give on ``line`` itself (achievements, challenges, priorities)
    with its success stories, newest report first, one page of them (two queries and a count)."""
    rows = (
        ActionLineProgress.objects.filter(
            LINE_ADDRESSED, action_line=line, report__status=Report.Status.PUBLISHED
        )
        .select_related("report__entity__country__region", "report__cycle")
        .order_by("-report__submitted_at", "-pk")
    )
    if cycle:
        rows = rows.filter(report__cycle__slug=cycle)
    page_obj = Paginator(rows, per_page).get_page(page)
    progress = list(page_obj.object_list)
    stories = SuccessStory.objects.filter(
        action_line=line, report_id__in=[p.report_id for p in progress]
    ).order_by("order", "pk")
    by_report: dict[int, list[SuccessStory]] = {}
    for story in stories:
        by_report.setdefault(story.report_id, []).append(story)
    return page_obj, [Contribution(progress=p, stories=by_report.get(p.report_id, [])) for p in progress]


def search_vector(config: str) -> CombinedExpression:
    """The ``tsvector`` a version's search reads (PostgreSQL): its entity's name and acronym
    weighted above the report text, both in the report language's configuration."""
    return SearchVector("search_title", weight="A", config=config) + SearchVector(
        "search_text", weight="B", config=config
    )


def action_line_counts() -> dict[str, int]:
    """How many published reports address each line (a parent line counting its sub-lines')."""
    return _facet_counts(_facet_base(), "action_line")

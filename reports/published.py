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
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from itertools import chain
from operator import itemgetter
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet
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
# Places in a ``PublicIndex`` row: id, publication time, the columns, then the Action Lines addressed
# as the bits of one number and as a tuple of their bits' places.
PK, NEWEST, FIRST_COLUMN = 0, 1, 2
MASK = FIRST_COLUMN + len(COLUMNS)
LINES = MASK + 1


@dataclass(frozen=True)
class PublicIndex:
    """What the list's filters read of every public report, made once per public stamp: each
    current published version's id, publication time, the values of ``COLUMNS`` and, as the bits
    of one number, the Action Lines it addresses (a line's bit is set when a sub-line of it is:
    the rule of ``line_addressed``). ``codes[i]`` is the line of bit ``i``."""

    codes: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    token: str = field(default_factory=lambda: secrets.token_hex(8))

    def bit(self, code: str) -> int:
        return 1 << self.codes.index(code) if code in self.codes else 0


INDEX_KEY = "public:index:2:{stamp}"  # the number changes with the rows' layout
# This process's copy of the newest index, by its token: the cache holds the token beside the index,
# so a cleared cache (or another process's newer index) is noticed with one small read.
_index_here: dict[str, PublicIndex] = {}


def public_index() -> PublicIndex:
    """The index for the current stamp: kept by this process, from the cache, or read from the
    database (three queries) when something public changed."""
    key = INDEX_KEY.format(stamp=public_stamp().value)
    token = cache.get(f"{key}:token")
    index = _index_here.get(token) if isinstance(token, str) else None
    if index is None:
        index = cache.get(key) if token else None
        if not isinstance(index, PublicIndex) or index.token != token:
            index = _index_read()
            cache.set_many({key: index, f"{key}:token": index.token}, STAMP_SECONDS)
        _index_here.clear()
        _index_here[index.token] = index
    return index


def _index_read() -> PublicIndex:
    codes = tuple(ActionLine.objects.in_template_order().values_list("code", flat=True))
    bits = {code: 1 << i for i, code in enumerate(codes)}
    masks: dict[int, int] = {}
    addressed = ActionLineProgress.objects.filter(LINE_ADDRESSED, report__status=Report.Status.PUBLISHED)
    for report_id, code, parent in addressed.values_list(
        "report_id", "action_line__code", "action_line__parent__code"
    ).iterator(chunk_size=2000):
        masks[report_id] = masks.get(report_id, 0) | bits.get(code, 0) | bits.get(parent or "", 0)
    places = {mask: tuple(i for i in range(len(codes)) if mask >> i & 1) for mask in set(masks.values())}
    rows = tuple(
        (pk, published_at.timestamp(), *columns, mask, places.get(mask, ()))
        for pk, report_id, published_at, *columns in _facet_base()
        .order_by("-published_at", "-pk")  # newest first: the list's order without a search
        .values_list("pk", "report_id", "published_at", *COLUMNS.values())
        .iterator(chunk_size=2000)
        for mask in (masks.get(report_id, 0),)
    )
    return PublicIndex(codes=codes, rows=rows)


def _matches(q: str) -> dict[int, float]:
    """Current published versions matching the words (id → rank; 0 when not ranked). Which of them
    are public is the index's to say."""
    matching = _search(PublishedVersion.objects.filter(is_current=True, withdrawn_at__isnull=True), q)
    if not _is_postgres():
        return dict.fromkeys(matching.values_list("pk", flat=True), 0.0)
    ranked = matching.annotate(rank=SearchRank(F("search_vector"), _query(q[:200])))
    return dict(ranked.order_by().values_list("pk", "rank"))


def public_search(*, filters: PublicFilters, page: int = 1, per_page: int = 20) -> SearchResult:
    """The published reports matching ``filters``, one page of them (best match first when
    searching on PostgreSQL, else newest publication first), with a snippet each and, for every
    filter, the number of reports per value given the other filters.

    The filters, the counts per value, the order and the page are worked out from the public
    index (``public_index``: made once for each state of what is published); only the words are
    searched for in the database, once (``bench/public.py``: the searches for the counts were most
    of a broad search's time at 10,000 reports). Then one query for the page's reports and one
    for their snippets."""
    index = public_index()
    q = filters.q.strip()
    matches = _matches(q) if q else None
    rows = index.rows if matches is None else [row for row in index.rows if row[PK] in matches]
    line = index.bit(filters.action_line) if filters.action_line else 0
    chosen = [
        (FIRST_COLUMN + i, getattr(filters, name).upper() if name == "country" else getattr(filters, name))
        for i, name in enumerate(COLUMNS)
        if getattr(filters, name)
    ]

    # Rows keeping every chosen filter, and rows failing just one (they count for that filter's values).
    passing: list[tuple[Any, ...]] = []
    failing_one: dict[int, list[tuple[Any, ...]]] = {i: [] for i, _value in chosen}
    if not chosen:
        passing = list(rows)
    for row in rows if chosen else ():
        failed = [i for i, value in chosen if row[i] != value]
        if not failed:
            passing.append(row)
        elif len(failed) == 1:
            failing_one[failed[0]].append(row)

    def on_line(some: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [row for row in some if row[MASK] & line] if filters.action_line else some

    kept = on_line(passing)
    facets: dict[str, dict[str, int]] = {}
    for i, name in enumerate(COLUMNS):
        value_of = itemgetter(FIRST_COLUMN + i)
        counts = Counter(map(value_of, kept))
        counts.update(map(value_of, on_line(failing_one.get(FIRST_COLUMN + i, []))))
        facets[name] = dict(counts)
    facets["action_line"] = _line_counts(index, passing)
    ids_in_order = list(map(itemgetter(PK), kept))  # the index's order: newest first
    if matches:  # best match first; a stable sort keeps the newest first among equals
        ids_in_order.sort(key=matches.__getitem__, reverse=True)
    page_obj = Paginator(ids_in_order, per_page).get_page(page)
    ids = list(page_obj.object_list)
    by_pk = {
        v.pk: v
        for v in current_versions().defer("content", "search_vector", "search_text").filter(pk__in=ids)
    }
    versions = [by_pk[pk] for pk in ids if pk in by_pk]
    snippets = _snippets(ids, q)
    return SearchResult(
        page=page_obj,
        hits=[Hit(version=v, snippet=snippets.get(v.pk)) for v in versions],
        facets={name: facets[name] for name in FACETS},
        ranked=bool(q) and _is_postgres(),
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


def _line_counts(index: PublicIndex, rows: Iterable[tuple[Any, ...]]) -> dict[str, int]:
    """Of ``rows``, how many address each line."""
    counts = Counter(chain.from_iterable(map(itemgetter(LINES), rows)))
    return {code: counts[bit] for bit, code in enumerate(index.codes) if counts[bit]}


def action_line_counts() -> dict[str, int]:
    """How many published reports address each line (a parent line counting its sub-lines')."""
    index = public_index()
    return _line_counts(index, index.rows)

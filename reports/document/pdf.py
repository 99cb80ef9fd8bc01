"""A report document (``reports/document/snapshot.py``) as a PDF, through WeasyPrint.

One HTML template (``templates/reports/pdf/report.html``, which includes the document template
the preview shows) and one stylesheet (``static/css/document.css``, whose ``@media print`` part
lays out the pages; parsed once per process, see ``print_stylesheet``). Used by the delivery
task (``reports/delivery/runner.py``) and by ``manage.py render_report``.

WeasyPrint fetches nothing but the project's own static files: ``StaticFilesFetcher`` maps
``STATIC_URL`` paths to files found by the staticfiles finders (or in ``STATIC_ROOT``) and
refuses everything else — ``file:``, ``http(s):``, ``data:``, any other host, redirects. User
text is escaped text in the template, never markup, so it cannot ask for anything anyway; the
fetcher is the second wall.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import posixpath
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from anyascii import anyascii
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils._os import safe_join
from django.utils.text import slugify
from django.utils.translation import gettext
from django_countries import countries
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .. import annex
from ..models import StakeholderType
from .rendering import SectionPart, document_context

logger = logging.getLogger(__name__)

# The base URL the PDF template is rendered against. ``.invalid`` never resolves (RFC 6761):
# nothing under it is ever fetched from the network; the fetcher serves it from disk.
PDF_BASE_URL = "https://wsis-portal.invalid/"
TEMPLATE = "reports/pdf/report.html"

# Tagged PDF (PDF/UA-1): a structure tree from the HTML (headings, paragraphs, lists, tables with
# their header cells, figures with the SVG's <title> as alternative text), ``/Lang`` from
# ``<html lang>``, ``/MarkInfo``, the title shown as the window's title; running headers and footers
# stay out of the tree. What compilations and the bench render with too.
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1"}


class ResourceRefused(ValueError):
    """The PDF asked for something other than one of the project's static files."""


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int
    # First and last page (0-based) of every section and Action Line, and the lines with content:
    # {"sections": {"executive-summary": [2, 2], …}, "lines": {"C1": [3, 4], …}, "covered": ["C1", …]}.
    # Every Action Line with content starts on a page of its own, so its pages can be copied into
    # compilations (``reports/compilation/build.py``) without laying it out again.
    page_map: dict[str, Any] = field(default_factory=dict)


def _static_relative_path(url: str) -> str:
    """``css/document.css`` for ``https://wsis-portal.invalid/static/css/document.css`` (or for
    ``STATIC_URL`` itself when it is absolute); ``ResourceRefused`` for anything else."""
    static_url = settings.STATIC_URL
    if urlsplit(static_url).scheme:  # STATIC_URL on another host (a CDN): accept its own prefix
        prefix = static_url
    else:
        prefix = PDF_BASE_URL.rstrip("/") + "/" + static_url.lstrip("/")
    if not url.startswith(prefix):
        raise ResourceRefused(f"not one of the portal's static files: {url[:200]}")
    parts = urlsplit(url)
    if parts.query or parts.username or parts.password:
        raise ResourceRefused(f"static file URLs take no query or credentials: {url[:200]}")
    relative = unquote(url[len(prefix) :].split("#", 1)[0])
    normalized = posixpath.normpath(relative)
    if (
        not relative
        or "\\" in relative
        or "\x00" in relative
        or normalized.startswith(("/", ".."))
        or normalized != relative
    ):
        raise ResourceRefused(f"not a plain static file path: {url[:200]}")
    return normalized


def static_file_path(url: str) -> Path:
    """The file on disk behind one of the portal's static URLs; ``ResourceRefused`` otherwise."""
    relative = _static_relative_path(url)
    found = finders.find(relative)
    if isinstance(found, list):  # find(all=True) shape; not asked for, but be strict
        found = found[0] if found else None
    if not found and settings.STATIC_ROOT:
        try:
            candidate = safe_join(str(settings.STATIC_ROOT), relative)
        except Exception as exc:  # SuspiciousFileOperation: outside STATIC_ROOT
            raise ResourceRefused(f"outside the static files: {url[:200]}") from exc
        found = candidate if Path(candidate).is_file() else None
    if not found:
        raise ResourceRefused(f"no such static file: {url[:200]}")
    return Path(found)


class StaticFilesFetcher(URLFetcher):
    """WeasyPrint's URL fetcher for report PDFs: the project's static files, nothing else.

    Refusals raise ``ResourceRefused``; WeasyPrint logs them and renders without the resource.
    No network handler is ever reached, so there are no redirects to follow either."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            path = static_file_path(url)
        except ResourceRefused:
            self.refused.append(url)
            logger.warning("PDF rendering refused to fetch %s", url[:200])
            raise
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if mime_type.startswith("text/"):
            mime_type += "; charset=utf-8"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})

    def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
        # ``URLFetcher`` is a urllib opener; never let anything reach its network handlers.
        return self.fetch(url if isinstance(url, str) else url.full_url)


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _is_latin(text: str) -> bool:
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in text)


def _file_slug(text: str) -> str:
    """``text`` as ASCII words joined by hyphens; another script transliterated by anyascii, Chinese
    syllables kept apart (``通信部`` → ``tong-xin-bu``, not ``tongxinbu``)."""
    ascii_text = anyascii(text)
    if not _is_latin(text):
        ascii_text = _CAMEL.sub(" ", ascii_text)
    return slugify(ascii_text)[:60].strip("-")


def pdf_filename(*, entity_name: str, cycle_slug: str, number: int | None, acronym: str = "") -> str:
    """``ministry-of-digital-economy-wsis20-2025-2.pdf``: ASCII, no path, no quotes, readable in
    every script. A name in Latin letters is used as it is (accents dropped); a name in another
    script gives way to the entity's acronym when it has one (``mcde-wsis20-2025-2.pdf``), else it
    is transliterated (``tong-xin-he-shu-zi-jing-ji-bu-wsis20-2025-2.pdf``)."""
    entity = ""
    if acronym and not _is_latin(entity_name):
        entity = _file_slug(acronym)
    entity = entity or _file_slug(entity_name) or "report"
    cycle = slugify(cycle_slug)[:40].strip("-")
    stem = "-".join(part for part in (entity, cycle, str(number) if number else "draft") if part)
    return f"{stem}.pdf"


def report_language(doc: dict[str, Any]) -> str:
    """The language a report document is laid out in: the report's own (``Report.language``,
    chosen by the entity), or the portal's for a document without one or with an unknown code."""
    code = str(doc.get("language") or "")
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def entity_in_language(entity: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's entity with its stakeholder type, country and region named in the active
    language (the snapshot keeps them in English, as a record; ``reports/web/places.py`` does the
    same for pages)."""
    labels = dict(entity)
    stakeholder_type = str(entity.get("stakeholder_type") or "")
    with contextlib.suppress(ValueError):  # a type the portal no longer has keeps the recorded label
        labels["stakeholder_type_label"] = str(StakeholderType(stakeholder_type).label)
    if (translation.get_language() or "en").split("-")[0] != "en":
        if entity.get("country"):
            labels["country_name"] = str(countries.name(entity["country"])) or entity.get("country_name", "")
        if entity.get("region_name"):
            labels["region_name"] = gettext(entity["region_name"])
    return labels


def running_words(entity: dict[str, Any], number: int | None) -> dict[str, str]:
    """The words of the running header and footer, in the active language."""
    if number:
        label = gettext("WSIS+20 report · submission %(number)s") % {"number": number}
    else:
        label = gettext("WSIS+20 report · draft")
    parts = (entity.get("name"), entity.get("stakeholder_type_label"), entity.get("country_name"))
    return {
        "entity": " · ".join(str(part) for part in parts if part),
        "label": label,
        "page": gettext("Page"),
        "of": gettext("of"),
    }


def print_context(
    doc: dict[str, Any],
    *,
    number: int | None = None,
    submitted_at: datetime | None = None,
    is_late: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """The template context; call it inside ``translation.override(report_language(doc))``."""
    language = translation.get_language_info(report_language(doc))
    entity = entity_in_language(doc.get("entity", {}))
    return document_context(
        doc,
        for_print=True,
        number=number,
        submitted_at=timezone.localtime(submitted_at) if submitted_at else None,
        is_late=is_late,
        template_title=annex.TEMPLATE_TITLE,
        entity=entity,
        running=running_words(entity, number),
        language_code=language["code"],
        language_dir="rtl" if language["bidi"] else "ltr",
        **extra,
    )


def document_html(doc: dict[str, Any], **options: Any) -> str:
    """The print HTML of a report document (what WeasyPrint lays out); options as ``report_pdf``."""
    # Laid out in the report's language: the template's headings, guidance and labels in it, the
    # page right to left for Arabic; each answer keeps the direction of its own script.
    with translation.override(report_language(doc)):
        return render_to_string(TEMPLATE, print_context(doc, **options))


def page_map(pages: list[Any], parts: list[SectionPart]) -> dict[str, Any]:
    """Where each section and Action Line begins and ends, from the anchors WeasyPrint laid out
    (every part has an ``id`` and an ``…-end`` marker)."""
    first_page: dict[str, int] = {}
    last_page: dict[str, int] = {}
    for index, page in enumerate(pages):
        for anchor in page.anchors:
            first_page.setdefault(anchor, index)
            last_page[anchor] = index

    def span(anchor: str) -> list[int] | None:
        if anchor not in first_page:
            return None
        return [first_page[anchor], last_page.get(f"{anchor}-end", first_page[anchor])]

    result: dict[str, Any] = {"sections": {}, "lines": {}, "covered": []}
    for part in parts:
        result["sections"][part.spec.key] = span(part.anchor)
        for line_part in part.lines:
            for lp in (line_part, *line_part.sub_lines):
                result["lines"][lp.line.code] = span(lp.anchor)
                if not lp.not_applicable and not lp.is_empty:
                    result["covered"].append(lp.line.code)
    return result


STYLESHEET = "css/document.css"
_cache = threading.local()


def print_stylesheet() -> tuple[CSS, FontConfiguration]:
    """The parsed document stylesheet and the font configuration it was parsed with, kept per
    process and thread (a worker renders one PDF after another: parsing the stylesheet and setting
    up the fonts for every render took a third of a short report's time). Parsed again when the
    file changes, so that an edited stylesheet shows up without a restart."""
    url = PDF_BASE_URL + settings.STATIC_URL.lstrip("/") + STYLESHEET
    if urlsplit(settings.STATIC_URL).scheme:
        url = settings.STATIC_URL + STYLESHEET
    path = static_file_path(url)
    key = (url, str(path), path.stat().st_mtime_ns)
    cached = getattr(_cache, "stylesheet", None)
    if cached is None or cached[0] != key:
        font_config = FontConfiguration()
        css = CSS(url=url, url_fetcher=StaticFilesFetcher(), font_config=font_config)
        _cache.stylesheet = cached = (key, css, font_config)
    return cached[1], cached[2]


def report_pdf(
    doc: dict[str, Any],
    *,
    number: int | None = None,
    submitted_at: datetime | None = None,
    is_late: bool = False,
    draft: bool = False,
    tagged: bool = True,
) -> RenderedPdf:
    """Render a report document to PDF: the bytes, the number of pages and the page map.

    ``number``/``submitted_at``/``is_late`` describe the submission the document is the
    snapshot of (shown on the cover and in the running header); leave them out for a draft.
    ``draft`` marks every page "Draft — not submitted" (the live report, for internal clearance).
    Laid out in the report's language (``report_language``) as a tagged PDF/UA-1 document;
    ``tagged=False`` leaves the structure tree out (the bench compares the two)."""
    with translation.override(report_language(doc)):
        context = print_context(doc, number=number, submitted_at=submitted_at, is_late=is_late, draft=draft)
        html = render_to_string(TEMPLATE, context)
    stylesheet, font_config = print_stylesheet()
    options = PDF_OPTIONS if tagged else {}
    document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticFilesFetcher()).render(
        stylesheets=[stylesheet], font_config=font_config, **options
    )
    content = document.write_pdf(**options)
    return RenderedPdf(
        content=content, pages=len(document.pages), page_map=page_map(document.pages, context["parts"])
    )

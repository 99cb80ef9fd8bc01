"""A submission's PDF, rendered once and stored on it (with the page map compilations use), and its
compilation edition: the pages compilations copy (``reports/compilation/build.py``)."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML

from ..document import pdf as report_pdfs
from ..document.pdf import pdf_filename, report_pdf
from ..models import Entity, Submission

EDITION_TEMPLATE = "reports/compilation/edition.html"
EDITION_STYLESHEET = "css/compilation-edition.css"
_edition_css = threading.local()


def submission_pdf_ensure(*, submission: Submission, force: bool = False, edition: bool = True) -> Submission:
    """Render and store the submission's PDF (and its page map) unless it already has them: a re-run
    after a worker died between storing the file and recording the row as done costs nothing.
    ``force`` renders again (operators; an older PDF without a page map). With ``edition`` the
    compilation edition is rendered too when it is missing or out of date (``edition_is_current``);
    the submission's own render leaves it to ``render_edition``, after its e-mails are on their way."""
    submission = Submission.objects.select_related("report__entity", "report__cycle").get(pk=submission.pk)
    if submission.pdf and submission.pdf_page_map and not force:
        if edition and not edition_is_current(submission):
            submission_edition_ensure(submission=submission)
        return submission
    rendered = report_pdf(
        submission.content,
        number=submission.number,
        submitted_at=submission.submitted_at,
        is_late=submission.is_late,
    )
    submission.pdf.save(submission_pdf_filename(submission), ContentFile(rendered.content), save=False)
    submission.pdf_pages = rendered.pages
    submission.pdf_page_map = rendered.page_map
    Submission.objects.filter(pk=submission.pk).update(
        pdf=submission.pdf.name, pdf_pages=rendered.pages, pdf_page_map=rendered.page_map
    )
    if edition:
        submission_edition_ensure(submission=submission, force=True)
    return submission


def submission_pdf_filename(submission: Submission) -> str:
    """The stored file's, the receipt attachment's and the download's name (``pdf_filename``)."""
    entity = submission.content.get("entity", {})
    return pdf_filename(
        entity_name=entity.get("name") or submission.report.entity.name,
        acronym=entity.get("acronym", submission.report.entity.acronym) or "",
        cycle_slug=submission.report.cycle.slug,
        number=submission.number,
    )


# --- The compilation edition -------------------------------------------------------------------
#
# The same report laid out for compilations: one page naming the entity instead of the cover and
# the contents, no template guidance, every Action Line with content opening with its author, the
# entity in the running header and nothing in the bottom margin, where the compilation prints its
# own part title and page number. Rendered at submission beside the PDF (a second layout: compiling
# never lays a report out), stored next to it and recorded in ``pdf_page_map["edition"]``:
# ``{"name": storage name, "pages": n, "sections": …, "lines": …, "covered": …, "verified": bool}``.
# Why a second edition rather than removing the PDF's margins while merging: docs/decisions/0010.


def _verified(submission: Submission) -> bool:
    return submission.report.entity.verification == Entity.Verification.VERIFIED


def edition_is_current(submission: Submission) -> bool:
    """The edition exists and names the entity's verification as it stands (the mark is printed)."""
    edition = (submission.pdf_page_map or {}).get("edition") or {}
    return bool(edition.get("name")) and edition.get("verified") == _verified(submission)


def edition_file(submission: Submission) -> FieldFile:
    """The stored compilation edition, as a file of the submission's PDF field (same storage)."""
    name = ((submission.pdf_page_map or {}).get("edition") or {}).get("name") or ""
    return FieldFile(submission, Submission.pdf.field, name)


def edition_stylesheet() -> CSS:
    """The edition's stylesheet, parsed once per process and thread (again when the file changes),
    with the font configuration of the print stylesheet it is laid over."""
    _stylesheet, font_config = report_pdfs.print_stylesheet()
    url = report_pdfs.PDF_BASE_URL + settings.STATIC_URL.lstrip("/") + EDITION_STYLESHEET
    path = report_pdfs.static_file_path(url)
    key = (url, str(path), path.stat().st_mtime_ns, id(font_config))
    cached = getattr(_edition_css, "value", None)
    if cached is None or cached[0] != key:
        css = CSS(url=url, url_fetcher=report_pdfs.StaticFilesFetcher(), font_config=font_config)
        _edition_css.value = cached = (key, css)
    return cached[1]


def edition_render(submission: Submission) -> tuple[bytes, dict[str, Any]]:
    """The compilation edition's bytes and its page map (with ``pages`` and ``verified``)."""
    doc = submission.content
    verified = _verified(submission)
    with translation.override(report_pdfs.report_language(doc)):
        context = report_pdfs.print_context(
            doc,
            number=submission.number,
            submitted_at=submission.submitted_at,
            is_late=submission.is_late,
            edition=True,
            verified=verified,
        )
        html = render_to_string(EDITION_TEMPLATE, context)
    stylesheet, font_config = report_pdfs.print_stylesheet()
    document = HTML(
        string=html, base_url=report_pdfs.PDF_BASE_URL, url_fetcher=report_pdfs.StaticFilesFetcher()
    ).render(stylesheets=[stylesheet, edition_stylesheet()], font_config=font_config)
    page_map = report_pdfs.page_map(document.pages, context["parts"])
    page_map.update(pages=len(document.pages), verified=verified)
    return document.write_pdf(), page_map


def submission_edition_ensure(*, submission: Submission, force: bool = False) -> dict[str, Any]:
    """Render and store the compilation edition unless it is current; its page map."""
    if not force and edition_is_current(submission):
        return submission.pdf_page_map["edition"]
    previous = edition_file(submission)
    content, edition = edition_render(submission)
    stem = submission_pdf_filename(submission).removesuffix(".pdf")
    storage = submission.pdf.storage
    edition["name"] = storage.save(f"submissions/editions/{stem}-edition.pdf", ContentFile(content))
    page_map = {**(submission.pdf_page_map or {}), "edition": edition}
    Submission.objects.filter(pk=submission.pk).update(pdf_page_map=page_map)
    submission.pdf_page_map = page_map
    if previous.name and previous.name != edition["name"]:
        storage.delete(previous.name)
    return edition

"""The public PDF of a published version: the report's one print template without the follow-up
contact (personal data). Laid out like the submission PDF (``reports/document/pdf.py``), from its
public pieces: the print context, template, stylesheet and the fetcher that only serves the
portal's own static files."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from ..annex import Kind
from ..document import pdf
from ..models import PublishedVersion


def published_pdf_render(version: PublishedVersion) -> bytes:
    doc = version.content
    language = str(doc.get("language") or "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    submission = version.submission
    with translation.override(language):
        context = pdf.print_context(
            doc,
            number=submission.number if submission else None,
            submitted_at=submission.submitted_at if submission else None,
            is_late=submission.is_late if submission else False,
        )
        context["parts"] = [part for part in context["parts"] if part.spec.kind is not Kind.CONTACT]
        html = render_to_string(pdf.TEMPLATE, context)
    stylesheet, font_config = pdf.print_stylesheet()
    options = getattr(pdf, "PDF_OPTIONS", {})
    document = HTML(string=html, base_url=pdf.PDF_BASE_URL, url_fetcher=pdf.StaticFilesFetcher()).render(
        stylesheets=[stylesheet], font_config=font_config, **options
    )
    return document.write_pdf(**options)


def published_pdf_filename(version: PublishedVersion) -> str:
    entity = version.content.get("entity") or {}
    cycle = version.content.get("cycle") or {}
    name = pdf.pdf_filename(
        entity_name=str(entity.get("name", "")), cycle_slug=str(cycle.get("slug", "")), number=version.number
    )
    return name.removesuffix(".pdf") + "-published.pdf"

"""A submission's PDF, rendered once and stored on it (with the page map compilations use)."""

from __future__ import annotations

from django.core.files.base import ContentFile

from ..document.pdf import pdf_filename, report_pdf
from ..models import Submission


def submission_pdf_ensure(*, submission: Submission, force: bool = False) -> Submission:
    """Render and store the submission's PDF (and its page map) unless it already has them: a re-run
    after a worker died between storing the file and recording the row as done costs nothing.
    ``force`` renders again (operators; an older PDF without a page map)."""
    submission = Submission.objects.select_related("report__entity", "report__cycle").get(pk=submission.pk)
    if submission.pdf and submission.pdf_page_map and not force:
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
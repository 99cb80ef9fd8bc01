"""The stored PDF of a submission, for the entity's members and the secretariat (staff); the draft
PDF of a report as it stands, for its members.

Each request counts towards the person's download limit (``PORTAL_RATE_LIMITS["download"]``), and
each PDF handed out is a ``DOWNLOAD`` event in the security log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wsis_portal import limits

from .. import selectors, storage
from ..audit import record
from ..delivery.runner import submission_pdf_filename
from ..document import snapshot
from ..document.pdf import pdf_filename, report_pdf
from ..models import Membership, SecurityEvent, Submission


@require_GET
@login_required
def submission_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Download the PDF rendered from submission ``pk``. Anyone but a member of the entity or the
    secretariat (staff who may view submissions: the "Secretariat" group, superusers) gets a 404,
    as for an id that does not exist."""
    user = request.user
    if not isinstance(user, User):  # login_required: never the anonymous user
        raise Http404(_("No such submission."))
    if limits.limit_reached(request, "download"):
        return limits.too_many_requests(request, "download")
    submission = Submission.objects.select_related("report__entity", "report__cycle").filter(pk=pk).first()
    if submission is None or not (
        (user.is_staff and user.has_perm("reports.view_submission"))
        or Membership.objects.filter(entity_id=submission.report.entity_id, user=user).exists()
    ):
        raise Http404(_("No such submission."))
    if not submission.pdf:
        response = HttpResponse(
            _("The PDF of this submission is being prepared. Please try again in a minute."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = "30"
        return response
    try:  # streamed from the storage (local disk or bucket), never read whole
        download = storage.download_response(
            submission.pdf, filename=submission_pdf_filename(submission), content_type="application/pdf"
        )
    except FileNotFoundError as exc:
        raise Http404(_("No such submission.")) from exc
    record(request, SecurityEvent.Kind.DOWNLOAD, obj=submission, entity=submission.report.entity_id)
    download["Cache-Control"] = "private, no-store"
    download["X-Content-Type-Options"] = "nosniff"
    return download


@require_GET
@login_required
def draft_pdf(request: HttpRequest, report_id: int) -> HttpResponseBase:
    """The report as it stands now (draft, submitted or later), from the submission PDF's template,
    marked "Draft — not submitted" on every page: for clearance inside the entity before submitting.
    Members only (others get a 404). Rendered in the request (about a second for a report), so it
    counts towards the same download limit as a submission's PDF."""
    if limits.limit_reached(request, "download"):
        return limits.too_many_requests(request, "download")
    report = selectors.report_for_member(user=request.user, report_id=report_id)
    if report is None:
        record(request, SecurityEvent.Kind.ACCESS_DENIED, object_type="report", object_id=report_id)
        raise Http404(_("No such report."))
    rendered = report_pdf(snapshot.document_for_report(report), draft=True)
    download = HttpResponse(rendered.content, content_type="application/pdf")
    filename = pdf_filename(
        entity_name=report.entity.name,
        acronym=report.entity.acronym,
        cycle_slug=report.cycle.slug,
        number=None,
    )
    download["Content-Disposition"] = f'attachment; filename="{filename}"'
    record(request, SecurityEvent.Kind.DOWNLOAD, obj=report, entity=report.entity_id, draft=True)
    download["Cache-Control"] = "private, no-store"
    download["X-Content-Type-Options"] = "nosniff"
    return download

"""The entity's side of the review by section: answering the Secretariat's comment on a section,
or marking it addressed (the rules are in ``reports/reviewing.py``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import reviewing, selectors
from ..errors import ReportError
from .views import AuthenticatedHttpRequest, _report_or_404


@login_required
@require_POST
def section_comment(request: AuthenticatedHttpRequest, report_id: int, key: str) -> HttpResponse:
    report = _report_or_404(request, report_id)
    url = reverse("reports:section", args=[report.pk, key]) + "#secretariat-comment"
    try:
        review = reviewing.section_review_answer(
            report=report,
            section=key,
            user=request.user,
            response=request.POST.get("response", ""),
            addressed=bool(request.POST.get("addressed")),
        )
    except ReportError as error:
        messages.error(request, str(error))
        return redirect(url)
    label = selectors.review_section_labels([key])[key]
    if review.addressed_at or review.response:
        messages.success(request, _("Your answer on “%(section)s” is saved.") % {"section": label})
    else:
        messages.info(
            request,
            _("“%(section)s”: no answer saved; edit the section or answer the comment.") % {"section": label},
        )
    return redirect(url)

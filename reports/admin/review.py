"""Review by section on the secretariat's report page: a verdict and comment per section or
Action Line, internal notes, the report's reviewer, and the "my reviews" filter of the list.
The rules are in ``reports/reviewing.py``; these are the admin's forms and views around them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit, reviewing
from ..errors import ReportError
from ..models import Report, SectionReview, SecurityEvent
from .staff import staff_user

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .reports import ReportAdmin

S = Report.Status


class ReviewerFilter(admin.SimpleListFilter):
    """ "My reviews": the reports assigned to the person looking; or those nobody reviews yet."""

    title = gettext_lazy("reviewer")
    parameter_name = "reviewer"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [("mine", gettext_lazy("My reviews")), ("none", gettext_lazy("Nobody yet"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Report]) -> QuerySet[Report]:
        if self.value() == "mine":
            return queryset.filter(assignee_id=request.user.pk)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset


class SectionReviewForm(forms.Form):
    section = forms.CharField(max_length=32)
    verdict = forms.ChoiceField(
        label=gettext_lazy("Verdict"),
        choices=[("", gettext_lazy("No mark")), *SectionReview.Verdict.choices],
        required=False,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment for the entity"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Internal note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Seen only by the Secretariat: never sent to the entity or published."),
        strip=True,
        required=False,
    )


def _person(user: User) -> str:
    return user.get_full_name() or user.email


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label=gettext_lazy("Reviewer"),
        required=False,
        empty_label=gettext_lazy("Nobody"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = reviewing.reviewers()
        field.label_from_instance = _person  # type: ignore[method-assign,assignment]


def review_context(
    request: HttpRequest,
    report: Report,
    *,
    can_review: bool,
    section_errors: dict[str, str] | None = None,
    section_typed: dict[str, dict[str, str]] | None = None,
    note_form: NoteForm | None = None,
) -> dict[str, Any]:
    """What the report page shows of the review by section (a handful of queries)."""
    sections = reviewing.selectors.review_sections()
    current = reviewing.reviews_of_round(report=report) if report.submission_count else {}
    errors = section_errors or {}
    typed = section_typed or {}
    rows = []
    for s in sections:
        saved = current.get(s.key)
        kept = typed.get(s.key)
        rows.append(
            {
                "section": s,
                "review": saved,
                "verdict": kept["verdict"] if kept else (saved.verdict if saved else ""),
                "comment": kept["comment"] if kept else (saved.comment if saved else ""),
                "error": errors.get(s.key, ""),
                "open": s.key in current or s.key in errors,
            }
        )
    previous_number, changes = reviewing.review_round_changes(report=report)
    return {
        "section_rows": rows,
        "section_reviews_editable": can_review and report.status in reviewing.REVIEWABLE,
        "flagged_count": sum(
            1
            for r in current.values()
            if r.verdict == SectionReview.Verdict.NEEDS_CHANGES and r.sent_at is None
        ),
        "needs_changes_count": sum(
            1 for r in current.values() if r.verdict == SectionReview.Verdict.NEEDS_CHANGES
        ),
        "sent_flags": [
            r for r in current.values() if r.verdict == SectionReview.Verdict.NEEDS_CHANGES and r.sent_at
        ],
        "flagged_changes": changes,
        "flagged_round": previous_number,
        "notes": list(reviewing.internal_notes(report=report)),
        "note_form": note_form or NoteForm(),
        "assign_form": AssignForm(initial={"assignee": report.assignee_id}),
    }


def _back(report: Report, anchor: str = "") -> HttpResponse:
    url = reverse("admin:reports_report_change", args=[report.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def section_review_view(model_admin: ReportAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    report = model_admin.report_or_404(request, object_id)
    if request.method != "POST":
        return _back(report, "sections")
    model_admin.require_review(request)
    form = SectionReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The section review could not be read; nothing was saved."))
        return _back(report, "sections")
    section = form.cleaned_data["section"]
    try:
        review = reviewing.section_review_set(
            report=report,
            section=section,
            verdict=form.cleaned_data["verdict"],
            comment=form.cleaned_data["comment"],
            reviewer=staff_user(request),
        )
    except ReportError as error:
        # Shown on the section's own form, with what was typed kept.
        return model_admin.report_page(
            request,
            report,
            section_errors={section: str(error)},
            section_typed={section: form.cleaned_data},
        )
    label = reviewing.selectors.review_section_labels([section])[section]
    if review is None:
        messages.success(request, _("“%(section)s”: mark taken back.") % {"section": label})
    else:
        messages.success(
            request,
            _("“%(section)s”: %(verdict)s.") % {"section": label, "verdict": review.get_verdict_display()},
        )
    return _back(report, f"review-{section}")


def note_view(model_admin: ReportAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    report = model_admin.report_or_404(request, object_id)
    if request.method != "POST":
        return _back(report, "notes")
    model_admin.require_review(request)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        reviewing.internal_note_add(
            report=report, author=staff_user(request), note=form.cleaned_data.get("note", "")
        )
    except ReportError as error:
        form.add_error("note", str(error))
        return model_admin.report_page(request, report, note_form=form)
    messages.success(request, _("Internal note added."))
    return _back(report, "notes")


def assign_view(model_admin: ReportAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    report = model_admin.report_or_404(request, object_id)
    if request.method != "POST":
        return _back(report, "review")
    model_admin.require_review(request)
    if "mine" in request.POST:
        assignee: User | None = staff_user(request)
    else:
        form = AssignForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a member of the Secretariat who may review."))
            return _back(report, "review")
        assignee = form.cleaned_data["assignee"]
    try:
        assigned = reviewing.report_assign(report=report, assignee=assignee)
    except ReportError as error:
        messages.error(request, str(error))
        return _back(report, "review")
    audit.record(
        request,
        SecurityEvent.Kind.REVIEW,
        obj=report,
        reviewer=assigned.assignee.email if assigned.assignee else None,
    )
    person = assigned.assignee
    if person is None:
        messages.success(request, _("Nobody reviews “%(entity)s” now.") % {"entity": report.entity})
    else:
        name = person.get_full_name() or person.email
        messages.success(
            request, _("%(person)s reviews “%(entity)s”.") % {"person": name, "entity": report.entity}
        )
    return _back(report, "review")

"""Review by section: the Secretariat's verdict and comment on any section or Action Line of a
submission, sent with "Request changes"; the entity's answer; the rule that a report sent back
can be submitted again only once every flagged section is edited or answered; and, at the next
review, what changed in each flagged section. Internal notes and the reviewer of a report.

A section is a workspace section key (``executive-summary``, ``line-C2``, ``line-C7.GOV``,
``strategies``, ``indicators``, ``challenges``, ``vision``, ``contact``). A review belongs to one
round: the submission it was written on (``Report.submission_count`` at the time)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from action_lines.models import ActionLine

from . import selectors, text
from .annex import SECTIONS, Kind
from .document.diff import SectionDiff, document_diff
from .errors import ReportError
from .models import InternalNote, Report, SectionReview, Submission

S = Report.Status
V = SectionReview.Verdict

# The Secretariat comments on what it is reviewing: a submitted report, or one under review.
REVIEWABLE = frozenset({S.SUBMITTED, S.UNDER_REVIEW})
NOTE_MAX_LENGTH = 5000
COMMENT_MAX_LENGTH = 5000


def _section_check(section: str) -> None:
    if section.startswith("line-"):
        if not ActionLine.objects.filter(code=section.removeprefix("line-")).exists():
            raise ReportError(_("There is no such section in the report."))
    elif section not in {s.key for s in SECTIONS if s.kind is not Kind.ACTION_LINES}:
        raise ReportError(_("There is no such section in the report."))


# --- The Secretariat's side ------------------------------------------------------------------


def reviews_of_round(*, report: Report, number: int | None = None) -> dict[str, SectionReview]:
    """The section reviews written on submission ``number`` (the latest by default), by section."""
    round_number = report.submission_count if number is None else number
    return {
        r.section: r
        for r in SectionReview.objects.filter(report=report, submission_number=round_number).select_related(
            "reviewer", "addressed_by"
        )
    }


@transaction.atomic
def section_review_set(
    *, report: Report, section: str, verdict: str, comment: str, reviewer: User
) -> SectionReview | None:
    """Mark one section of the submission under review "needs changes" (a comment is then
    required: it is what the entity reads) or "fine" (a comment is optional); an empty verdict
    takes the mark back. Only while the report is submitted or under review."""
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.status not in REVIEWABLE:
        raise ReportError(_("Sections can be commented on while the report is submitted or under review."))
    _section_check(section)
    comment = text.normalize(comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ReportError(
            _("The comment is %(count)d characters long; at most %(limit)d are allowed.")
            % {"count": len(comment), "limit": COMMENT_MAX_LENGTH}
        )
    existing = SectionReview.objects.filter(
        report=locked, submission_number=locked.submission_count, section=section
    ).first()
    if not verdict:
        if existing is not None:
            existing.delete()
        return None
    if verdict not in V.values:
        raise ReportError(_("Choose “Needs changes” or “Fine”."))
    if verdict == V.NEEDS_CHANGES and not comment:
        raise ReportError(_("Say what should change in this section: the entity reads this comment."))
    now = timezone.now()
    if existing is None:
        return SectionReview.objects.create(
            report=locked,
            submission_number=locked.submission_count,
            section=section,
            verdict=verdict,
            comment=comment,
            reviewer=reviewer,
            created_at=now,
            updated_at=now,
        )
    existing.verdict = verdict
    existing.comment = comment
    existing.reviewer = reviewer
    existing.updated_at = now
    existing.save(update_fields=["verdict", "comment", "reviewer", "updated_at"])
    return existing


def review_flagged_unsent(*, report: Report) -> list[SectionReview]:
    """Sections of the submission under review marked "needs changes", not sent yet, in template order."""
    order = {s.key: i for i, s in enumerate(selectors.review_sections())}
    flagged = SectionReview.objects.filter(
        report=report, submission_number=report.submission_count, verdict=V.NEEDS_CHANGES, sent_at=None
    )
    return sorted(flagged, key=lambda r: order.get(r.section, len(order)))


def review_send(*, report: Report, at: datetime) -> list[SectionReview]:
    """Send the flagged sections with "Request changes" (call inside its transaction): they are
    what the entity must edit or answer before it can submit again."""
    flagged = review_flagged_unsent(report=report)
    SectionReview.objects.filter(pk__in=[r.pk for r in flagged]).update(sent_at=at)
    for review in flagged:
        review.sent_at = at
    return flagged


# --- The entity's side -----------------------------------------------------------------------


@dataclass
class Flag:
    """A flagged section of the open changes request, as the entity works on it."""

    review: SectionReview
    label: str
    edited: bool

    @property
    def key(self) -> str:
        return self.review.section

    @property
    def answered(self) -> bool:
        return bool(self.review.response.strip())

    @property
    def marked_addressed(self) -> bool:
        return self.review.addressed_at is not None

    @property
    def handled(self) -> bool:
        return self.edited or self.answered or self.marked_addressed


def _edited_since(report: Report, key: str, moment: datetime | None) -> bool:
    if moment is None:
        return False
    saved = report.section_versions.get(key, {}).get("at")
    return bool(saved) and datetime.fromisoformat(saved) > moment


def review_flags(*, report: Report) -> list[Flag]:
    """The sections the Secretariat flagged in the open changes request, in template order, each
    with whether it was edited since, answered, or marked addressed (one query)."""
    if report.status != S.CHANGES_REQUESTED:
        return []
    sections = selectors.review_sections()
    order = {s.key: i for i, s in enumerate(sections)}
    labels = {s.key: s.label for s in sections}
    reviews = SectionReview.objects.filter(
        report=report,
        submission_number=report.submission_count,
        verdict=V.NEEDS_CHANGES,
        sent_at__isnull=False,
    )
    flags = [
        Flag(
            review=r,
            label=labels.get(r.section, r.section),
            edited=_edited_since(report, r.section, r.sent_at),
        )
        for r in reviews
    ]
    return sorted(flags, key=lambda f: order.get(f.key, len(order)))


def review_outstanding(*, report: Report) -> list[selectors.Missing]:
    """Flagged sections neither edited nor answered: the report cannot be submitted again yet."""
    return [
        selectors.Missing(
            flag.key,
            _(
                "%(section)s: the Secretariat's comment is not handled yet — edit the section or "
                "answer the comment"
            )
            % {"section": flag.label},
        )
        for flag in review_flags(report=report)
        if not flag.handled
    ]


def report_checklist(*, report: Report) -> list[selectors.Missing]:
    """Everything that stands between the report and its submission: what the cycle requires
    (``selectors.report_missing_items``) and the flagged sections not handled yet."""
    return [*selectors.report_missing_items(report=report), *review_outstanding(report=report)]


@transaction.atomic
def section_review_answer(
    *, report: Report, section: str, user: User, response: str, addressed: bool
) -> SectionReview:
    """The entity answers a flagged section's comment and/or marks it addressed (taking the mark
    back is allowed until the report is submitted again)."""
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.status != S.CHANGES_REQUESTED:
        raise ReportError(_("The Secretariat's comments can be answered while changes are requested."))
    review = SectionReview.objects.filter(
        report=locked,
        submission_number=locked.submission_count,
        section=section,
        verdict=V.NEEDS_CHANGES,
        sent_at__isnull=False,
    ).first()
    if review is None:
        raise ReportError(_("The Secretariat asked for no change in this section."))
    response = text.normalize(response or "").strip()
    if len(response) > COMMENT_MAX_LENGTH:
        raise ReportError(
            _("The answer is %(count)d characters long; at most %(limit)d are allowed.")
            % {"count": len(response), "limit": COMMENT_MAX_LENGTH}
        )
    review.response = response
    if addressed and review.addressed_at is None:
        review.addressed_at = timezone.now()
        review.addressed_by = user
    elif not addressed:
        review.addressed_at = None
        review.addressed_by = None
    review.save(update_fields=["response", "addressed_at", "addressed_by"])
    return review


# --- The next review: what changed where the Secretariat asked -------------------------------


@dataclass
class FlaggedChange:
    review: SectionReview
    label: str
    anchor: str
    diffs: list[SectionDiff] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(d.changed for d in self.diffs)


def _belongs(diff_key: str, section: str) -> bool:
    return diff_key == section or diff_key.startswith(f"{section}-")


def review_round_changes(*, report: Report) -> tuple[int | None, list[FlaggedChange]]:
    """For a report submitted again after a changes request: the request's flagged sections, each
    with the entity's answer and what changed in it between the two submissions (the diff).
    Returns the number of the submission the comments were written on, and the sections."""
    latest = report.submission_count
    if latest < 2:
        return None, []
    reviews = list(
        SectionReview.objects.filter(
            report=report, submission_number__lt=latest, verdict=V.NEEDS_CHANGES, sent_at__isnull=False
        )
        .order_by("-submission_number")
        .select_related("reviewer", "addressed_by")
    )
    if not reviews:
        return None, []
    number = reviews[0].submission_number
    reviews = [r for r in reviews if r.submission_number == number]
    contents = dict(
        Submission.objects.filter(report=report, number__in=[number, latest]).values_list("number", "content")
    )
    if number not in contents or latest not in contents:
        return None, []
    lines = list(ActionLine.objects.in_template_order())
    diffs = document_diff(contents[number], contents[latest], action_lines=lines)
    sections = selectors.review_sections(action_lines=lines)
    by_key = {s.key: s for s in sections}
    order = {s.key: i for i, s in enumerate(sections)}
    changes = [
        FlaggedChange(
            review=r,
            label=by_key[r.section].label if r.section in by_key else r.section,
            anchor=by_key[r.section].anchor if r.section in by_key else "",
            diffs=[d for d in diffs if _belongs(d.key, r.section)],
        )
        for r in reviews
    ]
    return number, sorted(changes, key=lambda c: order.get(c.review.section, len(order)))


# --- Internal notes and the reviewer ---------------------------------------------------------


def internal_note_add(*, report: Report, author: User, note: str) -> InternalNote:
    """A note on the report for the Secretariat only (never shown to the entity or exported)."""
    note = text.normalize(note or "").strip()
    if not note:
        raise ReportError(_("Write the note first."))
    if len(note) > NOTE_MAX_LENGTH:
        raise ReportError(
            _("The note is %(count)d characters long; at most %(limit)d are allowed.")
            % {"count": len(note), "limit": NOTE_MAX_LENGTH}
        )
    return InternalNote.objects.create(report=report, author=author, text=note)


def internal_notes(*, report: Report) -> QuerySet[InternalNote]:
    return InternalNote.objects.filter(report=report).select_related("author").order_by("-created_at", "-pk")


def reviewers() -> QuerySet[User]:
    """Active staff who may review reports: the people a report can be assigned to."""
    permission = Permission.objects.filter(codename="review_report", content_type__app_label="reports")
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True) | Q(user_permissions__in=permission) | Q(groups__permissions__in=permission)
        )
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


@transaction.atomic
def report_assign(*, report: Report, assignee: User | None) -> Report:
    """Make ``assignee`` the report's reviewer (``None``: nobody)."""
    if assignee is not None and not reviewers().filter(pk=assignee.pk).exists():
        raise ReportError(_("Only an active member of the Secretariat who may review can be the reviewer."))
    locked = Report.objects.select_for_update().get(pk=report.pk)
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    return locked


def verdict_label(verdict: str) -> str | Promise:
    return V(verdict).label if verdict in V.values else ""


def flag_states(flags: list[Flag]) -> dict[str, dict[str, Any]]:
    """Per section key, what the navigation shows about the Secretariat's comment."""
    return {f.key: {"handled": f.handled} for f in flags}

"""Reads: the queries the views, admin, tasks and commands share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from action_lines.models import ActionLine

from . import text
from .annex import NARRATIVE_FIELDS, SECTIONS, SECTIONS_BY_KEY, Kind
from .models import (
    LINE_ADDRESSED,
    ActionLineProgress,
    Delivery,
    Entity,
    FollowUpContact,
    KeyIndicator,
    Membership,
    Report,
    ReportingCycle,
    StatusChange,
    Submission,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETE = "complete"
NOT_APPLICABLE = "not_applicable"
STATE_LABELS = {
    NOT_STARTED: _("Not started"),
    IN_PROGRESS: _("In progress"),
    COMPLETE: _("Complete"),
    NOT_APPLICABLE: _("Not applicable"),
}


def cycle_current(*, at=None) -> ReportingCycle | None:
    """The cycle stakeholders report in now: the most recently opened one."""
    now = at or timezone.now()
    return ReportingCycle.objects.filter(opens_at__lte=now).order_by("-opens_at").first()


def entities_for_user(*, user) -> QuerySet[Entity]:
    return Entity.objects.filter(memberships__user=user).select_related("country__region").order_by("name")


def membership_for(*, user, entity_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("entity__country__region")
        .filter(user=user, entity_id=entity_id)
        .first()
    )


def report_for_member(*, user, report_id: int) -> Report | None:
    """The report if ``user`` belongs to its entity; ``None`` otherwise (views answer 404)."""
    return (
        Report.objects.select_related("entity__country__region", "cycle")
        .filter(pk=report_id, entity__memberships__user=user)
        .first()
    )


@dataclass
class OutlineItem:
    key: str  # workspace section key: "executive-summary", "line-C2" …
    number: str
    title: StrOrPromise
    state: str
    children: list[OutlineItem] = field(default_factory=list)
    # The Secretariat flagged this section in the open changes request: "open" until the entity
    # edits it or answers the comment, then "handled" (``reports.reviewing.review_flags``).
    flag: str = ""

    @property
    def state_label(self) -> Promise:
        return STATE_LABELS[self.state]


@dataclass
class Missing:
    key: str
    label: StrOrPromise


def _text_state(values: list[str]) -> str:
    filled = [not text.is_blank(v) for v in values]
    if all(filled):
        return COMPLETE
    return IN_PROGRESS if any(filled) else NOT_STARTED


def _line_state(row: ActionLineProgress | None) -> str:
    if row is None:
        return NOT_STARTED
    if row.not_applicable:
        return NOT_APPLICABLE
    return _text_state(list(row.answers))


def _sub_lines_addressed(rows: dict[int, ActionLineProgress], sub_lines: list[ActionLine]) -> list[bool]:
    return [rows[sub.pk].is_addressed if sub.pk in rows else False for sub in sub_lines]


def _parent_state(row: ActionLineProgress | None, sub_lines_addressed: list[bool]) -> str:
    """A line with sub-lines (C7): complete once any sub-line is addressed, whatever its own
    answers or mark (``text.is_addressed_with_sub_lines``); otherwise like any line."""
    own = _line_state(row)
    if any(sub_lines_addressed) and own in {NOT_STARTED, NOT_APPLICABLE}:
        return COMPLETE
    return own


def _contact_complete(contact: FollowUpContact | None) -> bool:
    if contact is None or not contact.name.strip() or not contact.email.strip():
        return False
    try:
        validate_email(contact.email)
    except ValidationError:
        return False
    return True


def report_outline(*, report: Report) -> list[OutlineItem]:
    """Every workspace section and Action Line with its state, in template order (4 queries)."""
    lines = list(ActionLine.objects.in_template_order())
    rows = {p.action_line_id: p for p in ActionLineProgress.objects.filter(report=report)}
    has_indicators = KeyIndicator.objects.filter(report=report).exists()
    contact = FollowUpContact.objects.filter(report=report).first()

    outline: list[OutlineItem] = []
    for spec in SECTIONS:
        if spec.kind is Kind.ACTION_LINES:
            item = OutlineItem(key=spec.key, number=spec.number, title=spec.title, state=NOT_STARTED)
            by_parent: dict[int, OutlineItem] = {}
            for line in lines:
                child = OutlineItem(
                    key=f"line-{line.code}",
                    number=line.code if not line.is_sub_line else "",
                    title=line.display_short_title if line.is_sub_line else line.display_title,
                    state=_line_state(rows.get(line.pk)),
                )
                if line.parent_id and line.parent_id in by_parent:
                    by_parent[line.parent_id].children.append(child)
                else:
                    by_parent[line.pk] = child
                    item.children.append(child)
            for line in lines:
                if line.pk in by_parent and by_parent[line.pk].children:
                    subs = [sub for sub in lines if sub.parent_id == line.pk]
                    by_parent[line.pk].state = _parent_state(
                        rows.get(line.pk), _sub_lines_addressed(rows, subs)
                    )
            states = [c.state for c in item.children] + [g.state for c in item.children for g in c.children]
            item.state = _combine(states)
        elif spec.kind is Kind.CONTACT:
            state = (
                COMPLETE
                if _contact_complete(contact)
                else (
                    IN_PROGRESS
                    if contact and any([contact.name, contact.email, contact.position])
                    else NOT_STARTED
                )
            )
            item = OutlineItem(key=spec.key, number=spec.number, title=spec.title, state=state)
        elif spec.kind is Kind.INDICATORS:
            narrative = bool(report.indicators_narrative.strip())
            state = (
                COMPLETE
                if narrative and has_indicators
                else (IN_PROGRESS if narrative or has_indicators else NOT_STARTED)
            )
            item = OutlineItem(key=spec.key, number=spec.number, title=spec.title, state=state)
        else:
            item = OutlineItem(
                key=spec.key,
                number=spec.number,
                title=spec.title,
                state=_text_state([getattr(report, name) for name in spec.field_names]),
            )
        outline.append(item)
    return outline


def _combine(states: list[str]) -> str:
    if states and all(s in {COMPLETE, NOT_APPLICABLE} for s in states):
        return COMPLETE
    if any(s != NOT_STARTED for s in states):
        return IN_PROGRESS
    return NOT_STARTED


def outline_progress(outline: list[OutlineItem]) -> int:
    """Percentage of leaf sections that are complete or not applicable."""
    leaves: list[OutlineItem] = []
    for item in outline:
        if item.children:
            for child in item.children:
                leaves.append(child)
                leaves.extend(child.children)
        else:
            leaves.append(item)
    done = sum(1 for leaf in leaves if leaf.state in {COMPLETE, NOT_APPLICABLE})
    return round(100 * done / len(leaves)) if leaves else 0


def cycle_required_sections(cycle: ReportingCycle) -> list[str]:
    """The keys of the sections ``cycle`` requires, in template order (unknown keys ignored)."""
    wanted = set(cycle.required_sections or ())
    return [spec.key for spec in SECTIONS if spec.key in wanted]


def lines_open(*, report: Report) -> list[ActionLine]:
    """The Action Lines and C7 sub-lines neither addressed nor marked not applicable, in template
    order. C7 is addressed by any of its sub-lines (its own answers are then not needed, and a
    "not applicable" mark on it is ignored); each sub-line is answered or marked on its own."""
    lines = list(ActionLine.objects.in_template_order())
    rows = {p.action_line_id: p for p in ActionLineProgress.objects.filter(report=report)}
    open_lines = []
    for line in lines:
        subs = [sub for sub in lines if sub.parent_id == line.pk]
        state = _parent_state(rows.get(line.pk), _sub_lines_addressed(rows, subs))
        if state == NOT_STARTED:
            open_lines.append(line)
    return open_lines


def sub_lines_addressed(*, report: Report, line: ActionLine) -> bool:
    """Whether one of ``line``'s sub-lines (C7's eight) is addressed: then ``line`` applies, and a
    "not applicable" mark on it does not hold (``reports.text.is_not_applicable``)."""
    return ActionLineProgress.objects.filter(LINE_ADDRESSED, report=report, action_line__parent=line).exists()


def report_missing_items(*, report: Report) -> list[Missing]:
    """What must be there before the report can be submitted, per the sections its cycle requires
    (``ReportingCycle.required_sections``): I, V and VI answered; each of III's three questions
    answered (the template asks all three, and the document would print "No answer given" under
    an empty one); IV's narrative; every Action Line (C7's sub-lines included) addressed or marked
    not applicable — one entry for all of them, ``action-lines``, which links to the page that marks
    lines not applicable in bulk; a follow-up contact with a name and a valid e-mail address."""
    missing: list[Missing] = []
    for key in cycle_required_sections(report.cycle):
        spec = SECTIONS_BY_KEY[key]
        if spec.kind is Kind.ACTION_LINES:
            count = len(lines_open(report=report))
            if count:
                missing.append(
                    Missing(
                        spec.key,
                        ngettext(
                            "%(number)s: %(count)d Action Line still to fill in or mark not applicable",
                            "%(number)s: %(count)d Action Lines still to fill in or mark not applicable",
                            count,
                        )
                        % {"number": spec.number, "count": count},
                    )
                )
        elif spec.kind is Kind.CONTACT:
            if not _contact_complete(FollowUpContact.objects.filter(report=report).first()):
                missing.append(
                    Missing(
                        spec.key,
                        _("WSIS follow-up contact: a name and a valid e-mail address are needed"),
                    )
                )
        elif len(spec.questions) > 1:
            for question in spec.questions:
                if text.is_blank(getattr(report, question.name)):
                    missing.append(
                        Missing(
                            spec.key,
                            _("%(section)s: %(question)s is empty")
                            % {"section": spec.heading, "question": question.heading},
                        )
                    )
        elif any(text.is_blank(getattr(report, name)) for name in spec.field_names):
            missing.append(Missing(spec.key, _("%(section)s is empty") % {"section": spec.heading}))
    return missing


# --- The sections the Secretariat can comment on (review by section) -----------------------


@dataclass(frozen=True)
class ReviewSection:
    key: str
    label: str  # "I. Executive Summary", "C2. Information and communication infrastructure"
    anchor: str  # the id of the section in the rendered document
    is_sub_line: bool = False


def review_sections(*, action_lines: list[ActionLine] | None = None) -> list[ReviewSection]:
    """Every section and Action Line of the template, in template order, in the active language."""
    lines = action_lines if action_lines is not None else list(ActionLine.objects.in_template_order())
    found: list[ReviewSection] = []
    for spec in SECTIONS:
        if spec.kind is Kind.ACTION_LINES:
            found.extend(
                ReviewSection(
                    key=f"line-{line.code}",
                    label=f"{line.code}. "
                    + (line.display_short_title if line.is_sub_line else line.display_title),
                    anchor=f"line-{line.slug}",
                    is_sub_line=line.is_sub_line,
                )
                for line in lines
            )
        else:
            found.append(ReviewSection(key=spec.key, label=str(spec.heading), anchor=f"section-{spec.key}"))
    return found


def review_section_labels(keys: list[str]) -> dict[str, str]:
    """The labels of some section keys, in the active language (unknown keys keep their key)."""
    labels = {s.key: s.label for s in review_sections()}
    return {key: labels.get(key, key) for key in keys}


# --- Not applicable in bulk --------------------------------------------------------------

ANSWERED = "answered"
ANSWERED_IN_SUB_LINES = "answered_in_sub_lines"
LINE_CHOICE_LABELS = {
    ANSWERED: _("Answered"),
    ANSWERED_IN_SUB_LINES: _("Answered in its sub-lines"),
    NOT_APPLICABLE: _("Not applicable"),
    NOT_STARTED: _("Not started"),
}


@dataclass
class LineChoice:
    """One Action Line on the page that marks lines not applicable in bulk."""

    line: ActionLine
    state: str
    version: int
    not_applicable: bool  # the mark, where it holds
    # Why the line cannot be marked here ("" when it can).
    locked_reason: StrOrPromise = ""
    kept_answers: bool = False  # marked, with answers that come back when unmarked
    checked: bool = False  # what the page's checkbox shows (the page sets it)
    sub_lines: list[LineChoice] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"line-{self.line.code}"

    @property
    def state_label(self) -> StrOrPromise:
        return LINE_CHOICE_LABELS[self.state]


def report_line_choices(*, report: Report) -> list[LineChoice]:
    """Every Action Line with its state and section version, C7's sub-lines nested (2 queries)."""
    lines = list(ActionLine.objects.in_template_order())
    rows = {p.action_line_id: p for p in ActionLineProgress.objects.filter(report=report)}
    top: list[LineChoice] = []
    by_pk: dict[int, LineChoice] = {}
    for line in lines:
        row = rows.get(line.pk)
        has_answers = row is not None and any(not text.is_blank(a) for a in row.answers)
        marked = bool(row and row.not_applicable)
        subs = _sub_lines_addressed(rows, [sub for sub in lines if sub.parent_id == line.pk])
        choice = LineChoice(
            line=line,
            state=NOT_STARTED,
            version=int((report.section_versions.get(f"line-{line.code}") or {}).get("v", 0)),
            # As it holds: C7's mark does not while one of its sub-lines is addressed.
            not_applicable=text.is_not_applicable(not_applicable=marked, sub_lines=subs),
        )
        if any(subs):
            choice.state = ANSWERED_IN_SUB_LINES if not (has_answers and not marked) else ANSWERED
            choice.locked_reason = _(
                "Its sub-lines have answers, so it applies to your entity and counts as addressed."
            )
        elif marked:
            choice.state = NOT_APPLICABLE
            choice.kept_answers = has_answers
        elif has_answers:
            choice.state = ANSWERED
            choice.locked_reason = _(
                "It has answers: open it to read them before you mark it not applicable here."
            )
        if line.parent_id and line.parent_id in by_pk:
            by_pk[line.parent_id].sub_lines.append(choice)
        else:
            by_pk[line.pk] = choice
            top.append(choice)
    return top


# --- The stakeholder workspace ---------------------------------------------------------


@dataclass
class SavedInfo:
    version: int
    by: str = ""
    at: datetime | None = None


def section_saved_info(*, report: Report, key: str) -> SavedInfo:
    """Who saved a workspace section last, and when (from ``Report.section_versions``)."""
    state = report.section_versions.get(key) or {}
    at = None
    if state.get("at"):
        try:
            at = datetime.fromisoformat(state["at"])
        except ValueError:
            at = None
    return SavedInfo(version=int(state.get("v", 0)), by=state.get("by", ""), at=at)


def workspace_line(*, key: str) -> ActionLine | None:
    """The Action Line behind a ``line-<CODE>`` section key, with its facilitators."""
    if not key.startswith("line-"):
        return None
    return (
        ActionLine.objects.select_related("parent")
        .prefetch_related("facilitators__agency")
        .filter(code=key.removeprefix("line-"))
        .first()
    )


def outline_keys(outline: list[OutlineItem]) -> list[str]:
    """Every workspace page key in reading order (for "previous" and "next")."""
    keys: list[str] = []
    for item in outline:
        keys.append(item.key)
        for child in item.children:
            keys.append(child.key)
            keys.extend(grandchild.key for grandchild in child.children)
    return keys


def outline_states(outline: list[OutlineItem]) -> dict[str, OutlineItem]:
    """Every outline item by key."""
    return {
        item.key: item
        for top in outline
        for item in [top, *top.children, *(g for c in top.children for g in c.children)]
    }


def entity_memberships(*, entity: Entity) -> QuerySet[Membership]:
    return Membership.objects.filter(entity=entity).select_related("user").order_by("-role", "user__email")


def submission_for_member(*, user, submission_id: int) -> Submission | None:
    """A submission if ``user`` belongs to its report's entity; ``None`` otherwise (404)."""
    return (
        Submission.objects.select_related("report__entity", "report__cycle", "submitted_by")
        .filter(pk=submission_id, report__entity__memberships__user=user)
        .first()
    )


def report_submissions(*, report: Report) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(report=report)
        .select_related("submitted_by")
        .defer("content")
        .order_by("-number")
    )


def entity_current(*, user, entity_id: int | None) -> Entity | None:
    """The entity the person works for now: the one remembered in their session if they still
    belong to it, else their first one; ``None`` for a person without an entity."""
    membership = membership_for(user=user, entity_id=entity_id) if entity_id else None
    if membership is not None:
        return membership.entity
    return entities_for_user(user=user).first()


def entity_by_id(*, entity_id: int) -> Entity | None:
    """An entity by id, for pages that check access another way (an invitation's signature)."""
    return Entity.objects.select_related("country__region").filter(pk=entity_id).first()


# --- The secretariat's report page in admin ----------------------------------------------


def submission_content(*, report: Report, number: int | None = None) -> tuple[int, dict] | None:
    """``(number, content)`` of one submission of the report (the latest by default)."""
    submissions = Submission.objects.filter(report=report)
    if number is not None:
        submissions = submissions.filter(number=number)
    row = submissions.order_by("-number").values_list("number", "content").first()
    return (row[0], row[1]) if row else None


def report_deliveries(*, report: Report) -> QuerySet:
    """The report's delivery work (PDF rendering, e-mails), newest first."""
    return (
        Delivery.objects.filter(report=report)
        .annotate(submission_number=models.F("submission__number"))
        .defer("context")
        .order_by("-created_at", "-pk")
    )


def report_status_changes(*, report: Report) -> QuerySet:
    """The report's audit trail, oldest first, with who made each move."""
    return StatusChange.objects.filter(report=report).select_related("actor").order_by("created_at", "pk")


def outline_next_open(outline: list[OutlineItem]) -> OutlineItem | None:
    """The first section or line, in template order, that is neither complete nor not applicable."""
    for item in outline:
        leaves = [g for c in item.children for g in [c, *c.children]] if item.children else [item]
        for leaf in leaves:
            if leaf.state not in {COMPLETE, NOT_APPLICABLE}:
                return leaf
    return None


@dataclass
class DeliverySummary:
    """What the report list says about a report's deliveries."""

    failed: int = 0
    pending: int = 0
    done: int = 0
    pdf_status: str | None = None  # of the latest PDF rendering


def deliveries_summaries(*, report_ids: list[int]) -> dict[int, DeliverySummary]:
    """Per report, its deliveries counted by state and its latest PDF's state: one query over
    the delivery rows of these reports (a page of the list), not one per report."""
    summaries = {report_id: DeliverySummary() for report_id in report_ids}
    rows = (
        Delivery.objects.filter(report_id__in=report_ids)
        .order_by("created_at", "pk")
        .values_list("report_id", "kind", "status")
    )
    for report_id, kind, status in rows:
        summary = summaries[report_id]
        if status == Delivery.Status.FAILED:
            summary.failed += 1
        elif status == Delivery.Status.DONE:
            summary.done += 1
        else:
            summary.pending += 1
        if kind == Delivery.Kind.RENDER_PDF:
            summary.pdf_status = status  # rows come oldest first: the last one stays
    return summaries


# --- Cycles: the entity's report of the previous cycle --------------------------------------

UNCHANGED = "unchanged"
UPDATED = "updated"
NEW = "new"
CHANGE_LABELS = {
    # Translators: a badge by a field of the report: the answer is the same as in the entity's
    # report for the previous cycle.
    UNCHANGED: _("Unchanged"),
    # Translators: a badge by a field: the answer differs from the previous cycle's report.
    UPDATED: _("Updated"),
    # Translators: a badge by a field: the previous cycle's report had no answer here.
    NEW: _("New"),
}


@dataclass(frozen=True)
class PreviousReport:
    """The entity's report for an earlier cycle, as last submitted (its numbered snapshot)."""

    report: Report
    cycle: ReportingCycle
    number: int
    document: dict


def report_previous(*, report: Report) -> Report | None:
    """The same entity's report for the most recent cycle that opened before this report's, among
    those submitted at least once; ``None`` when there is none (a first cycle, a new entity)."""
    return (
        Report.objects.select_related("cycle")
        .filter(
            entity_id=report.entity_id,
            cycle__opens_at__lt=report.cycle.opens_at,
            submission_count__gt=0,
        )
        .order_by("-cycle__opens_at")
        .first()
    )


def report_previous_submitted(*, report: Report) -> PreviousReport | None:
    """The previous cycle's report with the document of its latest submission: two queries, read
    once per page whatever the number of fields compared."""
    previous = report_previous(report=report)
    if previous is None:
        return None
    found = submission_content(report=previous)
    if found is None:
        return None
    return PreviousReport(report=previous, cycle=previous.cycle, number=found[0], document=found[1])


def report_is_blank(*, report: Report) -> bool:
    """Nothing written in the report yet: no section saved, no answer, no row of any kind."""
    if report.section_versions or any(getattr(report, name) for name in NARRATIVE_FIELDS):
        return False
    return not (
        ActionLineProgress.objects.filter(report=report).exists()
        or KeyIndicator.objects.filter(report=report).exists()
        or FollowUpContact.objects.filter(report=report).exists()
    )


def report_start_offer(*, report: Report) -> PreviousReport | None:
    """What "start from our previous report" would copy, when it can be offered: the report is a
    blank draft, not already started from another one, and the entity submitted an earlier one."""
    if report.status != Report.Status.DRAFT or report.started_from_id or not report_is_blank(report=report):
        return None
    return report_previous_submitted(report=report)


def _plain(value: object) -> object:
    """A value compared as a reader would: text with its line breaks normalised and outer space
    ignored, rows without their empty cells."""
    if isinstance(value, str):
        return text.normalize(value).strip()
    if isinstance(value, list):
        return [_plain(v) for v in value if not _is_blank(v)]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not _is_blank(v)}
    return value


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        return not any(not _is_blank(v) for v in (value.values() if isinstance(value, dict) else value))
    return value is None or value is False


def change_state(old: object, new: object) -> str:
    """``unchanged``, ``updated`` or ``new`` for one answer against the previous cycle's, or ""
    when both are empty (nothing to say)."""
    if _is_blank(new) and _is_blank(old):
        return ""
    if _is_blank(old):
        return NEW
    return UNCHANGED if _plain(old) == _plain(new) else UPDATED


def previous_section_values(*, previous: PreviousReport, key: str) -> dict[str, object]:
    """One workspace section's values in the previous report's document, shaped as
    ``services.report_section_values`` shapes the current ones."""
    doc = previous.document
    if key.startswith("line-"):
        code = key.removeprefix("line-")
        line = next((lp for lp in doc.get("action_lines", []) if lp.get("code") == code), None)
        if line is None:
            return {}
        return {
            "achievements": line.get("achievements", ""),
            "challenges": line.get("challenges", ""),
            "future_priorities": line.get("future_priorities", ""),
            "success_stories": line.get("success_stories", []),
        }
    spec = SECTIONS_BY_KEY.get(key)
    if spec is None:
        return {}
    if spec.kind is Kind.CONTACT:
        return dict(doc.get("contact", {}))
    values: dict[str, object] = {name: doc.get("narrative", {}).get(name, "") for name in spec.field_names}
    if spec.kind is Kind.INDICATORS:
        values["indicators"] = doc.get("indicators", [])
    return values


def report_section_changes(
    *, previous: PreviousReport | None, key: str, values: dict[str, object]
) -> dict[str, str]:
    """Per field of one workspace section (``values`` as the form starts from them), whether it is
    unchanged, updated or new against the previous cycle's submitted report; empty without one.
    Pure: the previous document is read once (``report_previous_submitted``)."""
    if previous is None:
        return {}
    before = previous_section_values(previous=previous, key=key)
    changes = {}
    for name, value in values.items():
        if name == "not_applicable":
            continue
        state = change_state(before.get(name), value)
        if state:
            changes[name] = state
    return changes

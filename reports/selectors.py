"""Reads: the queries the views, admin, tasks and commands share."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from action_lines.models import ActionLine

from .annex import SECTIONS, Kind
from .models import (
    ActionLineProgress,
    Entity,
    FollowUpContact,
    KeyIndicator,
    Membership,
    Report,
    ReportingCycle,
)

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
    title: str | Promise
    state: str
    children: list[OutlineItem] = field(default_factory=list)

    @property
    def state_label(self) -> Promise:
        return STATE_LABELS[self.state]


@dataclass
class Missing:
    key: str
    label: str | Promise


def _text_state(values: list[str]) -> str:
    filled = [bool((v or "").strip()) for v in values]
    if all(filled):
        return COMPLETE
    return IN_PROGRESS if any(filled) else NOT_STARTED


def _line_state(row: ActionLineProgress | None) -> str:
    if row is None:
        return NOT_STARTED
    if row.not_applicable:
        return NOT_APPLICABLE
    return _text_state([row.achievements, row.challenges, row.future_priorities])


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
                    title=line.short_title if line.is_sub_line else line.title,
                    state=_line_state(rows.get(line.pk)),
                )
                if line.parent_id and line.parent_id in by_parent:
                    by_parent[line.parent_id].children.append(child)
                else:
                    by_parent[line.pk] = child
                    item.children.append(child)
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


def report_missing_items(*, report: Report) -> list[Missing]:
    """What must be there before the report can be submitted: the executive summary; every
    Action Line (C7's sub-lines included) with at least one answer or marked not applicable; a
    follow-up contact with a name and a valid e-mail address."""
    missing: list[Missing] = []
    if not report.executive_summary.strip():
        missing.append(Missing("executive-summary", _("I. Executive Summary is empty")))
    rows = {p.action_line_id: p for p in ActionLineProgress.objects.filter(report=report)}
    for line in ActionLine.objects.in_template_order():
        if _line_state(rows.get(line.pk)) == NOT_STARTED:
            missing.append(
                Missing(
                    f"line-{line.code}",
                    _("%(line)s: fill it in or mark it not applicable") % {"line": line.label},
                )
            )
    if not _contact_complete(FollowUpContact.objects.filter(report=report).first()):
        missing.append(
            Missing("contact", _("WSIS follow-up contact: a name and a valid e-mail address are needed"))
        )
    return missing

"""Turns a report document (``reports/document/snapshot.py``) into what the one document template
(``templates/reports/document/report.html``) iterates: the Annex 1 sections in order, each
with its answers, the Action Lines with C7's sub-lines nested, indicators and the contact.

The preview page, the PDF, the admin's report page and the compiled reports all use this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from action_lines.models import ActionLine

from .. import text
from ..annex import (
    ACTION_LINE_QUESTIONS,
    CONTACT_FIELDS,
    INDICATOR_COLUMNS,
    SECTIONS,
    Kind,
    Question,
    Section,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass
class LinePart:
    line: ActionLine
    answers: list[tuple[Question, str]]
    not_applicable: bool
    success_stories: list[dict[str, Any]]
    sub_lines: list[LinePart] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"line-{self.line.slug}"

    @property
    def is_empty(self) -> bool:
        return (
            not self.not_applicable
            and not self.success_stories
            and all(text.is_blank(t) for _q, t in self.answers)
        )

    @property
    def is_addressed(self) -> bool:
        """Addressed, its sub-lines counting for it (``text.is_addressed_with_sub_lines``)."""
        return text.is_addressed_with_sub_lines(
            not_applicable=self.not_applicable,
            answers=(t for _q, t in self.answers),
            sub_lines=(sub.is_addressed for sub in self.sub_lines),
        )

    @property
    def answered_in_sub_lines(self) -> bool:
        """C7 with an answered sub-line: its "not applicable" mark, if any, does not hold."""
        return any(sub.is_addressed for sub in self.sub_lines)

    @property
    def shows_not_applicable(self) -> bool:
        return text.is_not_applicable(
            not_applicable=self.not_applicable, sub_lines=(sub.is_addressed for sub in self.sub_lines)
        )


@dataclass
class SectionPart:
    spec: Section
    answers: list[tuple[Question, str]] = field(default_factory=list)
    lines: list[LinePart] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    contact: list[tuple[StrOrPromise, str]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"section-{self.spec.key}"


def document_parts(doc: dict[str, Any], *, action_lines: list[ActionLine] | None = None) -> list[SectionPart]:
    """The sections of one report document, in template order."""
    lines = action_lines if action_lines is not None else list(ActionLine.objects.in_template_order())
    by_code = {row["code"]: row for row in doc.get("action_lines", [])}
    parts: list[SectionPart] = []
    for spec in SECTIONS:
        part = SectionPart(spec=spec)
        if spec.kind is Kind.ACTION_LINES:
            top: dict[int, LinePart] = {}
            for line in lines:
                row = by_code.get(line.code, {})
                lp = LinePart(
                    line=line,
                    answers=[(q, row.get(q.name, "") or "") for q in ACTION_LINE_QUESTIONS],
                    not_applicable=bool(row.get("not_applicable")),
                    success_stories=row.get("success_stories", []),
                )
                if line.parent_id and line.parent_id in top:
                    top[line.parent_id].sub_lines.append(lp)
                else:
                    top[line.pk] = lp
                    part.lines.append(lp)
        elif spec.kind is Kind.CONTACT:
            contact = doc.get("contact", {})
            part.contact = [(label, contact.get(name, "") or "") for name, label in CONTACT_FIELDS]
        else:
            narrative = doc.get("narrative", {})
            part.answers = [(q, narrative.get(q.name, "") or "") for q in spec.questions]
            if spec.kind is Kind.INDICATORS:
                part.indicators = doc.get("indicators", [])
        parts.append(part)
    return parts


def document_context(
    doc: dict[str, Any], *, action_lines: list[ActionLine] | None = None, **extra: Any
) -> dict[str, Any]:
    """Template context for ``reports/document/report.html``."""
    return {
        "doc": doc,
        "entity": doc.get("entity", {}),
        "parts": document_parts(doc, action_lines=action_lines),
        "indicator_columns": INDICATOR_COLUMNS,
        **extra,
    }

"""What changed between two versions of a report (two submissions, or a submission and the
current working copy).

Both documents are flattened section by section in template order (the headings come from
``reports/annex.py`` through ``reports/document/rendering.py``), then compared with ``difflib``: first
line by line within each section, then word by word inside the lines that were rewritten.
The result is plain data; the template escapes every piece of text it shows.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from action_lines.models import ActionLine

from ..text import normalize
from .rendering import document_parts

CONTEXT_LINES = 1
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass
class FlatSection:
    key: str
    title: str
    lines: list[str]


@dataclass
class Segment:
    text: str
    changed: bool = False


@dataclass
class DiffLine:
    kind: str  # "equal", "delete", "insert", "skip" (unchanged lines left out)
    segments: list[Segment] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass
class SectionDiff:
    key: str
    title: str
    state: str  # "unchanged", "changed", "added", "removed"
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.state != "unchanged"

    @property
    def counts(self) -> tuple[int, int]:
        return (
            sum(1 for line in self.lines if line.kind == "delete"),
            sum(1 for line in self.lines if line.kind == "insert"),
        )


def _text_lines(text: str) -> list[str]:
    return [line.rstrip() for line in normalize(text).split("\n") if line.strip()]


def document_flatten(
    doc: dict[str, Any], *, action_lines: list[ActionLine] | None = None
) -> list[FlatSection]:
    """A report document as titled sections of text lines, in template order. Each Action
    Line answer is its own section, so a change shows where it is."""
    sections: list[FlatSection] = []
    entity = doc.get("entity", {})
    sections.append(
        FlatSection(
            "entity",
            _("Entity"),
            [
                f"{_('Name')}: {entity.get('name', '')}",
                f"{_('Acronym')}: {entity.get('acronym', '')}",
                f"{_('Stakeholder type')}: {entity.get('stakeholder_type_label', '')}",
                f"{_('Country')}: {entity.get('country_name', '')}",
            ],
        )
    )
    for part in document_parts(doc, action_lines=action_lines):
        spec = part.spec
        if part.lines:
            for top in part.lines:
                for lp in [top, *top.sub_lines]:
                    prefix = f"{spec.number}. {lp.line.label}"
                    if lp.not_applicable:
                        sections.append(
                            FlatSection(f"line-{lp.line.code}", prefix, [_("Not applicable to this entity.")])
                        )
                        continue
                    for question, text in lp.answers:
                        sections.append(
                            FlatSection(
                                f"line-{lp.line.code}-{question.name}",
                                f"{prefix} — {question.label}",
                                _text_lines(text),
                            )
                        )
                    stories: list[str] = []
                    for story in lp.success_stories:
                        year = f" ({story.get('year')})" if story.get("year") else ""
                        stories.append(f"{story.get('title', '')}{year}")
                        stories.extend(_text_lines(story.get("description", "")))
                        if story.get("url"):
                            stories.append(story["url"])
                    sections.append(
                        FlatSection(
                            f"line-{lp.line.code}-stories", f"{prefix} — {_('Success stories')}", stories
                        )
                    )
        elif part.contact:
            sections.append(
                FlatSection(
                    spec.key,
                    str(spec.heading),
                    [f"{label}: {value}" for label, value in part.contact if value],
                )
            )
        else:
            for question, text in part.answers:
                title = (
                    f"{spec.number}.{question.number} {question.label}"
                    if len(part.answers) > 1
                    else str(spec.heading)
                )
                sections.append(FlatSection(f"{spec.key}-{question.name}", title, _text_lines(text)))
            if part.spec.kind == "indicators":
                rows = [
                    " · ".join(
                        str(v)
                        for v in (
                            r.get("indicator"),
                            r.get("value"),
                            r.get("unit"),
                            r.get("year"),
                            r.get("source"),
                            r.get("note"),
                        )
                        if v not in (None, "")
                    )
                    for r in part.indicators
                ]
                sections.append(
                    FlatSection(f"{spec.key}-rows", f"{spec.heading} — {_('Key indicators')}", rows)
                )
    return sections


def _words(text: str) -> list[str]:
    return _TOKENS.findall(text)


def _word_diff(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    a, b = _words(old), _words(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(Segment("".join(a[i1:i2])))
            right.append(Segment("".join(b[j1:j2])))
        else:
            if i2 > i1:
                left.append(Segment("".join(a[i1:i2]), True))
            if j2 > j1:
                right.append(Segment("".join(b[j1:j2]), True))
    return left, right


def _similar(old: str, new: str) -> bool:
    return difflib.SequenceMatcher(None, _words(old), _words(new), autojunk=False).ratio() >= 0.4


def lines_diff(old: list[str], new: list[str], *, context: int = CONTEXT_LINES) -> list[DiffLine]:
    """Changed lines with ``context`` unchanged lines around them (a ``skip`` stands for the
    unchanged lines left out); a rewritten line shows which words went and came."""
    result: list[DiffLine] = []
    groups = list(difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(context))
    for index, group in enumerate(groups):
        _tag, i1, _i2, j1, _j2 = group[0]
        if index or i1 or j1:
            result.append(DiffLine("skip"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                result.extend(DiffLine("equal", [Segment(line)]) for line in old[i1:i2])
                continue
            removed, added = old[i1:i2], new[j1:j2]
            pairs = min(len(removed), len(added)) if tag == "replace" else 0
            deletes: list[DiffLine] = []
            inserts: list[DiffLine] = []
            for k in range(pairs):
                if _similar(removed[k], added[k]):
                    left, right = _word_diff(removed[k], added[k])
                    deletes.append(DiffLine("delete", left))
                    inserts.append(DiffLine("insert", right))
                else:
                    deletes.append(DiffLine("delete", [Segment(removed[k], True)]))
                    inserts.append(DiffLine("insert", [Segment(added[k], True)]))
            deletes.extend(DiffLine("delete", [Segment(line, True)]) for line in removed[pairs:])
            inserts.extend(DiffLine("insert", [Segment(line, True)]) for line in added[pairs:])
            result.extend(deletes)
            result.extend(inserts)
    if groups:
        _tag, _i1, i2, _j1, j2 = groups[-1][-1]
        if i2 < len(old) or j2 < len(new):
            result.append(DiffLine("skip"))
    return result


def _merged_order(before: list[FlatSection], after: list[FlatSection]) -> list[str]:
    """Section keys of both documents in template order (a section present in only one of
    them keeps its place)."""
    before_keys = [s.key for s in before]
    after_keys = [s.key for s in after]
    in_after = set(after_keys)
    order: list[str] = []
    matcher = difflib.SequenceMatcher(None, before_keys, after_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            order.extend(key for key in before_keys[i1:i2] if key not in in_after)
        order.extend(after_keys[j1:j2])
    return order


def document_diff(
    old: dict[str, Any], new: dict[str, Any], *, action_lines: list[ActionLine] | None = None
) -> list[SectionDiff]:
    """Every section of the two documents, in template order, each marked unchanged,
    changed, added or removed, with the line and word changes of the changed ones."""
    if action_lines is None:
        action_lines = list(ActionLine.objects.in_template_order())
    before = document_flatten(old, action_lines=action_lines)
    after = document_flatten(new, action_lines=action_lines)
    before_by_key = {s.key: s for s in before}
    after_by_key = {s.key: s for s in after}
    result: list[SectionDiff] = []
    for key in _merged_order(before, after):
        previous, current = before_by_key.get(key), after_by_key.get(key)
        either = current or previous
        assert either is not None  # the key came from one of them
        title = either.title
        old_lines = previous.lines if previous else []
        new_lines = current.lines if current else []
        if old_lines == new_lines:
            result.append(SectionDiff(key, title, "unchanged"))
            continue
        state = "changed" if old_lines and new_lines else ("added" if new_lines else "removed")
        result.append(SectionDiff(key, title, state, lines_diff(old_lines, new_lines)))
    return result

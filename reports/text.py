"""The one form in which the portal stores and compares what people type.

Browsers send line breaks as CR LF; the character counter in the workspace counts each break as one
character, and so does everything here: ``normalize`` turns every break into LF and drops the blanks
around the whole text. Forms store answers in that form, so the database's "addressed" flag
(``ActionLineProgress.addressed``, a non-empty answer) and every check in Python agree.
"""

from __future__ import annotations

from collections.abc import Iterable


def normalize(value: object) -> str:
    """``value`` as stored: line breaks as LF, no leading or trailing blanks; ``None`` as ""."""
    return str(value if value is not None else "").replace("\r\n", "\n").replace("\r", "\n").strip()


def is_blank(value: object) -> bool:
    return not normalize(value)


def is_addressed(*, not_applicable: bool, answers: Iterable[object]) -> bool:
    """An Action Line is addressed when it is not marked not applicable and holds some answer —
    the rule the database computes as ``ActionLineProgress.addressed`` (``ADDRESSED_CONDITION``)."""
    return not not_applicable and any(not is_blank(answer) for answer in answers)


def is_addressed_with_sub_lines(
    *, not_applicable: bool, answers: Iterable[object], sub_lines: Iterable[bool]
) -> bool:
    """A line with sub-lines (C7 and its eight) is addressed when it is, or when any of its
    sub-lines is (``sub_lines``: whether each sub-line is addressed). Its own answers are then not
    required, and a "not applicable" mark on it is ignored: its sub-lines' answers say it applies.
    A line without sub-lines is just ``is_addressed``. ``reports.models.line_addressed`` is the same
    rule for queries."""
    return is_addressed(not_applicable=not_applicable, answers=answers) or any(sub_lines)


def is_not_applicable(*, not_applicable: bool, sub_lines: Iterable[bool] = ()) -> bool:
    """Whether a line's "not applicable" mark holds: never when one of its sub-lines is addressed
    (see ``is_addressed_with_sub_lines``)."""
    return bool(not_applicable) and not any(sub_lines)

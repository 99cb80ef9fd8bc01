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

"""The domain's errors: a refused operation, with a message a person can read.

Services raise them (``reports/services.py`` re-exports them, so ``services.EditConflict`` is the
same class); views and admin actions turn them into a message where the user is looking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _


class ReportError(Exception):
    """A refused operation; ``str(error)`` is the message to show."""


class NotEditable(ReportError):
    pass


class SubmissionRefused(ReportError):
    pass


class IllegalTransition(ReportError):
    pass


class MembershipError(ReportError):
    pass


@dataclass
class EditConflict(ReportError):
    """A save based on an older version of the section: nothing was written.

    ``theirs`` holds the section as it is now (what the colleague saved), ``yours`` what
    this save tried to write, so both can be shown side by side."""

    section_key: str
    theirs: dict[str, Any]
    yours: dict[str, Any]
    current_version: int
    saved_by: str = ""
    saved_at: str = ""
    message: str = field(default="")

    def __post_init__(self) -> None:
        self.message = _(
            "A colleague saved this section while you were editing it. Nothing was overwritten: "
            "compare the two versions below, then save again."
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

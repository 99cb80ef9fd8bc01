"""Annex 1 of the Secretary-General's letter of 14 May 2025: the 20-Year Reporting Template.

This is the one definition of the template's numbering, headings and guidance text.
The online form, the preview, the PDF and the compiled reports all render from it;
nothing else spells a heading. The Action Line part (section II) iterates the
``ActionLine`` rows, so adding a line is data, not code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TEMPLATE_TITLE = _("20-Year Reporting Template")
TEMPLATE_SUBTITLE = _(
    "For Governments, Civil Society, Academia, Private Sector, Technical Community, "
    "and International Organizations"
)
TEMPLATE_INTRO = _(
    "Stakeholders are invited to compile a WSIS+20 Report to highlight their achievements, "
    "challenges, and trends in implementing the WSIS Outcome documents over the past twenty years."
)


class Kind(StrEnum):
    NARRATIVE = "narrative"  # one or more long text answers stored on the report
    ACTION_LINES = "action_lines"  # one part per ActionLine row
    INDICATORS = "indicators"  # a narrative plus structured rows
    CONTACT = "contact"  # the WSIS follow-up contact


@dataclass(frozen=True)
class Question:
    """One answer box: ``name`` is the model field that stores it."""

    name: str
    label: StrOrPromise
    guidance: StrOrPromise = ""
    number: str = ""  # e.g. "1" for III.1

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.label}" if self.number else str(self.label)


@dataclass(frozen=True)
class Section:
    key: str  # stable identifier, also the URL slug
    number: str  # Roman numeral, or "" for the contact
    title: StrOrPromise
    guidance: StrOrPromise
    kind: Kind
    questions: tuple[Question, ...] = field(default_factory=tuple)

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}" if self.number else str(self.title)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.questions)


# Section II: the three answers asked for every Action Line and every C7 sub-line.
ACTION_LINE_QUESTIONS: tuple[Question, ...] = (
    Question("achievements", _("Achievements"), _("Key achievements of the entity on this Action Line.")),
    Question("challenges", _("Challenges"), _("The main challenges met on this Action Line.")),
    Question("future_priorities", _("Future priorities"), _("Priorities for the years beyond 2025.")),
)
SUCCESS_STORIES_TITLE = _("Success stories")
SUCCESS_STORIES_GUIDANCE = _("Please elaborate with success stories for each Action Line.")
NOT_APPLICABLE_LABEL = _("Not applicable to our entity")

# Section IV: the template's own examples, offered as suggestions for the indicator name.
INDICATOR_EXAMPLES: tuple[StrOrPromise, ...] = (
    _("Percentage of the population with Internet access"),
    _("Mobile penetration"),
    _("Percentage of government services available online"),
    _("Number of broadband connections"),
    _("Cybersecurity initiatives"),
    _("Digital skills training"),
    _("Policies and digital governance frameworks"),
)
INDICATOR_COLUMNS: tuple[tuple[str, StrOrPromise], ...] = (
    ("indicator", _("Indicator")),
    ("value", _("Value")),
    ("unit", _("Unit")),
    ("year", _("Year")),
    ("source", _("Source")),
    ("note", _("Note")),
)

CONTACT_FIELDS: tuple[tuple[str, StrOrPromise], ...] = (
    ("name", _("Name")),
    ("position", _("Position")),
    ("unit", _("Entity unit")),
    ("email", _("E-mail")),
    ("phone", _("Phone")),
    ("address", _("Address")),
)

SECTIONS: tuple[Section, ...] = (
    Section(
        key="executive-summary",
        number="I",
        title=_("Executive Summary"),
        guidance=_(
            "Provide a brief overview of the entity's achievements, challenges, and future priorities "
            "related to the implementation of WSIS outcomes over the last 20 years."
        ),
        kind=Kind.NARRATIVE,
        questions=(Question("executive_summary", _("Executive Summary")),),
    ),
    Section(
        key="action-lines",
        number="II",
        title=_("Progress on WSIS Action Lines"),
        guidance=_(
            "Please provide a summary of progress on the WSIS Action Lines over the last 20 years, "
            "detailing initiatives, contributions, and the integration of digital policies. For each of "
            "the following action lines, kindly indicate the key achievements, challenges, and future "
            "priorities. Please elaborate with success stories for each Action Line."
        ),
        kind=Kind.ACTION_LINES,
    ),
    Section(
        key="strategies",
        number="III",
        title=_("Strategies and Policy Contributions"),
        guidance=_(
            "Please provide details on strategies, policies, and frameworks implemented by the entity to "
            "support WSIS goals over the last 20 years, including:"
        ),
        kind=Kind.NARRATIVE,
        questions=(
            Question(
                "digital_strategy",
                _("Digital Strategy/Policy"),
                _(
                    "Please provide details of any global strategy or policy for ICT development and "
                    "digital transformation."
                ),
                number="1",
            ),
            Question(
                "strategic_documents",
                _("Strategic Documents/Plans"),
                _("List any key global reports or strategies that have aligned with WSIS Action Lines."),
                number="2",
            ),
            Question(
                "wsis_mandates",
                _("Implementation of WSIS Mandates"),
                _("Explain how the entity has incorporated WSIS mandates into broader development goals."),
                number="3",
            ),
        ),
    ),
    Section(
        key="indicators",
        number="IV",
        title=_("Key Indicators of Progress"),
        guidance=_(
            "Provide key data or indicators that demonstrate the entity's progress toward achieving WSIS "
            "goals (e.g. percentage of the population with internet access, mobile penetration, percentage "
            "of government services available online, number of broadband connections, cybersecurity "
            "initiatives, digital skills training, policies and digital governance frameworks, etc.)"
        ),
        kind=Kind.INDICATORS,
        questions=(Question("indicators_narrative", _("Key Indicators of Progress")),),
    ),
    Section(
        key="challenges",
        number="V",
        title=_("Challenges and Gaps"),
        guidance=_(
            "Please identify key barriers or challenges the entity has faced in implementing WSIS mandates "
            "and achieving desired outcomes."
        ),
        kind=Kind.NARRATIVE,
        questions=(Question("challenges_gaps", _("Challenges and Gaps")),),
    ),
    Section(
        key="vision",
        number="VI",
        title=_("Future Directions and Areas for Collaboration and Vision Beyond 2025"),
        guidance=_(
            "Please outline the entity's vision for the future of WSIS beyond 2025 and identify areas where "
            "collaboration with stakeholders could further accelerate progress."
        ),
        kind=Kind.NARRATIVE,
        questions=(Question("future_vision", _("Vision Beyond 2025")),),
    ),
    Section(
        key="contact",
        number="",
        title=_("WSIS Follow-up Contact"),
        guidance=_(
            "Please provide details and contact information for the entity/stakeholder responsible for "
            "WSIS Follow-Up."
        ),
        kind=Kind.CONTACT,
    ),
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SECTIONS_BY_KEY: dict[str, Section] = {s.key: s for s in SECTIONS}

# Every report column that holds a narrative answer, in template order.
NARRATIVE_FIELDS: tuple[str, ...] = tuple(q.name for s in SECTIONS for q in s.questions)


def section(key: str) -> Section:
    """The section with this key; ``KeyError`` for an unknown one."""
    return SECTIONS_BY_KEY[key]

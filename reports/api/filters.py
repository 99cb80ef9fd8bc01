"""The API's filters (django-filter): the public list's — cycle, Action Line addressed, stakeholder
type, region, country, language — and a plain-text ``q``. A value that names nothing (an unknown
Action Line, region or country code) answers 400 with the field and the reason, never an empty list
that looks like an answer."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters import rest_framework as filters

from action_lines.models import ActionLine

from ..models import ActionLineProgress, Country, Entity, Region, Report, ReportingCycle, StakeholderType

NARRATIVE = (
    "executive_summary",
    "digital_strategy",
    "strategic_documents",
    "wsis_mandates",
    "indicators_narrative",
    "challenges_gaps",
    "future_vision",
)


def _words(value: str) -> list[str]:
    return [word for word in value.split() if word][:8]


class ReportFilter(filters.FilterSet):
    cycle = filters.ModelChoiceFilter(
        queryset=ReportingCycle.objects.all(), to_field_name="slug", help_text="A reporting cycle (its slug)."
    )
    action_line = filters.ModelChoiceFilter(
        queryset=ActionLine.objects.all(),
        to_field_name="code",
        method="filter_action_line",
        help_text="Reports addressing this Action Line (C1 … C11, or a C7 sub-line such as C7.GOV); "
        "C7 includes its sub-lines.",
    )
    stakeholder_type = filters.ChoiceFilter(
        field_name="entity__stakeholder_type", choices=StakeholderType.choices, help_text="The entity's type."
    )
    region = filters.ModelChoiceFilter(
        field_name="entity__country__region",
        queryset=Region.objects.all(),
        to_field_name="code",
        help_text="The entity's ITU-D region (code).",
    )
    country = filters.ModelChoiceFilter(
        field_name="entity__country",
        queryset=Country.objects.all(),
        to_field_name="code",
        help_text="The entity's country (ISO 3166-1 alpha-2 code, upper case).",
    )
    language = filters.ChoiceFilter(
        choices=settings.LANGUAGES, help_text="The language the report is written in."
    )
    q = filters.CharFilter(
        method="filter_q",
        help_text="Words that must all appear (in any case) in the entity's name or acronym, a "
        "narrative section or an Action Line's answers.",
    )

    class Meta:
        model = Report
        fields = ["cycle", "action_line", "stakeholder_type", "region", "country", "language", "q"]

    def filter_action_line(
        self, queryset: QuerySet[Report], name: str, value: ActionLine | None
    ) -> QuerySet[Report]:
        if value is None:
            return queryset
        rows = ActionLineProgress.objects.filter(addressed=True, report=OuterRef("pk")).filter(
            Q(action_line=value) | Q(action_line__parent=value)
        )
        return queryset.filter(Exists(rows))

    def filter_q(self, queryset: QuerySet[Report], name: str, value: str) -> QuerySet[Report]:
        for word in _words(value):
            in_report = Q(entity__name__icontains=word) | Q(entity__acronym__icontains=word)
            for field in NARRATIVE:
                in_report |= Q(**{f"{field}__icontains": word})
            in_lines = ActionLineProgress.objects.filter(report=OuterRef("pk")).filter(
                Q(achievements__icontains=word)
                | Q(challenges__icontains=word)
                | Q(future_priorities__icontains=word)
            )
            queryset = queryset.filter(in_report | Exists(in_lines))
        return queryset


class EntityFilter(filters.FilterSet):
    stakeholder_type = filters.ChoiceFilter(choices=StakeholderType.choices, help_text="The entity's type.")
    region = filters.ModelChoiceFilter(
        field_name="country__region",
        queryset=Region.objects.all(),
        to_field_name="code",
        help_text="ITU-D region (code).",
    )
    country = filters.ModelChoiceFilter(
        queryset=Country.objects.all(), to_field_name="code", help_text="ISO 3166-1 alpha-2 code, upper case."
    )
    q = filters.CharFilter(method="filter_q", help_text="Words that must all appear in the name or acronym.")

    class Meta:
        model = Entity
        fields = ["stakeholder_type", "region", "country", "q"]

    def filter_q(self, queryset: QuerySet[Entity], name: str, value: str) -> QuerySet[Entity]:
        for word in _words(value):
            queryset = queryset.filter(Q(name__icontains=word) | Q(acronym__icontains=word))
        return queryset

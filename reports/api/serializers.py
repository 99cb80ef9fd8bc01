"""What the API shows of each object: published data only, never the follow-up contact (personal
data) nor what the Secretariat keeps for itself (reviewers, notes, requests for changes, who
submitted). Every field is named here, never ``fields = "__all__"``: a new column on a model stays
out of the API until someone decides it is public."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.conf import settings
from django.utils import translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from action_lines.models import ActionLine, Facilitator

from ..models import (
    ActionLineProgress,
    Entity,
    KeyIndicator,
    Report,
    ReportingCycle,
    StakeholderType,
    SuccessStory,
)
from ..opendata import archive_name

# The public report page (``/published/<id>/``, an address fixed for the public site).
REPORT_PAGE = "/published/{id}/"


def absolute(serializer: serializers.BaseSerializer, path: str) -> str:
    """``path`` as a full address on the host the request came to (behind the proxy, its public
    one); the portal's SITE_URL without a request."""
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request is not None else settings.SITE_URL + path


def utc_datetime(**kwargs: Any) -> serializers.DateTimeField:
    """Times in UTC (``…Z``), as in the bulk downloads, whatever the portal's own time zone."""
    return serializers.DateTimeField(read_only=True, default_timezone=UTC, **kwargs)


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    name = serializers.CharField(help_text="The country's name (English).")
    region = serializers.CharField(source="region_id", help_text="ITU-D region (code).")
    region_name = serializers.CharField(source="region.name", help_text="The region's name (English).")


class EntityBriefSerializer(serializers.ModelSerializer):
    country = CountrySerializer(read_only=True)
    stakeholder_type_name = serializers.SerializerMethodField()
    verified = serializers.SerializerMethodField()

    class Meta:
        model = Entity
        fields = ["id", "name", "acronym", "stakeholder_type", "stakeholder_type_name", "country", "verified"]

    def get_stakeholder_type_name(self, entity: Entity) -> str:
        with translation.override("en"):
            return str(StakeholderType(entity.stakeholder_type).label)

    def get_verified(self, entity: Entity) -> bool:
        """Whether the Secretariat verified that the entity is who its name says."""
        return entity.verification == Entity.Verification.VERIFIED


class ReportBriefSerializer(serializers.ModelSerializer):
    cycle: serializers.SlugRelatedField[ReportingCycle] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Report
        fields = ["id", "cycle"]


class EntitySerializer(EntityBriefSerializer):
    reports = ReportBriefSerializer(many=True, read_only=True, source="published")

    class Meta(EntityBriefSerializer.Meta):
        fields = [*EntityBriefSerializer.Meta.fields, "website", "reports"]


class CycleSerializer(serializers.ModelSerializer):
    opens_at = utc_datetime()
    deadline = utc_datetime()
    published_reports = serializers.IntegerField(read_only=True, help_text="Published reports in the cycle.")
    data_download = serializers.SerializerMethodField()

    class Meta:
        model = ReportingCycle
        fields = ["slug", "name", "opens_at", "deadline", "published_reports", "data_download"]

    def get_data_download(self, cycle: ReportingCycle) -> str:
        """The cycle's bulk download (CSV, JSON and XLSX in one ZIP)."""
        return absolute(self, f"/data/{cycle.slug}/{archive_name(cycle.slug)}")


class FacilitatorSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.acronym")
    agency_name = serializers.CharField(source="agency.name")

    class Meta:
        model = Facilitator
        fields = ["agency", "agency_name", "role"]


class ActionLineSerializer(serializers.ModelSerializer):
    # A declared field named like Field.parent: DRF's metaclass takes it out of the class.
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[assignment,var-annotated]
    titles = serializers.SerializerMethodField()
    facilitators = FacilitatorSerializer(many=True, read_only=True)

    class Meta:
        model = ActionLine
        fields = ["code", "number", "title", "short_title", "titles", "parent", "facilitators"]

    @extend_schema_field(
        {"type": "object", "additionalProperties": {"type": "string"}, "example": {"en": "…", "fr": "…"}}
    )
    def get_titles(self, line: ActionLine) -> dict[str, str]:
        """The official title in each language of the portal."""
        titles = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                titles[code] = line.display_title
        return titles


class ProgressSerializer(serializers.ModelSerializer):
    action_line = serializers.CharField(source="action_line.code")
    action_line_title = serializers.CharField(source="action_line.title")

    class Meta:
        model = ActionLineProgress
        fields = [
            "action_line",
            "action_line_title",
            "not_applicable",
            "achievements",
            "challenges",
            "future_priorities",
        ]


class SuccessStorySerializer(serializers.ModelSerializer):
    action_line = serializers.CharField(source="action_line.code")

    class Meta:
        model = SuccessStory
        fields = ["id", "action_line", "title", "description", "url", "year"]


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = KeyIndicator
        fields = ["indicator", "value", "unit", "year", "source", "note"]


class ReportListSerializer(serializers.ModelSerializer):
    cycle: serializers.SlugRelatedField[ReportingCycle] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    entity = EntityBriefSerializer(read_only=True)
    submitted_at = utc_datetime()
    published_at = utc_datetime(allow_null=True)
    action_lines = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "url",
            "html_url",
            "cycle",
            "entity",
            "language",
            "submitted_at",
            "published_at",
            "lines_covered",
            "action_lines",
        ]

    def get_action_lines(self, report: Report) -> list[str]:
        """The Action Lines the report addresses (codes)."""
        return [p.action_line.code for p in report.progress.all() if p.addressed]

    def get_url(self, report: Report) -> str:
        return absolute(self, f"/api/v1/reports/{report.pk}/")

    def get_html_url(self, report: Report) -> str:
        """The report's public page."""
        return absolute(self, REPORT_PAGE.format(id=report.pk))


class SectionsSerializer(serializers.Serializer):
    executive_summary = serializers.CharField(help_text="I. Executive Summary")
    digital_strategy = serializers.CharField(help_text="III.1 Digital Strategy/Policy")
    strategic_documents = serializers.CharField(help_text="III.2 Strategic Documents/Plans")
    wsis_mandates = serializers.CharField(help_text="III.3 Implementation of WSIS Mandates")
    indicators_narrative = serializers.CharField(help_text="IV. Key Indicators of Progress")
    challenges_gaps = serializers.CharField(help_text="V. Challenges and Gaps")
    future_vision = serializers.CharField(
        help_text="VI. Future Directions, Areas for Collaboration and Vision Beyond 2025"
    )


class ReportDetailSerializer(ReportListSerializer):
    sections = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    success_stories = SuccessStorySerializer(many=True, read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta(ReportListSerializer.Meta):
        fields = [*ReportListSerializer.Meta.fields, "sections", "progress", "success_stories", "indicators"]

    @extend_schema_field(SectionsSerializer)
    def get_sections(self, report: Report) -> dict[str, Any]:
        """The narrative sections of Annex 1."""
        return SectionsSerializer(report).data

    @extend_schema_field(ProgressSerializer(many=True))
    def get_progress(self, report: Report) -> list[dict[str, Any]]:
        """Section II: the Action Lines the report addresses or marks not applicable."""
        rows = [p for p in report.progress.all() if p.addressed or p.not_applicable]
        return list(ProgressSerializer(rows, many=True).data)

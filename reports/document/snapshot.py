"""A report as one plain, JSON-serialisable document.

The same document is what a ``Submission`` stores (an immutable snapshot), what the
preview and the PDF render, and what the compiled reports and the snapshot diff read.
Building it from rows is the only place that knows how the rows map to the template.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import translation

from action_lines.models import ActionLine

from ..annex import CONTACT_FIELDS, INDICATOR_COLUMNS, NARRATIVE_FIELDS
from ..models import ActionLineProgress, Entity, FollowUpContact, KeyIndicator, Report, SuccessStory

SNAPSHOT_FORMAT = 1


def _entity_part(entity: Entity) -> dict[str, Any]:
    # The snapshot is a record, not a page: its labels are in the portal's language whatever the
    # language of the person who submitted (a French stakeholder's report is still "Government").
    with translation.override(settings.LANGUAGE_CODE):
        stakeholder_type_label = str(entity.get_stakeholder_type_display())
    return {
        "id": entity.pk,
        "name": entity.name,
        "acronym": entity.acronym,
        "stakeholder_type": entity.stakeholder_type,
        "stakeholder_type_label": stakeholder_type_label,
        "country": entity.country_id,
        "country_name": entity.country.name,
        "region": entity.country.region_id,
        "region_name": entity.country.region.name,
        "website": entity.website,
    }


def document_build(
    *,
    report: Report,
    action_lines: Iterable[ActionLine],
    progress: Iterable[ActionLineProgress],
    stories: Iterable[SuccessStory],
    indicators: Iterable[KeyIndicator],
    contact: FollowUpContact | None,
) -> dict[str, Any]:
    """Assemble the document from already-fetched objects (no queries of its own beyond
    ``report.entity.country.region`` and ``report.cycle``, which callers select_related)."""
    progress_by_line = {p.action_line_id: p for p in progress}
    stories_by_line: dict[int, list[SuccessStory]] = defaultdict(list)
    for story in stories:
        stories_by_line[story.action_line_id].append(story)

    lines = []
    for line in action_lines:
        row = progress_by_line.get(line.pk)
        lines.append(
            {
                "code": line.code,
                "achievements": row.achievements if row else "",
                "challenges": row.challenges if row else "",
                "future_priorities": row.future_priorities if row else "",
                "not_applicable": bool(row and row.not_applicable),
                "success_stories": [
                    {"title": s.title, "description": s.description, "url": s.url, "year": s.year}
                    for s in sorted(stories_by_line.get(line.pk, ()), key=lambda s: (s.order, s.pk or 0))
                ],
            }
        )
    return {
        "format": SNAPSHOT_FORMAT,
        "report_id": report.pk,
        "entity": _entity_part(report.entity),
        "cycle": {"slug": report.cycle.slug, "name": report.cycle.name},
        "language": report.language,
        "narrative": {name: getattr(report, name) for name in NARRATIVE_FIELDS},
        "action_lines": lines,
        "indicators": [
            {name: getattr(i, name) for name, _label in INDICATOR_COLUMNS}
            for i in sorted(indicators, key=lambda i: (i.order, i.pk or 0))
        ],
        "contact": {name: getattr(contact, name) if contact else "" for name, _label in CONTACT_FIELDS},
    }


def document_for_report(report: Report) -> dict[str, Any]:
    """The live document of a report, read from the database in a fixed number of queries."""
    report = Report.objects.select_related("entity__country__region", "cycle").get(pk=report.pk)
    return document_build(
        report=report,
        action_lines=ActionLine.objects.in_template_order(),
        progress=ActionLineProgress.objects.filter(report=report),
        stories=SuccessStory.objects.filter(report=report),
        indicators=KeyIndicator.objects.filter(report=report),
        contact=FollowUpContact.objects.filter(report=report).first(),
    )

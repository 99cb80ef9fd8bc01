"""What is public: published reports only. Every public page, search, API view, sitemap and
download starts from here, so nothing unpublished can leak through one of them."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Report


def published_reports() -> QuerySet[Report]:
    """Reports the Secretariat has published, with what every public listing shows."""
    return Report.objects.filter(status=Report.Status.PUBLISHED).select_related(
        "entity", "entity__country", "entity__country__region", "cycle"
    )

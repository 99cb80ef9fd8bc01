"""The read-only open-data API under /api/v1/ (Django REST framework; why: docs/decisions/0012).

Every report queryset starts from ``published.published_reports()``: a draft, a submission under
review or a report withdrawn from publication answers 404 here as anywhere public. Lists take a
fixed number of queries whatever their length (related rows are joined or prefetched).

Answers carry ``Last-Modified`` (when the published data last changed) and an ``ETag``; a client
that sends them back gets ``304 Not Modified``, without a query while that state is cached. The
answers' data is kept in the shared cache under the ETag (``API_CACHE_SECONDS``), so the same
address asked again by anyone is not serialized again until something is published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.decorators import method_decorator
from django.views.decorators.http import condition
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from action_lines.models import ActionLine, Facilitator

from ..models import ActionLineProgress, Entity, Report, ReportingCycle, SuccessStory
from ..opendata import PublishedState, published_state, with_published_at
from ..published import public_stamp, published_reports
from . import filters, serializers

# --- Conditional answers ------------------------------------------------------------------------


def _state(request: HttpRequest) -> PublishedState:
    """The published data's state, once per request (Last-Modified, ETag, cache key), kept in the
    shared cache under the public pages' stamp: publishing or withdrawing a report forgets that
    stamp (``published.public_stamp_forget``), so the next request reads the state afresh; any
    other change is seen within API_STATE_SECONDS."""
    if not hasattr(request, "published_state"):
        key = f"api:v1:state:{public_stamp().value}"
        state = cache.get(key)
        if not isinstance(state, PublishedState):
            state = published_state()
            cache.set(key, state, settings.API_STATE_SECONDS)
        request.published_state = state  # type: ignore[attr-defined]
    return request.published_state  # type: ignore[attr-defined]


def _last_modified(request: HttpRequest, *args: Any, **kwargs: Any) -> datetime | None:
    return _state(request).last_modified


def _etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """The data's state, the address (filters, page) and the format asked for."""
    seed = "|".join([_state(request).fingerprint, request.get_full_path(), request.headers.get("Accept", "")])
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


conditional = method_decorator(condition(etag_func=_etag, last_modified_func=_last_modified))


class PublicReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """GET (and HEAD, OPTIONS) only; answers may be kept by caches for a minute and vary by format."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Accept"])
        if response.status_code in {200, 304}:
            patch_cache_control(response, public=True, max_age=60)
        return response

    @conditional
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._cached(
            request, lambda: super(PublicReadOnlyViewSet, self).list(request, *args, **kwargs)
        )

    @conditional
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._cached(
            request, lambda: super(PublicReadOnlyViewSet, self).retrieve(request, *args, **kwargs)
        )

    def _cached(self, request: Request, answer: Callable[[], Response]) -> Response:
        """The answer's data from the shared cache, keyed on the ETag: it names the published
        data's state, so a publication makes a new key and the old entries simply expire."""
        key = f"api:v1:{_etag(request)}"
        data = cache.get(key)
        if data is not None:
            return Response(data)
        response = answer()
        if response.status_code == 200:
            cache.set(key, response.data, settings.API_CACHE_SECONDS)
        return response


# --- The endpoints ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Published reports",
        description="The published reports of every cycle, newest submission first, with filters.",
    ),
    retrieve=extend_schema(
        summary="One published report",
        description="The whole report: narrative sections, Action Lines (achievements, challenges, "
        "priorities or not applicable), success stories and indicators. 404 unless it is published.",
    ),
)
class ReportViewSet(PublicReadOnlyViewSet):
    filterset_class = filters.ReportFilter

    def get_queryset(self) -> QuerySet[Report]:
        reports = with_published_at(published_reports()).order_by("-submitted_at", "-pk")
        if self.action == "retrieve":
            return reports.prefetch_related(
                Prefetch(
                    "progress",
                    ActionLineProgress.objects.filter(Q(addressed=True) | Q(not_applicable=True))
                    .select_related("action_line")
                    .order_by("action_line__order"),
                ),
                Prefetch(
                    "success_stories",
                    SuccessStory.objects.select_related("action_line").order_by(
                        "action_line__order", "order", "pk"
                    ),
                ),
                "indicators",
            )
        return reports.prefetch_related(
            Prefetch(
                "progress",
                ActionLineProgress.objects.filter(addressed=True)
                .select_related("action_line")
                .order_by("action_line__order"),
            )
        )

    def get_serializer_class(self) -> type[serializers.ReportListSerializer]:
        if self.action == "retrieve":
            return serializers.ReportDetailSerializer
        return serializers.ReportListSerializer


@extend_schema_view(
    list=extend_schema(summary="Entities with published reports"),
    retrieve=extend_schema(summary="One entity with its published reports"),
)
class EntityViewSet(PublicReadOnlyViewSet):
    serializer_class = serializers.EntitySerializer
    filterset_class = filters.EntityFilter

    def get_queryset(self) -> QuerySet[Entity]:
        published = published_reports()
        return (
            Entity.objects.filter(Exists(published.filter(entity=OuterRef("pk"))))
            .select_related("country__region")
            .prefetch_related(
                Prefetch(
                    "reports",
                    published.select_related("cycle").order_by("-cycle__opens_at"),
                    to_attr="published",
                )
            )
            .order_by("name", "pk")
        )


@extend_schema_view(
    list=extend_schema(
        summary="WSIS Action Lines", description="C1 … C11 and C7's sub-lines, in template order."
    ),
    retrieve=extend_schema(summary="One Action Line, by its code"),
)
class ActionLineViewSet(PublicReadOnlyViewSet):
    serializer_class = serializers.ActionLineSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9.]+"
    pagination_class = None  # nineteen rows of reference data

    def get_queryset(self) -> QuerySet[ActionLine]:
        return (
            ActionLine.objects.select_related("parent")
            .prefetch_related(
                Prefetch("facilitators", Facilitator.objects.select_related("agency").order_by("order"))
            )
            .order_by("order")
        )


@extend_schema_view(
    list=extend_schema(summary="Reporting cycles", description="Cycles that have opened, newest first."),
    retrieve=extend_schema(summary="One reporting cycle, by its slug"),
)
class CycleViewSet(PublicReadOnlyViewSet):
    serializer_class = serializers.CycleSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self) -> QuerySet[ReportingCycle]:
        return (
            ReportingCycle.objects.filter(opens_at__lte=timezone.now())
            .annotate(published_reports=Count("reports", filter=Q(reports__status=Report.Status.PUBLISHED)))
            .order_by("-opens_at")
        )

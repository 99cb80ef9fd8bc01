"""Reads: the queries the views, admin, tasks and commands share."""

from __future__ import annotations

from django.utils import timezone

from .models import ReportingCycle


def cycle_current(*, at=None) -> ReportingCycle | None:
    """The cycle stakeholders report in now: the most recently opened one."""
    now = at or timezone.now()
    return ReportingCycle.objects.filter(opens_at__lte=now).order_by("-opens_at").first()

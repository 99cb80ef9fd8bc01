"""The security audit log: one call records who did what, from where, to which object.

``record`` writes a ``SecurityEvent`` row and the same event as a JSON log line (logger
``wsis_portal.security``). Model history — which fields of an entity, membership or invitation changed —
is django-auditlog's (registered in ``reports/apps.py``); this table holds the events that are not a
change to a row. Never pass passwords, tokens, links carrying tokens or report text in ``detail``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from allauth.account.adapter import get_adapter
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models

from .models import SecurityEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.http import HttpRequest

logger = logging.getLogger("wsis_portal.security")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the login limits see it (``ALLAUTH_TRUSTED_PROXY_COUNT`` hops trusted)."""
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None


def record(
    request: HttpRequest | None,
    kind: SecurityEvent.Kind,
    *,
    obj: models.Model | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    email: str = "",
    **detail: Any,
) -> SecurityEvent:
    """Record one event. ``actor`` defaults to the request's user; ``email`` names an address typed
    by someone not logged in (a failed login)."""
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    user = actor if isinstance(actor, User) else None
    event = SecurityEvent.objects.create(
        kind=kind,
        actor=user,
        actor_email=(email or getattr(user, "email", "") or "")[:254],
        client_ip=client_ip(request) if request is not None else None,
        object_type=(obj._meta.model_name or "") if obj is not None else "",  # noqa: SLF001 (Django's public Options API)
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        path=request.path[:300] if request is not None else "",
        detail=detail,
    )
    logger.info(
        "security event",
        extra={
            "event": event.kind,
            "actor_id": event.actor_id,
            "actor_email": event.actor_email,
            "client_ip": event.client_ip,
            "object": f"{event.object_type}:{event.object_id}" if event.object_type else "",
            "path": event.path,
        },
    )
    return event

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
from auditlog.middleware import AuditlogMiddleware as _AuditlogMiddleware
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
    object_type: str = "",
    object_id: str | int = "",
    **detail: Any,
) -> SecurityEvent:
    """Record one event. ``actor`` defaults to the request's user; ``email`` names an address typed
    by someone not logged in (a failed login). ``object_type`` and ``object_id`` name an object
    without loading it (the id someone asked for and was refused); ``obj`` takes precedence."""
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    user = actor if isinstance(actor, User) else None
    event = SecurityEvent.objects.create(
        kind=kind,
        actor=user,
        actor_email=(email or getattr(user, "email", "") or "")[:254],
        client_ip=client_ip(request) if request is not None else None,
        object_type=(obj._meta.model_name or "") if obj is not None else object_type[:40],  # noqa: SLF001 (Django's public Options API)
        object_id=str(obj.pk) if obj is not None else str(object_id)[:40],
        object_repr=str(obj)[:300] if obj is not None else "",
        path=request.path[:300] if request is not None else "",
        detail=detail,
    )
    logger.info(
        "security event %s",
        event.kind,
        extra={
            "event": event.kind,
            "actor_id": event.actor_id,
            "actor_email": event.actor_email,
            "client_ip": event.client_ip,
            "object": f"{event.object_type}:{event.object_id}" if event.object_type else "",
            "path": event.path,
            "detail": event.detail,
        },
    )
    return event


class AuditlogMiddleware(_AuditlogMiddleware):
    """django-auditlog's middleware (the actor and client address of each model change), with the
    client address taken as the login limits take it (``client_ip``: ``ALLAUTH_TRUSTED_PROXY_COUNT``
    hops of X-Forwarded-For trusted) instead of the header's first, client-chosen, value; and a
    request refused with ``PermissionDenied`` (a staff member outside the Secretariat opening a
    report page) recorded as denied access."""

    def get_extra_data(self, request: HttpRequest) -> dict[str, Any]:
        data = super().get_extra_data(request)
        data["remote_addr"] = client_ip(request)
        data["remote_port"] = None  # X-Forwarded-Port is as client-chosen as the first address
        return data

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied):
            record(request, SecurityEvent.Kind.ACCESS_DENIED, method=request.method)

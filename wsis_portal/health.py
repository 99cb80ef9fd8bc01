"""``/healthz``: can the portal reach its database, its broker and its cache?

The answer names states, never exceptions (it is public); what failed is logged. The cache is
reported but does not make the portal unhealthy: pages answer without it (see settings)."""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)
UNAVAILABLE = "unavailable"


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means unhealthy
        logger.exception("health check: the database is unavailable")
        return False, UNAVAILABLE
    return True, "ok"


def check_broker() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "not used: tasks run inline"
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:  # kombu raises various OperationalError flavours
        logger.exception("health check: the broker is unavailable")
        return False, UNAVAILABLE
    return True, "ok"


def check_cache() -> str:
    """A value written and read back; a Redis cache that is down reads as empty (no error)."""
    key, value = "healthz:probe", secrets.token_hex(8)
    try:
        cache.set(key, value, timeout=10)
        ok = cache.get(key) == value
    except Exception:
        ok = False
    if not ok:
        logger.warning("health check: the cache is unavailable (pages answer without it)")
    return "ok" if ok else UNAVAILABLE


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_state = check_database()
    broker_ok, broker_state = check_broker()
    healthy = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else UNAVAILABLE,
            "database": db_state,
            "broker": broker_state,
            "cache": check_cache(),
        },
        status=200 if healthy else 503,
    )

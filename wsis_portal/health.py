"""``/healthz``: is the database reachable, is the broker reachable?"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means unhealthy
        return False, f"error: {exc.__class__.__name__}"
    return True, "ok"


def check_broker() -> tuple[bool, str]:
    if not settings.CELERY_BROKER_URL:
        return True, "not configured: tasks run inline"
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises various OperationalError flavours
        return False, f"error: {exc.__class__.__name__}"
    return True, "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_state = check_database()
    broker_ok, broker_state = check_broker()
    healthy = db_ok and broker_ok
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "database": db_state, "broker": broker_state},
        status=200 if healthy else 503,
    )

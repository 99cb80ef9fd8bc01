"""`/healthz` tells a load balancer whether the database and the broker answer."""

import pytest
from django.db import connection

from tests.services import free_port

pytestmark = pytest.mark.django_db


def test_healthy_when_tasks_run_inline(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "not used: tasks run inline",
        "cache": "ok",
    }


def test_healthy_with_the_embedded_filesystem_broker(client, settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "filesystem://localhost/"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


@pytest.mark.redis
def test_healthy_with_a_real_redis_broker(client, settings, redis_url):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


def test_unavailable_when_the_broker_does_not_answer(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    # Public: it says what is down, never which exception (that goes to the log).
    assert body["broker"] == "unavailable"
    assert "Error" not in response.content.decode()


@pytest.mark.postgres
def test_the_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"

"""A task travels through a real Redis broker to a real `celery worker` process and back."""

import pytest
from celery import Celery

from tests.workers import CeleryWorker
from wsis_portal.celery import app

pytestmark = [pytest.mark.redis, pytest.mark.integration]


def test_a_task_round_trips_through_redis_and_a_worker_process(redis_url):
    worker = CeleryWorker(broker_url=redis_url)
    worker.start()
    try:
        client = Celery("probe", broker=redis_url, backend=redis_url)
        result = client.send_task("wsis_portal.ping", args=["hello from the test"])
        assert result.get(timeout=30) == "hello from the test"
        assert "wsis_portal.ping" in worker.log()
    finally:
        worker.stop()


def test_the_worker_runs_with_late_acks_and_time_limits():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_time_limit > app.conf.task_soft_time_limit > 0
    assert app.conf.worker_prefetch_multiplier == 1

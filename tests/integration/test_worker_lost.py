"""A worker's pool process killed in the middle of a task (as the out-of-memory killer does) has
that task run again by another process within minutes — not after the broker's visibility timeout
(an hour) and without waiting for the sweeper (no beat runs here) — and the secretariat still gets
exactly one e-mail. Also: every task is routed to its queue, and the visibility timeout is set with
the time limits (above every task's hard limit)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from django.conf import settings

from reports import services
from reports.models import Delivery
from tests.integration.test_pipeline import (
    SECRETARIAT,
    module_worker,
    settled,
    submitted_report,
    wait_for,
)
from tests.test_settings import run_python, settings_values
from wsis_portal.celery import LEGACY_QUEUE, QUEUES, TASK_ROUTES, app

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

K = Delivery.Kind
St = Delivery.Status


def pool_children(pid: int) -> list[int]:
    """The worker's pool processes (the main process's children), from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(child) for child in children)
    return found


@pytest.fixture(scope="module")
def lost_worker(request, django_db_setup, django_db_blocker, smtp_server):
    return module_worker(request, django_db_blocker, smtp_server, redis_db=9)


def test_a_pool_process_killed_mid_render_has_its_task_run_again_within_minutes(
    lost_worker, celery_broker, mailbox, reference_data, fill_report
):
    worker = lost_worker["worker"]
    celery_broker(lost_worker["broker"])
    # Long answers: the render takes long enough to be caught in the middle.
    report, owner = submitted_report(fill_report, text="Twenty years of progress in every district. " * 60)
    submission = services.report_submit(report=report, user=owner)
    render = Delivery.objects.get(submission=submission, kind=K.RENDER_PDF)

    def running() -> bool:
        render.refresh_from_db()
        return render.status == St.RUNNING

    deadline = time.monotonic() + 60
    while not running():
        assert time.monotonic() < deadline, f"the render never started\n{worker.log()[-3000:]}"
        time.sleep(0.02)
    [child] = pool_children(worker.process.pid)  # concurrency 1: the one doing the render
    os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()
    render.refresh_from_db()
    assert render.status == St.RUNNING  # killed before it finished
    assert not render.finished_at

    wait_for(lambda: settled(submission=submission), timeout=240, what="the render run again", worker=worker)
    recovered_after = time.monotonic() - killed_at
    log = worker.log()
    assert "WorkerLostError" in log or "signal 9" in log, log[-3000:]
    render.refresh_from_db()
    assert render.status == St.DONE
    assert render.attempts == 2  # the killed run and the one that finished
    assert recovered_after < 180, recovered_after
    submission.refresh_from_db()
    assert submission.pdf_pages
    [message] = mailbox.to(SECRETARIAT)  # exactly one, with the PDF
    assert message.attachments[0][1] == "application/pdf"
    assert worker.process.poll() is None  # the worker itself lived on, with a new pool process


def test_every_task_has_its_queue_and_finishes_before_the_visibility_timeout():
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"reports.render_pdf", "reports.send_email", "reports.compile_reports"} <= set(tasks)
    assert [q.name for q in app.conf.task_queues] == [*QUEUES, LEGACY_QUEUE]
    assert app.conf.task_default_queue == "default"
    for name, task in tasks.items():
        queue = app.amqp.router.route({}, name)["queue"].name
        assert queue == TASK_ROUTES.get(name, {}).get("queue", "default"), name
        hard_limit = task.time_limit or app.conf.task_time_limit
        assert hard_limit, f"{name} has no hard time limit"
        assert hard_limit < settings.CELERY_VISIBILITY_TIMEOUT, name
    for name in TASK_ROUTES:  # the work a dying process may leave half done is handed back
        assert tasks[name].acks_late, name
        assert tasks[name].reject_on_worker_lost, name


def test_a_visibility_timeout_shorter_than_a_time_limit_is_refused(tmp_path):
    redis_env = {"CELERY_BROKER_URL": "redis://redis.example.org:6379/0"}
    expr = "s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout']"
    [timeout] = settings_values(redis_env, tmp_path, expr)
    assert int(timeout) == settings.CELERY_VISIBILITY_TIMEOUT
    short = run_python(
        "import django; django.setup()", {**redis_env, "CELERY_VISIBILITY_TIMEOUT": "300"}, tmp_path
    )
    assert short.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT" in short.stderr

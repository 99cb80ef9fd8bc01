"""A submission travels the real way: this process commits and publishes to Redis, a `celery worker`
process renders the PDF with WeasyPrint and sends the e-mails to the loopback SMTP server.

The worker is started once for the module; its helpers are shared with ``test_faults.py``."""

from __future__ import annotations

import subprocess
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
import redis

from action_lines.models import ActionLine
from reports import annex, services, tasks
from reports.models import Delivery, Report, Submission
from tests import factories
from tests.services import REDIS, missing_service
from tests.workers import CeleryWorker, database_url_for_subprocess

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

K = Delivery.Kind
St = Delivery.Status
SECRETARIAT = "wsis-info@itu.int"
# Retries in the worker come after 0.3 s, 0.6 s, … instead of 30 s, 60 s, …
WORKER_ENV = {
    "DELIVERY_RETRY_DELAY": "0.3",
    "DELIVERY_RETRY_MAX_DELAY": "2",
    "SITE_URL": "https://reports.example.org",
}


# --- Shared with test_faults.py --------------------------------------------------------------------------


def flush(broker_url: str) -> None:
    client = redis.Redis.from_url(broker_url, socket_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError:
        pass
    finally:
        client.close()


def start_worker(broker_url: str, smtp_url: str) -> CeleryWorker:
    worker = CeleryWorker(
        broker_url=broker_url,
        env={"DATABASE_URL": database_url_for_subprocess(), "EMAIL_URL": smtp_url, **WORKER_ENV},
    )
    worker.start()
    return worker


def module_worker(request, django_db_blocker, smtp_server, redis_db: int):
    """Start a worker for a test module (skipping without PostgreSQL or Redis); stopped at its end."""
    if not REDIS.running:
        missing_service(f"needs Redis: {REDIS.error or 'not running'}")
    broker = REDIS.url(redis_db)
    flush(broker)
    with django_db_blocker.unblock():
        try:
            worker = start_worker(broker, smtp_server.url)
        except RuntimeError as exc:
            if "PostgreSQL" in str(exc):
                missing_service(f"needs PostgreSQL: {exc}")
            raise
    holder: dict[str, Any] = {"worker": worker, "broker": broker}

    def stop() -> None:
        holder["worker"].stop()
        flush(broker)

    request.addfinalizer(stop)
    return holder


def wait_for(predicate: Callable[[], Any], *, timeout: float = 60, what: str = "", worker=None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    log = worker.log()[-5000:] if worker else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{log}")


def settled(**filters: Any) -> bool:
    """Every delivery row matching ``filters`` is done or failed."""
    rows = Delivery.objects.filter(**filters)
    return rows.exists() and not rows.exclude(status__in=[St.DONE, St.FAILED]).exists()


def task_runs(worker: CeleryWorker, task: str) -> int:
    """How many runs of ``task`` the worker has finished, from its log."""
    return sum(1 for line in worker.log().splitlines() if f"Task {task}[" in line and " succeeded " in line)


def submitted_report(fill_report, *, text: str = "Twenty years of progress") -> tuple[Report, Any]:
    """An entity with an owner and an editor, and its report filled in (not yet submitted)."""
    report = factories.ReportFactory.create()
    owner = factories.MembershipFactory.create(entity=report.entity, user__email="owner@example.org").user
    factories.MembershipFactory.create(entity=report.entity, role="editor", user__email="editor@example.org")
    fill_report(report, text=text)
    return report, owner


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode()


# --- Fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pipeline(request, django_db_setup, django_db_blocker, smtp_server):
    return module_worker(request, django_db_blocker, smtp_server, redis_db=5)


@pytest.fixture
def worker(pipeline, celery_broker, mailbox, reference_data):
    celery_broker(pipeline["broker"])
    return pipeline["worker"]


# --- Tests ------------------------------------------------------------------------------------------------


def test_submit_sends_the_secretariat_one_email_with_the_pdf_and_the_submitter_a_receipt(
    worker, mailbox, fill_report
):
    report, owner = submitted_report(fill_report)
    submission = services.report_submit(report=report, user=owner)
    wait_for(lambda: settled(submission=submission), what="the PDF and both e-mails", worker=worker)

    # Each row done at its first attempt: a duplicate message finds it done and sends nothing.
    assert {(row.status, row.attempts) for row in Delivery.objects.filter(submission=submission)} == {
        (St.DONE, 1)
    }
    [message] = mailbox.to(SECRETARIAT)
    assert report.entity.name in message.subject
    assert f"https://reports.example.org/admin/reports/report/{report.pk}/change/" in message.text
    [(filename, mimetype, data)] = message.attachments
    assert mimetype == "application/pdf"
    assert filename.endswith("-1.pdf")

    pages = pdf_text(data).split("\f")
    assert report.entity.name in pages[0]
    body = " ".join(unicodedata.normalize("NFKC", "\f".join(pages[2:])).split())  # after cover + contents
    positions = [body.index(str(section.heading)) for section in annex.SECTIONS]
    assert positions == sorted(positions)
    lines = [body.index(line.label) for line in ActionLine.objects.in_template_order()]
    assert lines == sorted(lines)

    [receipt] = mailbox.to("owner@example.org")
    assert receipt.attachments[0][2] == data  # the same PDF
    assert "editor@example.org" not in receipt.envelope_to
    assert len(mailbox.messages) == 2
    submission.refresh_from_db()
    assert submission.pdf
    assert submission.pdf_pages == len(pages) - 1


def test_the_same_tasks_run_again_and_again_still_send_one_email(worker, mailbox, fill_report):
    report, owner = submitted_report(fill_report)
    submission = services.report_submit(report=report, user=owner)
    render = Delivery.objects.get(submission=submission, kind=K.RENDER_PDF)
    secretariat = Delivery.objects.get(submission=submission, kind=K.SECRETARIAT_EMAIL)
    # Duplicates while the PDF is being rendered: the render is claimed once, the e-mail waits.
    for _ in range(2):
        tasks.render_pdf.delay(render.pk)
        tasks.send_email.delay(secretariat.pk)
    wait_for(lambda: settled(submission=submission), what="delivery", worker=worker)
    # And again after everything is done, as a redelivered message or the sweeper would.
    before = task_runs(worker, "reports.send_email")
    for _ in range(3):
        tasks.send_email.delay(secretariat.pk)
    wait_for(lambda: task_runs(worker, "reports.send_email") >= before + 3, what="3 more runs", worker=worker)

    assert len(mailbox.to(SECRETARIAT)) == 1
    assert Delivery.objects.get(pk=secretariat.pk).attempts == 1
    assert Submission.objects.get(pk=submission.pk).pdf_pages


def test_changes_requested_reach_every_member_through_the_worker(worker, mailbox):
    report = factories.ReportFactory.create(
        status=Report.Status.SUBMITTED, submitted_at="2025-05-20T10:00:00Z"
    )
    factories.MembershipFactory.create(entity=report.entity, user__email="owner@example.org")
    factories.MembershipFactory.create(entity=report.entity, role="editor", user__email="editor@example.org")
    staff = factories.UserFactory.create(is_staff=True)
    services.report_request_changes(report=report, actor=staff, message="Add the sources of the indicators.")
    wait_for(lambda: settled(report=report), what="the notice", worker=worker)
    [notice] = mailbox.messages
    assert sorted(notice.envelope_to) == ["editor@example.org", "owner@example.org"]
    assert "Add the sources of the indicators." in notice.text
    assert f"https://reports.example.org/reports/{report.pk}/" in notice.text

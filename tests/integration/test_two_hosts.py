"""Two hosts: two `celery worker` processes, each with its own VAR_DIR and MEDIA_ROOT (as on two
machines), sharing only PostgreSQL, Redis and an S3-compatible server (moto's server mode on
loopback; tests/s3.py). Reports submitted here are rendered and e-mailed by both; a compilation
built by one of them reads PDFs the other rendered, from the bucket, and is downloaded here —
no file ever lands on either worker's disk."""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports import services
from reports.compilation import build as compilation
from reports.models import Compilation, Delivery, Submission
from tests import factories
from tests.accounts import staff_client
from tests.integration.test_pipeline import (
    SECRETARIAT,
    WORKER_ENV,
    flush,
    settled,
    submitted_report,
    wait_for,
)
from tests.services import REDIS, missing_service
from tests.workers import CeleryWorker, database_url_for_subprocess

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

REPORTS = 4


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def task_runs(worker: CeleryWorker, task: str) -> int:
    return len(re.findall(rf"Task {re.escape(task)}\[[^\]]+\] succeeded", worker.log()))


@pytest.fixture
def two_hosts(django_db_blocker, smtp_server, s3_storage):
    if not REDIS.running:
        missing_service(f"needs Redis: {REDIS.error or 'not running'}")
    broker = REDIS.url(10)
    flush(broker)
    hosts: list[tuple[CeleryWorker, Path]] = []
    try:
        with django_db_blocker.unblock():
            try:
                database = database_url_for_subprocess()
            except RuntimeError as exc:
                missing_service(f"needs PostgreSQL: {exc}")
            for name in ("host-a", "host-b"):
                var_dir = Path(tempfile.mkdtemp(prefix=f"wsis-{name}-"))
                env = {
                    "DATABASE_URL": database,
                    "EMAIL_URL": smtp_server.url,
                    "VAR_DIR": str(var_dir),
                    "MEDIA_ROOT": str(var_dir / "media"),
                    **WORKER_ENV,
                    **s3_storage.env,
                }
                worker = CeleryWorker(broker_url=broker, env=env)
                hosts.append((worker, var_dir))
                worker.start()
        yield broker, hosts
    finally:
        for worker, _var_dir in hosts:
            worker.stop()
        flush(broker)


def test_two_workers_sharing_only_database_broker_and_bucket_deliver_and_compile(
    two_hosts, s3_storage, celery_broker, mailbox, reference_data, fill_report, client
):
    broker, hosts = two_hosts
    celery_broker(broker)
    cycle = factories.CycleFactory.create(slug="wsis20-two-hosts")
    submissions = []
    for n in range(REPORTS):
        report, owner = submitted_report(fill_report, text=f"Progress of reporting entity {n}")
        report.cycle = cycle
        report.save()
        report.entity.name = f"Entity {n} of the two-host test"
        report.entity.save()
        submissions.append(services.report_submit(report=report, user=owner))

    def delivered(sub: Submission) -> bool:
        return settled(submission=sub)

    for sub in submissions:
        wait_for(
            functools.partial(delivered, sub),
            timeout=180,
            what=f"delivery of {sub}",
            worker=hosts[0][0],
        )
    stored = s3_storage.stored()
    for sub in Submission.objects.filter(pk__in=[s.pk for s in submissions]):
        assert sub.pdf.name in stored
        assert Delivery.objects.filter(submission=sub).exclude(status=Delivery.Status.DONE).count() == 0
    # Each secretariat e-mail once, with its PDF; both hosts did part of the rendering.
    received = mailbox.to(SECRETARIAT)
    assert len(received) == REPORTS
    assert sorted(m.subject for m in received) == sorted(set(m.subject for m in received))
    assert all(m.attachments[0][1] == "application/pdf" for m in received)
    renders = [task_runs(worker, "reports.render_pdf") for worker, _ in hosts]
    assert sum(renders) == REPORTS
    assert min(renders) >= 1, renders

    staff = factories.UserFactory.create(is_staff=True, is_superuser=True, email="compiler@example.org")
    job = compilation.compilation_request(
        user=staff, selection=compilation.Selection(cycle=cycle.slug, layout="full")
    )
    wait_for(
        lambda: (
            Compilation.objects.get(pk=job.pk).status in {Compilation.Status.DONE, Compilation.Status.FAILED}
        ),
        timeout=180,
        what="the compilation",
        worker=hosts[1][0],
    )
    job.refresh_from_db()
    assert job.status == Compilation.Status.DONE, job.last_error
    assert job.report_count == REPORTS
    assert job.file.name in s3_storage.stored()
    assert sum(task_runs(worker, "reports.compile_reports") for worker, _ in hosts) == 1
    wait_for(lambda: mailbox.to("compiler@example.org"), what="the compilation's e-mail", worker=hosts[1][0])

    # Downloaded here (a third host, the web): streamed from the bucket, every report inside.
    download = staff_client(client, staff).get(reverse("admin:reports_compilation_download", args=[job.pk]))
    assert download.status_code == 200
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(download.getvalue())
        fh.flush()
        reader = PdfReader(fh.name)
        assert len(reader.pages) == job.page_count
        text = " ".join(page.extract_text() for page in reader.pages)
    for n in range(REPORTS):
        assert f"Entity {n} of the two-host test" in text

    # Nothing was written to either host's media folder: the bucket holds every file.
    for _worker, var_dir in hosts:
        assert files_under(var_dir / "media") == []

"""A compilation requested in admin is built by a real `celery worker` through Redis, shows its
progress, and the requester receives the link by e-mail (loopback SMTP) through a delivery row. A
compilation left running by a dead worker is swept back to the worker; a new request meanwhile
gets a job of its own."""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from reports import services, tasks
from reports.compilation import build as compilation
from reports.models import Compilation, Delivery, Submission
from tests import factories
from tests.accounts import staff_client
from tests.integration.test_pipeline import module_worker, submitted_report, task_runs, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def compile_worker(request, django_db_setup, django_db_blocker, smtp_server):
    return module_worker(request, django_db_blocker, smtp_server, redis_db=7)


def test_the_job_runs_in_the_worker_with_progress_and_emails_the_link(
    compile_worker, celery_broker, mailbox, reference_data, fill_report, client
):
    # Two submitted reports; their PDFs are rendered inline here (no broker yet)...
    cycle = factories.CycleFactory.create(slug="wsis20-job")
    subs = []
    for name in ("Alpha Ministry of ICT", "Beta Institute of Technology"):
        report, owner = submitted_report(fill_report)
        report.cycle, report.entity.name = cycle, name
        report.entity.save()
        report.save()
        subs.append(services.report_submit(report=report, user=owner))
    assert all(Submission.objects.get(pk=s.pk).pdf for s in subs)
    # ... except one, which the worker must render on the way (that takes a visible while).
    Submission.objects.filter(pk=subs[1].pk).update(pdf="", pdf_pages=None, pdf_page_map={})
    mailbox.reset()

    celery_broker(compile_worker["broker"])
    staff = factories.UserFactory.create(is_staff=True, is_superuser=True, email="compiler@example.org")
    job = compilation.compilation_request(
        user=staff, selection=compilation.Selection(cycle=cycle.slug, layout="full"), title="Test compilation"
    )
    seen: list[tuple[str, int, str]] = []

    def finished() -> bool:
        row = Compilation.objects.get(pk=job.pk)
        seen.append((row.status, row.progress, row.progress_message))
        return row.status in {Compilation.Status.DONE, Compilation.Status.FAILED}

    wait_for(finished, timeout=90, what="the compilation", worker=compile_worker["worker"])
    job.refresh_from_db()
    assert job.status == Compilation.Status.DONE, job.last_error
    running = [(p, m) for status, p, m in seen if status == Compilation.Status.RUNNING]
    assert running, f"never saw the job running: {seen[:5]}"
    # The one missing report PDF is rendered first: 5 %, with the message staff see on the job page.
    assert (5, "Rendering report PDFs not rendered yet") in running
    assert job.progress == 100
    assert job.report_count == 2
    assert job.page_count > 10

    [mail] = wait_for(
        lambda: mailbox.to("compiler@example.org"), what="the e-mail", worker=compile_worker["worker"]
    )
    row = Delivery.objects.get(compilation=job, kind=Delivery.Kind.COMPILATION_EMAIL)
    wait_for(lambda: Delivery.objects.get(pk=row.pk).status == Delivery.Status.DONE, what="the row done")
    link = f"/admin/reports/compilation/{job.pk}/download/"
    assert link in mail.text
    staff_client(client, staff)
    response = client.get(link)
    assert response.status_code == 200
    path = Path(job.file.path)
    outline = [item.title for item in PdfReader(path).outline if not isinstance(item, list)]
    assert "Test compilation" in outline
    assert "Government" in outline


def emails_done(job: Compilation) -> bool:
    rows = Delivery.objects.filter(compilation=job, kind=Delivery.Kind.COMPILATION_EMAIL)
    return rows.filter(status=Delivery.Status.DONE).exists()


def test_a_compilation_left_by_a_dead_worker_is_swept_to_the_worker_and_its_email_sent_once(
    compile_worker, celery_broker, mailbox, reference_data, fill_report
):
    cycle = factories.CycleFactory.create(slug="wsis20-stale")
    report, owner = submitted_report(fill_report)
    report.cycle = cycle
    report.save()
    services.report_submit(report=report, user=owner)  # its PDF rendered inline (no broker yet)
    mailbox.reset()
    celery_broker(compile_worker["broker"])
    worker = compile_worker["worker"]
    selection = compilation.Selection(cycle=cycle.slug, layout="full")
    staff = factories.UserFactory.create(is_staff=True, email="compiler@example.org")

    # What a worker killed mid-build leaves: the job running, claimed long before the time limit.
    subs = compilation.selection_submissions(selection)
    stale = Compilation.objects.create(
        requested_by=staff,
        cycle=cycle,
        layout=selection.layout,
        filters=selection.as_filters(),
        fingerprint=compilation.selection_fingerprint(selection, subs),
        status=Compilation.Status.RUNNING,
        attempts=1,
        started_at=timezone.now() - compilation.compilation_stale_after() - timedelta(seconds=1),
    )
    mailbox.fail_next("451 4.3.0 Try again later")  # the ready e-mail is deferred once
    assert compilation.compilations_sweep().recovered == 1  # handed to the worker
    wait_for(functools.partial(emails_done, stale), timeout=90, what=f"compilation {stale.pk}", worker=worker)
    stale.refresh_from_db()
    assert stale.status == Compilation.Status.DONE, stale.last_error
    assert stale.attempts == 2
    assert stale.file
    # Asked for again now, the same selection is the stored result, not a second build.
    again = compilation.compilation_request(user=staff, selection=selection)
    assert (again.pk, again.reused) == (stale.pk, True)

    # The tasks again, as a redelivered message would run them: nothing more is built or sent.
    before = task_runs(worker, "reports.send_email")
    row = Delivery.objects.get(compilation=stale, kind=Delivery.Kind.COMPILATION_EMAIL)
    tasks.compile_reports_task.delay(stale.pk)
    tasks.send_email.delay(row.pk)
    wait_for(lambda: task_runs(worker, "reports.send_email") >= before + 1, what="1 more run", worker=worker)
    row.refresh_from_db()
    assert row.attempts == 2  # retried once after the 451
    assert len(mailbox.to("compiler@example.org")) == 1
    assert Compilation.objects.get(pk=stale.pk).attempts == 2

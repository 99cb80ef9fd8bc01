"""A compilation requested in admin is built by a real `celery worker` through Redis, shows its
progress, and the requester receives the link by e-mail (loopback SMTP)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports import services
from reports.compilation import build as compilation
from reports.models import Compilation, Submission
from tests import factories
from tests.integration.test_pipeline import module_worker, submitted_report, wait_for

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
    cycle = factories.CycleFactory(slug="wsis20-job")
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
    staff = factories.UserFactory(is_staff=True, is_superuser=True, email="compiler@example.org")
    job = compilation.compilation_request(
        user=staff, selection=compilation.Selection(cycle=cycle.slug, layout="full"), title="Test compilation"
    )
    seen: list[tuple[str, int, str]] = []

    def finished() -> bool:
        row = Compilation.objects.get(pk=job.pk)
        seen.append((row.status, row.progress, row.progress_message))
        time.sleep(0.02)
        return row.status in {Compilation.Status.DONE, Compilation.Status.FAILED}

    wait_for(finished, timeout=90, what="the compilation", worker=compile_worker["worker"])
    job.refresh_from_db()
    assert job.status == Compilation.Status.DONE, job.last_error
    running = [(p, m) for status, p, m in seen if status == Compilation.Status.RUNNING]
    assert running, f"never saw the job running: {seen[:5]}"
    assert any(m.startswith("Rendering report PDFs") for _p, m in running) or any(
        0 < p < 100 for p, _m in running
    )
    assert job.progress == 100 and job.report_count == 2 and job.page_count > 10

    [mail] = wait_for(
        lambda: mailbox.to("compiler@example.org"), what="the e-mail", worker=compile_worker["worker"]
    )
    link = f"/admin/reports/compilation/{job.pk}/download/"
    assert link in mail.text
    client.force_login(staff)
    response = client.get(link)
    assert response.status_code == 200
    path = Path(job.file.path)
    outline = [item.title for item in PdfReader(path).outline if not isinstance(item, list)]
    assert "Test compilation" in outline and "Government" in outline

"""Text shaped like PDF syntax in every field of a report and in its entity's name, through the
real pipeline: submitted, its PDF and compilation edition rendered by a real Celery worker (Redis),
compiled by that worker as the admin asks; the compiled file passes qpdf's check and reads the
text back."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports import services
from reports.compilation import build as compilation
from reports.models import Compilation, Submission
from tests import factories
from tests.integration.test_pipeline import module_worker, submitted_report, wait_for
from tests.reports.compilation.test_book import qpdf_check
from tests.reports.compilation.test_compilation import layout_text
from tests.reports.compilation.test_hostile_content import ENTITY, NASTY, words

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def hostile_worker(request, django_db_setup, django_db_blocker, smtp_server):
    return module_worker(request, django_db_blocker, smtp_server, redis_db=8)


def test_hostile_text_goes_through_the_worker_into_a_valid_compilation(
    hostile_worker, celery_broker, reference_data, fill_report
):
    celery_broker(hostile_worker["broker"])
    worker = hostile_worker["worker"]
    cycle = factories.CycleFactory.create(slug="wsis20-hostile-job")
    report, owner = submitted_report(fill_report, text=NASTY)
    report.cycle = cycle
    report.entity.name = ENTITY
    report.entity.save()
    report.save()
    submission = services.report_submit(report=report, user=owner)

    def edition_ready() -> bool:
        page_map = Submission.objects.get(pk=submission.pk).pdf_page_map or {}
        return bool(page_map.get("edition"))

    wait_for(edition_ready, timeout=120, what="the PDF and its compilation edition", worker=worker)

    staff = factories.UserFactory.create(is_staff=True, email="compiler@example.org")
    for layout in ("action-line", "full"):
        job = compilation.compilation_request(
            user=staff, selection=compilation.Selection(cycle=cycle.slug, layout=layout)
        )

        def ended(job: Compilation = job) -> bool:
            return Compilation.objects.get(pk=job.pk).status in {
                Compilation.Status.DONE,
                Compilation.Status.FAILED,
            }

        wait_for(
            ended,
            timeout=120,
            what=f"the {layout} compilation",
            worker=worker,
        )
        job.refresh_from_db()
        assert job.status == Compilation.Status.DONE, job.last_error
        path = Path(job.file.path)
        assert qpdf_check(path) == []
        text = words("\n".join(layout_text(path)))
        assert "endobj stream endstream 12 0 obj 1 0 R trailer startxref %%EOF xref" in text
        assert "(unbalanced ((( deeply (nested (parentheses (here)))) ))) back\\slash \\) \\(" in text
        assert "<< /Type /Catalog >> <4142434445> <feff0041> [ /Kids [3 0 R] ]" in text
        assert ENTITY in text

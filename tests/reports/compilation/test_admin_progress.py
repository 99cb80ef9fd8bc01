"""The secretariat follows a running compilation in admin: its progress bar and message in the
list, which static/js/compilation-progress.js keeps up to date from the progress address."""

import pytest
from django.urls import reverse

from reports.models import Compilation
from tests import factories
from tests.accounts import staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(reference_data):
    staff = factories.UserFactory.create(is_staff=True, is_superuser=True)
    cycle = factories.CycleFactory.create(slug="wsis20-progress")
    job = Compilation.objects.create(
        requested_by=staff,
        cycle=cycle,
        status=Compilation.Status.RUNNING,
        progress=73,
        progress_message="Copying the reports' pages: 730 of 1000",
        report_count=1000,
    )
    done = Compilation.objects.create(
        requested_by=staff, cycle=cycle, status=Compilation.Status.DONE, progress=100, report_count=3
    )
    return staff, job, done


def test_the_list_shows_a_running_jobs_progress_and_the_page_follows_it(client, running):
    staff, job, done = running
    staff_client(client, staff)
    page = client.get(reverse("admin:reports_compilation_changelist")).content.decode()
    progress_url = reverse("admin:reports_compilation_progress")
    assert f'data-compilation-progress="{progress_url}" data-id="{job.pk}"' in page
    assert '<progress max="100" value="73"' in page
    assert "Copying the reports&#x27; pages: 730 of 1000" in page
    assert f'data-id="{done.pk}"' not in page  # a finished job has nothing to follow
    assert "js/compilation-progress.js" in page

    # What the page asks every few seconds, as the worker moves on.
    Compilation.objects.filter(pk=job.pk).update(
        progress=91, progress_message="Copying the reports' pages: 910 of 1000"
    )
    answer = client.get(progress_url, {"ids": f"{job.pk},{done.pk},nonsense"}).json()
    assert answer == {
        "jobs": [
            {
                "id": job.pk,
                "status": "running",
                "active": True,
                "progress": 91,
                "message": "Copying the reports' pages: 910 of 1000",
            },
            {"id": done.pk, "status": "done", "active": False, "progress": 100, "message": "Done"},
        ]
    }


def test_the_progress_is_for_staff_only(client, running):
    _staff, job, _done = running
    member = factories.UserFactory.create()
    client.force_login(member)
    response = client.get(reverse("admin:reports_compilation_progress"), {"ids": str(job.pk)})
    assert response.status_code == 302
    assert "/login/" in response["Location"]

"""Compiled reports in admin: the form, the reuse message, the selected-reports action, download rights."""

import pytest
from django.urls import reverse

from reports.compilation import build as compilation
from reports.models import Compilation, Report
from tests import factories
from tests.accounts import staff_client

pytestmark = pytest.mark.django_db


def test_the_secretariat_compiles_from_the_form_and_downloads_the_pdf(
    secretariat_client,
    corpus,
    django_capture_on_commit_callbacks,
):
    cycle, _subs = corpus
    url = reverse("admin:reports_compilation_add")
    page = secretariat_client.get(url)
    assert page.status_code == 200
    assert "By Action Line" in page.content.decode()
    data = {"cycle": cycle.pk, "layout": "full", "grouping": "region", "regions": ["africa"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = secretariat_client.post(url, data, follow=True)
    assert "queued" in response.content.decode()
    job = Compilation.objects.get()
    assert job.status == Compilation.Status.DONE
    assert job.report_count == 1
    download = secretariat_client.get(reverse("admin:reports_compilation_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # The same filters again: the stored file is reused.
    response = secretariat_client.post(url, data, follow=True)
    assert "reused" in response.content.decode()
    assert Compilation.objects.count() == 1


def test_an_empty_selection_is_refused_next_to_the_form(secretariat_client, corpus):
    cycle, _subs = corpus
    response = secretariat_client.post(
        reverse("admin:reports_compilation_add"), {"cycle": cycle.pk, "layout": "full", "regions": ["cis"]}
    )
    assert response.status_code == 200
    assert "nothing to compile" in response.content.decode()
    assert not Compilation.objects.exists()


def test_compile_the_selected_reports_from_the_list(
    secretariat_client,
    corpus,
    django_capture_on_commit_callbacks,
):
    cycle, subs = corpus
    chosen = [subs[0].report_id, subs[2].report_id]
    response = secretariat_client.post(
        reverse("admin:reports_report_changelist"), {"action": "compile_selected", "_selected_action": chosen}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?selected=1")
    form = secretariat_client.get(response["Location"])
    assert "Only the 2 reports selected in the list." in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        secretariat_client.post(response["Location"], {"cycle": cycle.pk, "layout": "action-line"})
    job = Compilation.objects.get()
    assert sorted(job.filters["report_ids"]) == sorted(chosen)
    assert job.report_count == 2


def test_people_outside_the_secretariat_cannot_download(client, corpus, django_capture_on_commit_callbacks):
    cycle, _subs = corpus
    with django_capture_on_commit_callbacks(execute=True):
        job = compilation.compilation_request(
            user=factories.UserFactory.create(is_staff=True),
            selection=compilation.Selection(cycle=cycle.slug),
        )
    url = reverse("admin:reports_compilation_download", args=[job.pk])
    assert client.get(url).status_code == 302  # anonymous: to the admin login
    staff_client(client, factories.UserFactory.create(is_staff=True))  # staff outside the group
    assert client.get(url).status_code == 403
    assert Report.objects.count() == 3

"""The Action Line pages: every line, and one line's titles, facilitators, figures, contributions
and compiled PDF of published reports."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports.compilation import build as compilation
from reports.delivery import runner
from reports.delivery.jobs import Outcome
from reports.models import Compilation, Report

from .conftest import make_report

pytestmark = pytest.mark.django_db


def test_the_list_has_every_line_with_its_published_count(client, cycle, publish):
    publish(make_report(cycle=cycle, name="A", summary="x", lines={"C7.HEALTH": "Telemedicine."}))
    body = client.get(reverse("public:action_lines")).content.decode()
    for code in ("C1", "C7", "C7.GOV", "C11"):
        assert reverse("public:action_line", args=[code]) in body
    assert "ITU" in body


def test_a_line_page_has_its_titles_facilitators_figures_and_contributions(client, cycle, publish):
    publish(
        make_report(
            cycle=cycle, name="Kenya ICT Authority", summary="x", lines={"C2": "Fibre to every county."}
        )
    )
    publish(
        make_report(
            cycle=cycle,
            name="Paris Lab",
            summary="x",
            country="FR",
            stakeholder_type="academia",
            lines={"C2": "Open research networks."},
        )
    )
    response = client.get(reverse("public:action_line", args=["C2"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>C2: Information and communication infrastructure</h1>" in body
    assert "Infrastructure de l&#x27;information et de la communication" in body
    assert 'lang="ar" dir="rtl"' in body
    assert "ITU" in body
    assert "Lead facilitator" in body
    assert "2 published reports address this line." in body
    assert 'id="chart-line-types"' in body
    assert 'id="chart-line-regions"' in body
    assert "Fibre to every county." in body
    assert "Open research networks." in body
    assert reverse("public:action_line_pdf", args=["C2", cycle.slug]) in body


def test_unknown_line_is_404_and_a_lowercase_code_redirects(client, reference_data):
    assert client.get(reverse("public:action_line", args=["C99"])).status_code == 404
    response = client.get("/action-lines/c7.gov/")
    assert response.status_code == 301
    assert response["Location"] == reverse("public:action_line", args=["C7.GOV"])


def test_the_lines_compiled_pdf_is_requested_then_served(
    client, cycle, publish, django_capture_on_commit_callbacks
):
    publish(make_report(cycle=cycle, name="Compiled Ministry", summary="x", lines={"C2": "Fibre."}))
    publish(
        make_report(cycle=cycle, name="Unpublished One", summary="x", lines={"C2": "Secret."}), "accepted"
    )
    url = reverse("public:action_line_pdf", args=["C2", cycle.slug])
    first = client.get(url)
    assert first.status_code == 202
    assert "The compiled PDF is being prepared" in first.content.decode()
    job = Compilation.objects.get()
    assert job.filters["statuses"] == [Report.Status.PUBLISHED]
    assert job.report_count == 1  # the accepted report is not in it
    assert client.get(url).status_code == 202
    assert Compilation.objects.count() == 1  # the job at work is reused

    # The worker builds it (the submission's PDF rendered on the way); then the PDF is served.
    with django_capture_on_commit_callbacks(execute=True):
        result = compilation.compilation_run(
            compilation_id=job.pk, ensure_pdf=lambda sub: runner.submission_pdf_ensure(submission=sub)
        )
    assert result.outcome is Outcome.DONE
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(served.streaming_content))).pages)
    assert "Fibre." in text
    assert "Secret." not in text
    assert "Compiled Ministry" in text
    assert client.get(reverse("public:action_line_pdf", args=["C3", cycle.slug])).status_code == 404

"""The report page: the report read-only from the shared document template, its
submissions with their PDFs, the working copy on request, deliveries and people."""

import pytest
from django.urls import reverse

from reports.models import Delivery

pytestmark = pytest.mark.django_db


def page_of(client, report, query=""):
    response = client.get(reverse("admin:reports_report_change", args=[report.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_report_is_shown_as_a_document_not_as_form_fields(secretariat_client, submitted_report):
    page = page_of(secretariat_client, submitted_report)
    assert 'class="report-document"' in page
    assert "I. Executive Summary" in page
    assert "Over twenty years we connected schools" in page
    # The only text boxes are the Secretariat's own: the request, the section comments, the notes.
    assert page.count('<textarea name="message"') == 1
    assert page.count('<textarea name="comment"') == page.count('name="section"')
    assert page.count('<textarea name="note"') == 1
    assert 'name="executive_summary"' not in page
    assert "Submission #1" in page


def test_each_submission_links_its_pdf(secretariat_client, submitted_report):
    submission = submitted_report.submissions.get()
    page = page_of(secretariat_client, submitted_report)
    assert reverse("reports:submission_pdf", kwargs={"pk": submission.pk}) in page


def test_the_working_copy_on_request(secretariat_client, submitted_report):
    submitted_report.executive_summary = "Being rewritten after the secretariat's questions."
    submitted_report.save()
    assert "Being rewritten" not in page_of(secretariat_client, submitted_report)
    live = page_of(secretariat_client, submitted_report, "?show=live")
    assert "Being rewritten" in live
    assert "Working copy" in live


def test_a_draft_shows_what_is_saved_and_no_review_move(secretariat_client, report):
    page = page_of(secretariat_client, report)
    assert "not submitted yet" in page
    assert "Nothing to review" in page
    assert "Start review" not in page


def test_deliveries_people_and_text_are_escaped(secretariat_client, submitted_report, owner):
    submitted_report.entity.name = "<img src=x onerror=alert(1)> Ministry"
    submitted_report.entity.save()
    Delivery.objects.create(
        report=submitted_report,
        kind=Delivery.Kind.RECEIPT_EMAIL,
        status=Delivery.Status.FAILED,
        attempts=3,
        last_error="<b>550</b> mailbox unavailable",
        recipients=[owner.email],
    )
    page = page_of(secretariat_client, submitted_report)
    assert "<img src=x" not in page
    assert "&lt;img src=x" in page
    assert "&lt;b&gt;550&lt;/b&gt; mailbox unavailable" in page
    assert "3 attempts" in page
    assert "Retry" in page
    assert owner.email in page.split('id="members"')[1]

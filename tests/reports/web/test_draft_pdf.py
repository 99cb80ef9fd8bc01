"""The draft PDF of a report as it stands, for clearance inside the entity: the submission PDF's
template, "Draft — not submitted" on every page, members only, counted like any PDF download."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports import services
from reports.models import SecurityEvent
from tests import factories

pytestmark = pytest.mark.django_db

MARK = "Draft — not submitted"


def pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_a_member_downloads_the_draft_with_the_mark_on_every_page(member, owner, report, fill_report):
    fill_report(report, text="Broadband reached every district school")
    response = member.get(reverse("reports:draft_pdf", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{report.entity.name.lower().replace(" ", "-")}-{report.cycle.slug}-draft.pdf"'
    )
    texts = pages_text(response.content)
    assert len(texts) > 2  # cover, contents, the report
    assert [number for number, text in enumerate(texts, 1) if MARK not in text] == []
    assert any("Broadband reached every district school" in text for text in texts)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.DOWNLOAD)
    assert (event.actor, event.object_type, event.object_id) == (owner, "report", str(report.pk))


def test_the_draft_of_a_submitted_report_is_the_live_report_still_marked_draft(
    member, owner, report, fill_report
):
    fill_report(report, text="As submitted")
    services.report_submit(report=report, user=owner)
    response = member.get(reverse("reports:draft_pdf", args=[report.pk]))
    assert response.status_code == 200
    texts = pages_text(response.content)
    assert all(MARK in text for text in texts)
    assert not any("submission 1" in text for text in texts)


def test_the_submission_pdf_carries_no_draft_mark(owner, report, fill_report, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fill_report(report)
    submission = services.report_submit(report=report, user=owner)
    from reports.delivery.submission_pdf import submission_pdf_ensure  # noqa: PLC0415 (only this test renders a submission)

    submission = submission_pdf_ensure(submission=submission)
    with submission.pdf.open("rb") as fh:
        texts = pages_text(fh.read())
    assert not any(MARK in text for text in texts)


def test_others_get_404_and_the_refusal_is_recorded(client, report):
    stranger = factories.UserFactory.create()
    client.force_login(stranger)
    assert client.get(reverse("reports:draft_pdf", args=[report.pk])).status_code == 404
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ACCESS_DENIED, actor=stranger).exists()
    client.logout()
    response = client.get(reverse("reports:draft_pdf", args=[report.pk]))
    assert response.status_code == 302  # to the login page
    assert reverse("account_login") in response["Location"]


def test_draft_downloads_count_towards_the_download_limit(member, report, settings):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "download": "2/m/user,300/h/user"}
    url = reverse("reports:draft_pdf", args=[report.pk])
    assert [member.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DOWNLOAD).count() == 2


def test_the_workspace_and_the_preview_link_to_the_draft(member, report):
    url = reverse("reports:draft_pdf", args=[report.pk])
    for page in ("reports:workspace", "reports:preview"):
        assert f'href="{url}"' in member.get(reverse(page, args=[report.pk])).content.decode()

"""The published list, a report's page and its PDF, as anyone sees them."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from .conftest import make_report

pytestmark = pytest.mark.django_db


def test_published_report_is_listed_and_has_its_page(client, cycle, publish):
    report = publish(
        make_report(cycle=cycle, name="Ministry of Connectivity", summary="Fibre reached every district.")
    )
    listing = client.get(reverse("public:reports"))
    assert listing.status_code == 200
    assert "Ministry of Connectivity" in listing.content.decode()
    page = client.get(reverse("public:report", args=[report.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Fibre reached every district." in body
    assert cycle.name in body
    assert "Private Person Name" not in body
    assert "focal.point@example.org" not in body


def test_public_pdf_has_the_report_without_the_contact(client, cycle, publish):
    report = publish(
        make_report(cycle=cycle, name="Ministry of Connectivity", summary="Fibre reached every district.")
    )
    response = client.get(reverse("public:report_pdf", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages
    )
    assert "Fibre reached every district." in text
    assert "Private Person Name" not in text
    assert "focal.point@example.org" not in text


def test_public_pdfs_laid_out_for_one_address_are_limited_stored_ones_are_not(
    client, cycle, publish, settings
):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "public_pdf": "2/m/ip,100/h/ip"}
    reports = [
        publish(make_report(cycle=cycle, name=f"Office {n}", summary=f"Summary {n}.")) for n in range(3)
    ]
    urls = [reverse("public:report_pdf", args=[report.pk]) for report in reports]
    assert [client.get(url).status_code for url in urls[:2]] == [200, 200]
    refused = client.get(urls[2])
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Wait a minute, then try again." in refused.content.decode()
    assert client.get(urls[0]).status_code == 200  # stored on its first download: not counted again
    other = client.get(urls[2], REMOTE_ADDR="192.0.2.44")  # another address has its own count
    assert other.status_code == 200
    assert other["Content-Type"] == "application/pdf"

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

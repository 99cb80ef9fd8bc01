"""Exports beyond one row per report: one row per key indicator, one per success story (with its
description, link and year), text that starts like a formula or a phone number kept as typed in
XLSX, and the PDFs of the list's current filter as one streamed ZIP."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from action_lines.models import ActionLine
from reports.models import FollowUpContact, SecurityEvent, Submission
from tests import factories

from .conftest import fill, submit_directly

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(cycle, reference_data):
    kenya = factories.ReportFactory.create(
        cycle=cycle,
        entity=factories.EntityFactory.create(name="Ministry of ICT, Kenya", acronym="MICT"),
        executive_summary="- connected 300 schools\n- trained 40,000 teachers",
    )
    fill(kenya, codes=("C2", "C4"))
    FollowUpContact.objects.filter(report=kenya).update(phone="+254 20 444 5555")
    factories.IndicatorFactory.create(
        report=kenya, indicator="Internet users", value="41.2", unit="%", year=2024
    )
    factories.IndicatorFactory.create(
        report=kenya, indicator="Schools connected", value="3,120", unit="schools", year=2023, order=1
    )
    c4 = ActionLine.objects.get(code="C4")
    factories.SuccessStoryFactory.create(
        report=kenya,
        action_line=c4,
        title="Digital literacy for teachers",
        description="40,000 teachers trained in four years.",
        url="https://example.org/teachers",
        year=2022,
    )
    submit_directly(kenya)
    peru = factories.ReportFactory.create(
        cycle=cycle,
        entity=factories.EntityFactory.create(
            name="Red Científica Peruana", acronym="RCP", stakeholder_type="technical_community"
        ),
    )
    fill(peru, codes=("C1",))
    factories.IndicatorFactory.create(
        report=peru, indicator="IXP traffic peak", value="120", unit="Gbit/s", year=2024
    )
    draft = factories.ReportFactory.create(
        cycle=cycle, entity=factories.EntityFactory.create(name="Draft University", acronym="DU")
    )
    factories.IndicatorFactory.create(report=draft, indicator="Students", value="12000", unit="students")
    return kenya, peru, draft


def xlsx_rows(response) -> list[dict]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    cells = list(sheet.iter_rows())
    header = [c.value for c in cells[0]]
    for row in cells:
        for cell in row:
            assert cell.data_type != "f"
    return [dict(zip(header, [c.value for c in row], strict=True)) for row in cells[1:]]


def test_xlsx_keeps_leading_dashes_and_plus_signs_as_typed(secretariat_client, reports):
    kenya, _peru, _draft = reports
    rows = xlsx_rows(secretariat_client.get(reverse("admin:reports_report_export", args=["xlsx"])))
    row = next(r for r in rows if r["Report ID"] == kenya.pk)
    assert row["I. Executive Summary"] == "- connected 300 schools\n- trained 40,000 teachers"
    assert row["Contact phone"] == "+254 20 444 5555"
    # CSV keeps its guard: a spreadsheet opening a CSV would evaluate it.
    body = b"".join(
        secretariat_client.get(reverse("admin:reports_report_export", args=["csv"])).streaming_content
    ).decode("utf-8-sig")
    assert "'+254 20 444 5555" in body


def test_one_row_per_indicator(secretariat_client, reports):
    rows = xlsx_rows(secretariat_client.get(reverse("admin:reports_report_export_indicators", args=["xlsx"])))
    got = [(r["Entity"], r["Row"], r["Indicator"], r["Value"], r["Unit"], r["Year"]) for r in rows]
    assert got == [
        ("Draft University", 1, "Students", "12000", "students", 2024),
        ("Ministry of ICT, Kenya", 1, "Internet users", "41.2", "%", 2024),
        ("Ministry of ICT, Kenya", 2, "Schools connected", "3,120", "schools", 2023),
        ("Red Científica Peruana", 1, "IXP traffic peak", "120", "Gbit/s", 2024),
    ]
    # The list's filter applies, in CSV too.
    url = reverse("admin:reports_report_export_indicators", args=["csv"]) + "?status__exact=submitted"
    body = b"".join(secretariat_client.get(url).streaming_content).decode("utf-8-sig")
    assert body.count("\n") == 3  # the header and Kenya's two rows
    assert 'Schools connected,"3,120",schools,2023' in body


def test_success_stories_with_description_link_and_year(secretariat_client, reports):
    rows = xlsx_rows(secretariat_client.get(reverse("admin:reports_report_export_stories", args=["xlsx"])))
    assert len(rows) == 1
    story = rows[0]
    assert story["Action Line"] == "C4"
    assert story["Title"] == "Digital literacy for teachers"
    assert story["Description"] == "40,000 teachers trained in four years."
    assert story["Link"] == "https://example.org/teachers"
    assert story["Year"] == 2022


def test_the_pdfs_of_the_filter_in_one_streamed_zip(secretariat_client, reports):
    kenya, peru, _draft = reports
    submit_directly(peru)
    rendered = Submission.objects.get(report=kenya)
    rendered.pdf.save("kenya.pdf", ContentFile(b"%PDF-1.7 kenya"), save=True)
    response = secretariat_client.get(
        reverse("admin:reports_report_export_pdfs") + "?status__exact=submitted"
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert len(pdfs) == 1
    assert archive.read(pdfs[0]) == b"%PDF-1.7 kenya"
    # Peru's PDF is not rendered yet: said so, not silently left out.
    assert "Red Científica Peruana" in archive.read("missing.txt").decode()
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT).latest("created_at")
    assert event.detail["format"] == "zip"
    assert event.detail["filters"] == {"status__exact": ["submitted"]}


def test_staff_outside_the_secretariat_get_no_zip(client, staff_outsider, reports):
    from tests.accounts import staff_client  # noqa: PLC0415

    response = staff_client(client, staff_outsider).get(reverse("admin:reports_report_export_pdfs"))
    assert response.status_code == 403
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT).exists()

"""Exports of the list's current filter: CSV (streamed) and XLSX, one row per report or per
report × Action Line, with formula-looking text neutralised."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from action_lines.models import ActionLine
from reports.admin import exports
from reports.models import Report
from tests import factories

from .conftest import fill, submit_directly

pytestmark = pytest.mark.django_db
PAYLOAD = '=HYPERLINK("http://evil")'


@pytest.fixture
def reports(cycle, reference_data):
    evil = factories.ReportFactory.create(
        cycle=cycle,
        entity=factories.EntityFactory.create(
            name=PAYLOAD, acronym="+EVIL", stakeholder_type="civil_society"
        ),
        executive_summary="@SUM(A1:A9) and more",
    )
    fill(evil, codes=("C2",), achievements=PAYLOAD)
    submit_directly(evil)
    calm = factories.ReportFactory.create(
        cycle=cycle,
        entity=factories.EntityFactory.create(name="Ministry of Digital Economy, Kenya", acronym="MDE"),
        executive_summary="Twenty years of progress.",
    )
    fill(calm, codes=("C1", "C7.GOV"))
    draft = factories.ReportFactory.create(
        cycle=cycle,
        entity=factories.EntityFactory.create(name="Draft Institute", stakeholder_type="academia"),
    )
    return evil, calm, draft


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def read_xlsx(response) -> list[list]:
    """The sheet's values; every cell holding text must be a string cell (never a formula)."""
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    rows = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
        rows.append([cell.value for cell in row])
    return rows


def guarded(fmt: str, value: str) -> str:
    """What a formula-looking text becomes: CSV keeps the apostrophe guard; XLSX types the cell as
    text and keeps the text as typed."""
    return "'" + value if fmt == "csv" else value


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd", PAYLOAD])
def test_formula_like_text_is_neutralised(value):
    assert exports.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Ministry", "", "1=1", " =1", 42, None, True])
def test_other_values_are_left_alone(value):
    assert exports.neutralise(value) == value


def test_csv_one_row_per_report_with_the_current_filter(secretariat_client, reports):
    evil, calm, _draft = reports
    url = reverse("admin:reports_report_export", args=["csv"])
    rows = read_csv(secretariat_client.get(url))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Report ID", "Entity", "Acronym", "Stakeholder type"]
    assert "I. Executive Summary" in header
    assert "Contact e-mail" in header
    assert len(body) == 3
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in body}
    assert by_id[evil.pk]["Entity"] == "'" + PAYLOAD
    assert by_id[evil.pk]["Acronym"] == "'+EVIL"
    assert by_id[evil.pk]["I. Executive Summary"] == "'@SUM(A1:A9) and more"
    assert by_id[evil.pk]["Status"] == "Submitted"
    assert by_id[evil.pk]["Late"] == "no"
    assert by_id[calm.pk]["Entity"] == "Ministry of Digital Economy, Kenya"
    assert by_id[calm.pk]["Country"] == "Kenya"
    assert by_id[calm.pk]["Region"] == "Africa"
    assert by_id[calm.pk]["Action Lines covered"] == "2"

    # The list's filters apply: only submitted reports, then a search.
    filtered = read_csv(secretariat_client.get(url + "?status__exact=submitted"))
    assert [int(r[0]) for r in filtered[1:]] == [evil.pk]
    searched = read_csv(secretariat_client.get(url + "?q=kenya"))
    assert [int(r[0]) for r in searched[1:]] == [calm.pk]


def test_xlsx_one_row_per_report(secretariat_client, reports):
    evil, calm, draft = reports
    rows = read_xlsx(secretariat_client.get(reverse("admin:reports_report_export", args=["xlsx"])))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Report ID", "Entity", "Acronym"]
    assert len(body) == 3
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert by_id[evil.pk]["Entity"] == PAYLOAD  # a text cell (read_xlsx checks), as typed
    assert by_id[evil.pk]["Acronym"] == "+EVIL"
    assert by_id[evil.pk]["I. Executive Summary"] == "@SUM(A1:A9) and more"
    assert by_id[evil.pk]["Late"] is False
    assert by_id[evil.pk]["Submitted at"] is not None
    assert by_id[draft.pk]["Submitted at"] is None
    assert by_id[calm.pk]["Entity"] == "Ministry of Digital Economy, Kenya"


def test_exports_by_action_line_give_every_line_of_every_report(secretariat_client, reports):
    lines = ActionLine.objects.count()
    for fmt, read in (("csv", read_csv), ("xlsx", read_xlsx)):
        url = reverse("admin:reports_report_export_lines", args=[fmt]) + "?status__exact=submitted"
        rows = read(secretariat_client.get(url))
        header, body = rows[0], rows[1:]
        assert header[-7:] == [
            "Action Line",
            "Action Line title",
            "State",
            "Achievements",
            "Challenges",
            "Future priorities",
            "Success stories",
        ]
        assert len(body) == lines  # the filter left one report
        c2 = next(dict(zip(header, r, strict=True)) for r in body if r[header.index("Action Line")] == "C2")
        assert c2["Entity"] == guarded(fmt, PAYLOAD)
        assert c2["Achievements"] == guarded(fmt, PAYLOAD)
        assert c2["State"] == "addressed"
        c3 = next(dict(zip(header, r, strict=True)) for r in body if r[header.index("Action Line")] == "C3")
        assert c3["State"] == "not answered"


def test_success_stories_and_not_applicable_lines_in_the_line_export(reports):
    _evil, calm, _draft = reports
    line = ActionLine.objects.get(code="C7.GOV")
    factories.SuccessStoryFactory.create(report=calm, action_line=line, title="Online tax returns", year=2019)
    factories.ProgressFactory.create(
        report=calm, action_line=ActionLine.objects.get(code="C9"), not_applicable=True
    )
    header = exports.line_export_header()
    rows = [
        dict(zip(header, r, strict=True)) for r in exports.line_export_rows(Report.objects.filter(pk=calm.pk))
    ]
    by_code = {r["Action Line"]: r for r in rows}
    assert by_code["C7.GOV"]["Success stories"] == "Online tax returns (2019)"
    assert by_code["C9"]["State"] == "not applicable"


def test_an_unknown_format_is_not_found(secretariat_client, reports):
    assert secretariat_client.get("/admin/reports/report/export/pdf/").status_code == 404

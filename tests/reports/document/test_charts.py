"""The dashboard's charts: server-side SVG with a title, a description and escaped labels,
which WeasyPrint (the compiled PDF) renders without complaint."""

import io
import logging
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from reports.document import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 — markup this test's code just generated


def test_a_bar_chart_is_an_accessible_image_with_its_figures_in_words():
    svg = charts.bar_chart("Reports by region", [("Africa", 44), ("Europe", 34)], chart_id="regions")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "regions-title regions-desc"
    assert root.findtext(f"{SVG}title") == "Reports by region"
    assert root.findtext(f"{SVG}desc") == "Africa: 44; Europe: 34."
    widths = [float(r.get("width", "nan")) for r in root.iter(f"{SVG}rect") if r.get("fill") == charts.BAR]
    assert widths[0] > widths[1] > 0


def test_labels_are_escaped():
    svg = str(charts.bar_chart("<b>Types</b>", [("<script>alert(1)</script>", 3)]))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    parse(svg)  # still well-formed


def test_sub_rows_are_indented_and_long_labels_shortened():
    svg = charts.bar_chart(
        "Coverage", [("C7 ICT applications", 5), charts.Bar("E-Government", 4, 1), ("C8 " + "x" * 200, 1)]
    )
    texts = [t for t in parse(svg).iter(f"{SVG}text")]
    labels = {t.text: float(t.get("x", "nan")) for t in texts}
    assert labels["E-Government"] > labels["C7 ICT applications"]
    assert any(t.text and t.text.endswith("…") for t in texts)


def test_an_empty_chart_still_renders():
    assert parse(charts.bar_chart("Nothing yet", [])).findtext(f"{SVG}desc") == "No data."
    assert parse(charts.column_chart("Per day", []))
    assert parse(charts.line_chart("Total", []))


def test_a_column_chart_marks_the_deadline_and_fills_the_days_between():
    start = date(2025, 5, 1)
    points = [(start, 2), (start + timedelta(days=3), 5)]
    svg = charts.column_chart("Per day", points, marker=(date(2025, 5, 30), "Deadline"), unit_word="reports")
    root = parse(svg)
    assert "Deadline 30 May" in "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    columns = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == charts.BAR]
    assert len(columns) == 2
    assert (root.findtext(f"{SVG}desc") or "").startswith("From 1 May to 30 May: 7 reports.")


def test_a_line_chart_ends_at_its_last_point_not_at_the_deadline():
    start = date(2025, 5, 1)
    svg = charts.line_chart(
        "Total", [(start, 1), (start + timedelta(days=2), 4)], marker=(date(2025, 5, 30), "D")
    )
    polyline = parse(svg).find(f"{SVG}polyline")
    assert polyline is not None
    points = polyline.get("points", "").split()
    assert len(points) == 3


def test_the_data_table_has_a_caption_and_row_headers():
    html = str(charts.data_table("By type", ["Type", "Reports"], [("Government", 1200), ("<Academia>", 3)]))
    assert "<caption>By type</caption>" in html
    assert '<th scope="row">Government</th><td class="num">1,200</td>' in html
    assert "&lt;Academia&gt;" in html


def test_weasyprint_renders_the_charts_without_warnings(caplog):
    weasyprint = pytest.importorskip("weasyprint")
    start = date(2025, 5, 1)
    body = "".join(
        [
            charts.bar_chart("By type", [("Government", 12), charts.Bar("Sub", 3, 1)]),
            charts.column_chart(
                "Per day", [(start, 2), (start + timedelta(days=9), 6)], marker=(start, "Deadline")
            ),
            charts.line_chart("Total", [(start, 2), (start + timedelta(days=9), 8)]),
            charts.data_table("By type", ["Type", "Reports"], [("Government", 12)]),
        ]
    )
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf()
    assert pdf.startswith(b"%PDF")
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")], caplog.text

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Government" in text
    assert "Deadline" in text

"""The report PDF is a tagged PDF/UA-1 document, read back with pypdf: a structure tree with the
HTML's headings in order and nested without skipped levels, the document's language (the report's),
marked content, the title shown as the window's title, PDF/UA identification; charts are figures
whose alternative text is their title. And the page is laid out in the report's language."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from weasyprint import HTML

from reports import annex
from reports.document import charts, snapshot
from reports.document.pdf import PDF_BASE_URL, PDF_OPTIONS, StaticFilesFetcher, document_html, report_pdf
from reports.models import StakeholderType

from .test_pdf import ARABIC, CHINESE, pdftotext

pytestmark = pytest.mark.django_db


def elements(node: Any) -> Iterator[DictionaryObject]:
    """The structure elements under ``node``, depth first in the tree's (reading) order."""
    node = node.get_object()
    kids = node.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, list) else [kids]:
        kid = kid.get_object()
        if isinstance(kid, DictionaryObject) and kid.get("/Type") != "/OBJR" and "/S" in kid:
            yield kid
            yield from elements(kid)


def structure(data: bytes) -> tuple[Any, list[Any]]:
    reader = PdfReader(io.BytesIO(data))
    root: Any = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root, "the PDF is tagged"
    return root, list(elements(root["/StructTreeRoot"]))


@pytest.fixture
def filled(report, fill_report):
    return fill_report(report)


def test_the_report_pdf_is_tagged_pdf_ua_with_its_language(filled):
    rendered = report_pdf(snapshot.document_for_report(filled), number=1)
    root, tree = structure(rendered.content)
    assert bool(root["/MarkInfo"]["/Marked"])
    assert str(root["/Lang"]) == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfuaid:part[^0-9]*1", xmp), xmp[:500]
    assert tree[0]["/S"] == "/Document"
    kinds = {str(e["/S"]) for e in tree}
    assert {"/H1", "/H2", "/H3", "/H4", "/P", "/L", "/LI", "/Table", "/TH", "/TD", "/Link"} <= kinds


def test_headings_are_the_documents_in_order_and_nested_without_skipping_a_level(filled):
    doc = snapshot.document_for_report(filled)
    rendered = report_pdf(doc, number=1)
    _root, tree = structure(rendered.content)
    levels = [int(str(e["/S"])[2:]) for e in tree if re.fullmatch(r"/H[1-6]", str(e["/S"]))]

    html_levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", document_html(doc, number=1))]
    assert levels == html_levels
    assert levels[0] == 1  # the cover names the entity
    assert levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert levels.count(2) == 1 + len(annex.SECTIONS)  # the contents, then every section of Annex 1
    assert 5 in levels  # C7's sub-lines (4) and their questions (5)


def test_an_untagged_render_has_no_structure_tree(filled):
    rendered = report_pdf(snapshot.document_for_report(filled), number=1, tagged=False)
    root: Any = PdfReader(io.BytesIO(rendered.content)).trailer["/Root"]
    assert "/StructTreeRoot" not in root


def test_table_header_cells_are_linked_to_their_data_cells(filled):
    _root, tree = structure(report_pdf(snapshot.document_for_report(filled), number=1).content)
    header_ids = {str(e["/ID"]) for e in tree if e["/S"] == "/TH" and "/ID" in e}
    data_cells = [e for e in tree if e["/S"] == "/TD"]
    assert header_ids
    assert data_cells
    assert all(set(map(str, cell["/A"]["/Headers"])) & header_ids for cell in data_cells)


def test_charts_are_figures_whose_alternative_text_is_their_title():
    chart = charts.bar_chart("Reports by region", [("Africa", 12), ("Europe", 7)], width=620)
    html = (
        '<!doctype html><html lang="en"><head><title>Charts</title></head>'
        f"<body><h1>Charts</h1>{chart}</body></html>"
    )
    data = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticFilesFetcher()).write_pdf(**PDF_OPTIONS)
    _root, tree = structure(data)
    figures = [e for e in tree if e["/S"] == "/Figure"]
    assert [str(f["/Alt"]) for f in figures] == ["Reports by region"]


# --- Laid out in the report's language ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"), [("ar", ARABIC), ("zh-hans", CHINESE), ("ru", "Цифровая экономика")]
)
def test_the_pdf_speaks_the_reports_language(report, fill_report, language, text):
    fill_report(report, text=lambda _name: text, language=language)
    rendered = report_pdf(snapshot.document_for_report(report), number=4)
    root, _tree = structure(rendered.content)
    assert str(root["/Lang"]) == language
    with translation.override(language):
        headings = [str(section.heading) for section in annex.SECTIONS]
        contents = translation.gettext("Contents")
        running = translation.gettext("WSIS+20 report · submission %(number)s") % {"number": 4}
        page_word = translation.gettext("Page")
        government = str(StakeholderType.GOVERNMENT.label)
        region = translation.gettext("Africa")
    assert contents != "Contents"
    outline = [
        item.title for item in PdfReader(io.BytesIO(rendered.content)).outline if not isinstance(item, list)
    ]
    assert outline == [contents, *headings]
    pages = pdftotext(rendered.content).split("\f")
    cover = " ".join(pages[0].split())
    assert government != "Government"
    assert government in cover  # the snapshot's English labels, named in the report's language
    assert region in cover
    flat = " ".join(pages[2].split())
    assert page_word in flat
    if language != "ar":  # pdftotext writes Arabic lines with direction marks between the runs
        assert f"{running} — {page_word} 3" in flat


def test_an_arabic_report_is_a_right_to_left_document(report, fill_report):
    fill_report(report, text=lambda _name: ARABIC, language="ar")
    html = document_html(snapshot.document_for_report(report), number=1)
    assert re.search(r'<html lang="ar" dir="rtl">', html)
    english = document_html({**snapshot.document_for_report(report), "language": "en"}, number=1)
    assert '<html lang="en" dir="ltr">' in english


def test_the_running_words_are_not_hidden_text_in_the_reading_order(filled):
    """The header and footer's words come from attributes (CSS string-set), not from hidden text
    that a screen reader would read out on the cover."""
    html = document_html(snapshot.document_for_report(filled), number=2)
    assert "doc-running" not in html
    assert 'data-run-label="WSIS+20 report · submission 2"' in html
    text = pdftotext(report_pdf(snapshot.document_for_report(filled), number=2).content).split("\f")
    assert "Page" not in text[0]
    assert "WSIS+20 report · submission 2 — Page 2 of" in " ".join(text[1].split())

"""The report PDF, read back: text in template order, outline, metadata, fonts for Arabic and
Chinese, hostile text kept as text, and a URL fetcher that serves only the portal's static files."""

from __future__ import annotations

import http.server
import io
import itertools
import os
import shutil
import subprocess
import threading
import unicodedata

import pikepdf
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template import Context, Template
from django.utils import translation
from pypdf import PdfReader
from weasyprint import HTML

from action_lines.models import ActionLine
from reports import annex, services
from reports.document import snapshot
from reports.document.pdf import (
    PDF_BASE_URL,
    ResourceRefused,
    StaticFilesFetcher,
    document_html,
    pdf_filename,
    print_stylesheet,
    report_pdf,
)
from reports.templatetags.report_document import paragraphs
from tests import factories
from tests.services import missing_service

pytestmark = pytest.mark.django_db

ARABIC = "تعزيز البنية التحتية للاتصالات في المناطق الريفية وربط المدارس بالإنترنت"
CHINESE = "加强农村地区的信息通信基础设施建设，让每一所学校都接入互联网"
RUSSIAN = "Развитие цифровой инфраструктуры в сельских районах и подключение школ"


def poppler(tool: str, *args: str, data: bytes) -> str:
    if not shutil.which(tool):
        missing_service(f"needs {tool} (Debian package poppler-utils)")
    done = subprocess.run([tool, *args, "-", "-"], input=data, capture_output=True, timeout=60, check=True)
    return done.stdout.decode("utf-8", "replace")


def pdftotext(data: bytes) -> str:
    return poppler("pdftotext", "-enc", "UTF-8", data=data)


def pdffonts(data: bytes) -> list[str]:
    if not shutil.which("pdffonts"):
        missing_service("needs pdffonts (Debian package poppler-utils)")
    done = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, timeout=60, check=True)
    return done.stdout.decode().splitlines()[2:]


def body_text(data: bytes) -> str:
    """The text after the cover and the contents (pdftotext separates pages with form feeds)."""
    return "\f".join(pdftotext(data).split("\f")[2:])


def flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture
def filled(report, fill_report):
    return fill_report(report)


# --- What the secretariat reads ----------------------------------------------------------------------


def test_every_section_and_action_line_appears_in_template_order_after_the_contents(filled):
    rendered = report_pdf(snapshot.document_for_report(filled), number=2)
    text = flat(body_text(rendered.content))

    headings = [str(s.heading) for s in annex.SECTIONS]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    labels = [line.label for line in ActionLine.objects.in_template_order()]
    line_positions = [text.index(flat(label)) for label in labels]
    assert line_positions == sorted(line_positions)
    assert positions[1] < line_positions[0]
    assert line_positions[-1] < positions[2]
    assert "C7 story description: Twenty years of progress" in text
    assert rendered.pages == len(PdfReader(io.BytesIO(rendered.content)).pages)


def test_cover_names_the_entity_and_the_submission_and_every_page_has_the_running_footer(filled):
    rendered = report_pdf(snapshot.document_for_report(filled), number=3, is_late=True)
    pages = pdftotext(rendered.content).split("\f")[: rendered.pages]
    cover = flat(pages[0])
    assert filled.entity.name in cover
    assert "Government" in cover
    assert "Kenya" in cover
    assert "Africa" in cover
    assert "No. 3" in cover
    assert "(after the deadline)" in cover
    assert "Contents" in pages[1]
    for number, page in enumerate(pages[1:], start=2):
        assert f"Page {number} of {rendered.pages}" in page
        assert filled.entity.name in page


def test_outline_has_every_section_and_line_and_metadata_names_title_author_language(filled):
    filled.language = "fr"
    filled.save()
    rendered = report_pdf(snapshot.document_for_report(filled), number=1)
    reader = PdfReader(io.BytesIO(rendered.content))

    def titles(items, depth=0):
        for item in items:
            if isinstance(item, list):
                yield from titles(item, depth + 1)
            else:
                yield depth, item.title

    outline = list(titles(reader.outline))
    top = [title for depth, title in outline if depth == 0]
    # The report is written in French: its PDF is laid out in French (reports/document/pdf.py).
    with translation.override("fr"):
        assert top == ["Table des matières", *[str(s.heading) for s in annex.SECTIONS]]
        lines = [title for depth, title in outline if depth in (1, 2)]
        for line in ActionLine.objects.in_template_order():
            assert line.label in lines
        assert (2, ActionLine.objects.get(code="C7.HEALTH").label) in outline  # sub-lines nest under C7

    info = reader.metadata
    assert info is not None
    assert info.title
    assert filled.entity.name in info.title
    assert "WSIS+20" in info.title
    assert info.author == filled.entity.name
    with pikepdf.open(io.BytesIO(rendered.content)) as pdf:
        assert str(pdf.Root.Lang) == "fr"


def test_page_map_gives_each_line_with_content_pages_of_its_own(report, fill_report):
    fill_report(report)
    c3 = ActionLine.objects.get(code="C3")
    report.progress.filter(action_line=c3).update(not_applicable=True, achievements="", challenges="")
    report.progress.filter(action_line=c3).update(future_priorities="")
    report.success_stories.filter(action_line=c3).delete()
    rendered = report_pdf(snapshot.document_for_report(report))
    page_map = rendered.page_map
    pages = pdftotext(rendered.content).split("\f")

    assert "C3" not in page_map["covered"]
    assert "C7.HEALTH" in page_map["covered"]
    first, last = page_map["lines"]["C7.HEALTH"]
    assert "C7. E-Health" in pages[first]
    assert "C7.HEALTH priorities" in pages[last]
    assert "C7. E-Learning" not in "".join(pages[first : last + 1])
    spans = [page_map["lines"][code] for code in page_map["covered"]]
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))  # no page shared
    assert page_map["sections"]["executive-summary"][0] == 2


# --- Scripts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "font"),
    [("ar", ARABIC, "NotoNaskhArabic"), ("zh-hans", CHINESE, "NotoSansCJKSC"), ("ru", RUSSIAN, "NotoSans")],
)
def test_arabic_chinese_and_cyrillic_reports_embed_noto_fonts_and_keep_their_text(
    report, fill_report, language, text, font
):
    fill_report(report, text=lambda _name: text, language=language)
    rendered = report_pdf(snapshot.document_for_report(report), number=1)

    fonts = pdffonts(rendered.content)
    embedded = [row.split()[0].split("+")[-1].replace("-", "") for row in fonts if " yes " in row]
    assert any(name.startswith(font) for name in embedded), fonts
    assert all(" yes " in row for row in fonts), "every font is embedded"
    extracted = flat(pdftotext(rendered.content))
    assert flat(text) in extracted


def test_arabic_paragraphs_are_laid_out_right_to_left_and_english_ones_left_to_right(report, fill_report):
    fill_report(report, text=lambda name: ARABIC if name == "executive_summary" else "Plain English.")
    html = services_preview(report, language="ar")
    assert f'<p dir="rtl">{ARABIC}</p>' in html
    assert '<p dir="ltr">Plain English.</p>' in html


def services_preview(report, *, language: str) -> str:
    report.language = language
    report.save()
    return document_html(snapshot.document_for_report(report))


# --- Hostile text ----------------------------------------------------------------------------------------


class Listener:
    """An HTTP server on loopback that records every request it gets."""

    def __init__(self) -> None:
        hits: list[str] = []
        self.hits = hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body { color: red }")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def hostile(port: int) -> list[str]:
    return [
        "<script>alert('x')</script>",
        '<img src="file:///etc/passwd">',
        '<link rel="attachment" href="file:///etc/passwd">',
        f"<style>body {{ background: url(http://127.0.0.1:{port}/css) }}</style>",
        f'<div style="background: url(http://127.0.0.1:{port}/inline)">x</div>',
        f"@import url(http://127.0.0.1:{port}/import);",
    ]


def assert_no_embedded_files(data: bytes) -> None:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.attachments) == 0
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
        for page in pdf.pages:
            for annot in page.get("/Annots", []):
                assert annot.get("/Subtype") != "/FileAttachment"
        assert all(not page.get_images() for page in pdf.pages)


def test_hostile_text_in_every_field_is_printed_as_text_and_fetches_nothing(report, fill_report):
    with Listener() as listener:
        payloads = hostile(listener.port)
        joined = " ".join(payloads)
        report.entity.name = payloads[0] + " Ministry"
        report.entity.acronym = payloads[1][:40]
        report.entity.save()
        fill_report(report, text=lambda name: f"{name} {joined}")
        rendered = report_pdf(snapshot.document_for_report(report), number=1)

        text = flat(pdftotext(rendered.content))
        for payload in payloads:
            assert flat(payload) in text
        assert listener.hits == []
    assert_no_embedded_files(rendered.content)


def test_the_fetcher_stops_markup_that_got_past_the_template(tmp_path):
    """Second wall: even real markup (never produced from user text) fetches nothing outside static."""
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    with Listener() as listener:
        html = (
            f'<html><head><link rel="stylesheet" href="http://127.0.0.1:{listener.port}/a.css">'
            f'<link rel="attachment" href="file://{secret}"><style>@import url("http://127.0.0.1:'
            f'{listener.port}/b.css"); p {{ background: url(http://127.0.0.1:{listener.port}/c.png) }}'
            f'</style></head><body><p>Hello</p><img src="file://{secret}"><img src="data:image/png;base64,'
            'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==">'
            f'<a rel="attachment" href="file://{secret}">x</a>'
            '<img src="https://wsis-portal.invalid/static/../../../../etc/passwd"></body></html>'
        )
        fetcher = StaticFilesFetcher()
        data = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher).write_pdf()
        assert listener.hits == []
    assert_no_embedded_files(data)
    assert len(fetcher.refused) >= 6
    assert b"top secret" not in data


# --- The URL fetcher -------------------------------------------------------------------------------------


def test_the_fetcher_serves_the_portals_own_static_files():
    response = StaticFilesFetcher().fetch(PDF_BASE_URL + "static/css/document.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_the_fetcher_serves_static_files_from_an_absolute_static_url(settings):
    settings.STATIC_URL = "https://cdn.example.org/assets/"
    response = StaticFilesFetcher().fetch("https://cdn.example.org/assets/css/document.css")
    assert b"@page" in response.read()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///work/main/static/css/document.css",
        "http://127.0.0.1:8000/static/css/document.css",
        "https://example.org/static/css/document.css",
        "https://wsis-portal.invalid.example.org/static/css/document.css",
        "https://user:pw@wsis-portal.invalid/static/css/document.css",
        "data:text/css,body{color:red}",
        "ftp://wsis-portal.invalid/static/css/document.css",
        "https://wsis-portal.invalid/media/submissions/report.pdf",
        "https://wsis-portal.invalid/static/../../../etc/passwd",
        "https://wsis-portal.invalid/static/css/../../../../etc/passwd",
        "https://wsis-portal.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://wsis-portal.invalid/static//etc/passwd",
        "https://wsis-portal.invalid/static/css/document.css?v=1",
        "https://wsis-portal.invalid/static/css\\..\\..\\settings.py",
        "https://wsis-portal.invalid/static/css/missing.css",
        "https://wsis-portal.invalid/static/",
    ],
)
def test_the_fetcher_refuses_everything_else(url):
    fetcher = StaticFilesFetcher()
    with pytest.raises(ResourceRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


# --- Operators and file names -------------------------------------------------------------------------


def test_render_report_writes_the_latest_submission_or_the_live_report(report, fill_report, tmp_path):
    user = factories.MembershipFactory.create(entity=report.entity).user
    fill_report(report)
    live = tmp_path / "live.pdf"
    call_command("render_report", str(report.pk), "--output", str(live))
    assert "Draft — not submitted" in pdftotext(live.read_bytes())

    services.report_submit(report=report, user=user)
    out = tmp_path / "sub" / "latest.pdf"
    call_command("render_report", str(report.pk), "--output", str(out), "--submission", "1")
    assert "No. 1" in pdftotext(out.read_bytes())
    with pytest.raises(CommandError, match="no submission 7"):
        call_command("render_report", str(report.pk), "--output", str(out), "--submission", "7")
    with pytest.raises(CommandError, match="No report"):
        call_command("render_report", "999999", "--output", str(out))


def test_pdf_file_names_are_safe():
    assert pdf_filename(entity_name="Ministère d’Économie «Num»", cycle_slug="wsis20-2025", number=2) == (
        "ministere-deconomie-num-wsis20-2025-2.pdf"
    )
    assert pdf_filename(entity_name='../../etc/passwd"; x', cycle_slug="c", number=1) == "etcpasswd-x-c-1.pdf"
    assert pdf_filename(entity_name="!!!", cycle_slug="c", number=None) == "report-c-draft.pdf"


def test_pdf_file_names_are_readable_in_every_script():
    """A name in another script gives way to the acronym, or is transliterated (anyascii)."""
    arabic = "وزارة الاتصالات وتكنولوجيا المعلومات"
    assert pdf_filename(entity_name=arabic, acronym="MCIT", cycle_slug="wsis20-2025", number=1) == (
        "mcit-wsis20-2025-1.pdf"
    )
    assert (
        pdf_filename(entity_name=arabic, cycle_slug="c", number=None)
        == "wzrh-ltslt-wtknwlwjy-lmlwmt-c-draft.pdf"
    )
    assert pdf_filename(entity_name="通信和数字经济部", cycle_slug="c", number=2) == (
        "tong-xin-he-shu-zi-jing-ji-bu-c-2.pdf"
    )
    assert pdf_filename(entity_name="Минцифры России", acronym="", cycle_slug="c", number=3) == (
        "mintsifry-rossii-c-3.pdf"
    )
    # A Latin name keeps its own words, whatever its acronym.
    assert pdf_filename(entity_name="Agence du Numérique", acronym="ADN", cycle_slug="c", number=1) == (
        "agence-du-numerique-c-1.pdf"
    )


def test_answers_keep_their_paragraphs_bullets_and_each_paragraphs_direction():
    html = paragraphs(
        f"Our work <b>:\n- one\n- two & three\nthen\n\n{ARABIC}\n\n• {ARABIC}\n\nplain\nsecond", "ltr"
    )
    assert html == (
        '<p dir="ltr">Our work &lt;b&gt;:</p>\n'
        '<ul class="doc-list" dir="ltr"><li>one</li><li>two &amp; three</li></ul>\n'
        '<p dir="ltr">then</p>\n'
        f'<p dir="rtl">{ARABIC}</p>\n'
        f'<ul class="doc-list" dir="rtl"><li>{ARABIC}</li></ul>\n'
        '<p dir="ltr">plain<br>second</p>'
    )
    assert paragraphs("", "rtl") == ""
    assert paragraphs("123", "rtl") == '<p dir="rtl">123</p>'


def test_printed_lists_carry_their_bullets_as_text_and_the_preview_keeps_plain_list_items(report):
    tag = Template("{% load report_document %}{% doc_text answer %}")
    answer = "Progress:\n- fibre to 2,000 schools\n- 4G in every district"
    printed = tag.render(Context({"answer": answer, "for_print": True, "base_dir": "ltr"}))
    preview = tag.render(Context({"answer": answer, "base_dir": "ltr"}))
    assert "<li>\u2022\u2002fibre to 2,000 schools</li>" in printed
    assert "<li>fibre to 2,000 schools</li>" in preview
    assert "\u2022" not in preview
    report.executive_summary = answer
    report.save()
    text = flat(pdftotext(report_pdf(snapshot.document_for_report(report)).content))
    assert "\u2022 fibre to 2,000 schools \u2022 4G in every district" in text


def test_the_print_stylesheet_is_parsed_once_and_again_when_it_changes(settings, tmp_path):
    css = tmp_path / "css" / "document.css"
    css.parent.mkdir()
    css.write_text((settings.BASE_DIR / "static" / "css" / "document.css").read_text())
    settings.STATICFILES_DIRS = [tmp_path]
    first, fonts = print_stylesheet()
    assert print_stylesheet() == (first, fonts)
    os.utime(css, ns=(css.stat().st_atime_ns, css.stat().st_mtime_ns + 1_000_000))
    assert print_stylesheet()[0] is not first

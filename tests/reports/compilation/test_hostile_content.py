"""Text shaped like PDF syntax, typed by stakeholders, through the real pipeline: saved and
submitted through the services, each report's PDF and compilation edition rendered as the worker
renders them, then compiled in both layouts — from the files as WeasyPrint wrote them, as qpdf
rewrites them (no object streams), and from a file the merge's reader cannot take, which qpdf
repairs. Every output passes qpdf's check and reads back the text that went in."""

import re
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from action_lines.models import ActionLine
from reports import services
from reports.compilation import build as compilation
from reports.compilation import pdf_source
from reports.delivery import runner as delivery
from reports.delivery.submission_pdf import edition_file
from reports.models import Country, StakeholderType
from tests import factories
from tests.conftest import fill_narratives
from tests.reports.compilation.test_book import qpdf_check
from tests.reports.compilation.test_compilation import layout_text, outline_titles

pytestmark = pytest.mark.django_db

NASTY = (
    "endobj stream endstream 12 0 obj 1 0 R trailer startxref %%EOF xref "
    "(unbalanced ((( deeply (nested (parentheses (here)))) ))) back\\slash \\) \\( "
    "<< /Type /Catalog >> <4142434445> <feff0041> [ /Kids [3 0 R] ] "
)
LONG_WORD = "Supercalifragilistic" * 3  # 60 letters, no break
ENTITY = "Endobj (1 0 R) <<Trailer>> \\ %%EOF Foundation"
STORY_TITLE = "Story endstream ((nested)) >> 2 0 obj"
STORY_URL = "https://example.org/endobj/(1%200%20R)/a((b))/trailer?x=%%EOF&y=<<>>"


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def submit_hostile(cycle, *, name: str, stype: str, country: str, code: str):
    entity = factories.EntityFactory.create(
        name=name, stakeholder_type=stype, country=Country.objects.get(code=country)
    )
    user = factories.MembershipFactory.create(entity=entity).user
    report = services.report_get_or_create(entity=entity, cycle=cycle)
    save = services.report_save_section
    save(
        report=report,
        key="executive-summary",
        data={"executive_summary": f"{NASTY}\n{LONG_WORD}"},
        base_version=0,
        user=user,
    )
    for line in ActionLine.objects.in_template_order():
        data: dict[str, object] = (
            {
                "achievements": NASTY,
                "challenges": f"{LONG_WORD} {NASTY}",
                "success_stories": [
                    {"title": STORY_TITLE, "description": NASTY, "url": STORY_URL, "year": 2020}
                ],
            }
            if line.code == code
            else {"not_applicable": True}
        )
        save(report=report, key=f"line-{line.code}", data=data, base_version=0, user=user)
    save(
        report=report,
        key="contact",
        data={"name": NASTY[:60], "email": "fp@example.org"},
        base_version=0,
        user=user,
    )
    fill_narratives(report, user)
    submission = services.report_submit(report=report, user=user)
    return delivery.submission_pdf_ensure(submission=submission)


@pytest.fixture
def hostile(reference_data):
    cycle = factories.CycleFactory.create(slug="wsis20-hostile", name="WSIS+20 (hostile)")
    subs = [
        submit_hostile(cycle, name=ENTITY, stype=StakeholderType.CIVIL_SOCIETY, country="KE", code="C2"),
        submit_hostile(
            cycle, name="Plain Ministry", stype=StakeholderType.GOVERNMENT, country="EG", code="C2"
        ),
    ]
    return cycle, subs


def check_compilations(cycle, tmp_path: Path, tag: str) -> None:
    for layout in ("action-line", "full"):
        out = tmp_path / f"{tag}-{layout}.pdf"
        built = compilation.compilation_build(compilation.Selection(cycle=cycle.slug, layout=layout), out)
        assert qpdf_check(out) == [], (tag, layout)
        text = words("\n".join(layout_text(out)))
        for expected in (
            "endobj stream endstream 12 0 obj 1 0 R trailer startxref %%EOF xref",
            "(unbalanced ((( deeply (nested (parentheses (here)))) ))) back\\slash \\) \\(",
            "<< /Type /Catalog >> <4142434445> <feff0041> [ /Kids [3 0 R] ]",
            STORY_TITLE,
            STORY_URL,
            ENTITY,
        ):
            assert expected in text, (tag, layout, expected)
        assert LONG_WORD[:40] in text.replace(" ", "")
        titles = [title for _level, title, _page in outline_titles(PdfReader(out))]
        assert any(title.startswith(ENTITY) for title in titles), titles
        with pikepdf.open(out) as pdf:
            assert built.pages == len(pdf.pages)


def test_hostile_text_compiles_into_a_valid_pdf_that_reads_it_back(hostile, tmp_path):
    cycle, subs = hostile
    check_compilations(cycle, tmp_path, "as-written")

    # The same sources as qpdf rewrites them: a cross-reference table, no object streams.
    for sub in subs:
        path = Path(edition_file(sub).path)
        path.write_bytes(pdf_source.normalized(path.read_bytes()))
        assert b"/ObjStm" not in path.read_bytes()
    check_compilations(cycle, tmp_path, "rewritten")


def test_a_source_the_reader_cannot_take_is_repaired_by_qpdf_not_copied_broken(hostile, tmp_path):
    cycle, subs = hostile
    path = Path(edition_file(subs[0]).path)
    data = pdf_source.normalized(path.read_bytes())
    # The offsets of its streams (page content, fonts) off by three bytes in the cross-reference
    # table: the reader walks the pages and starts copying, then fails on the first stream; what it
    # wrote is taken back and qpdf, which finds the objects again as any viewer does, rewrites it.
    streams = {
        num for num in pdf_source.SourcePdf(data).offsets if pdf_source.SourcePdf(data).get(num).stream
    }
    entries = iter(range(10**9))

    def shift(match: re.Match[bytes]) -> bytes:
        num = next(entries) + 1
        offset = int(match.group(1)) + (3 if num in streams else 0)
        return b"%010d 00000 n" % offset

    broken = re.sub(rb"(\d{10}) 00000 n", shift, data)
    assert broken != data
    path.write_bytes(broken)
    reader = pdf_source.SourcePdf(broken)
    assert reader.page_numbers()  # the page tree reads ...
    with pytest.raises(pdf_source.Unsupported):  # ... its streams do not
        reader.get(min(streams))
    check_compilations(cycle, tmp_path, "repaired")

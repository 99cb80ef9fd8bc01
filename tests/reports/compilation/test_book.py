"""A compiled document reads as a book: its own page numbers and running heads on every page after
the cover, no report's own header or footer, no template scaffolding repeated, each contribution
opening with its author, each full report with one page naming its entity, and a table of contents
whose numbers are the pages where the parts start — read back from the PDF as a reader sees it."""

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from reports import annex
from reports.compilation import build as compilation
from reports.compilation import toc
from reports.delivery import runner as delivery
from reports.models import Entity, StakeholderType, Submission
from tests import factories
from tests.conftest import ARABIC, submitted
from tests.reports.compilation.test_compilation import layout_text, outline_titles, toc_entries

pytestmark = pytest.mark.django_db

ARABIC_ENTITY = "وزارة الاتصالات وتقنية المعلومات"
# What poppler reads back of it whatever the order it finds the glyphs in (the lam-alef ligatures
# of "الاتصالات" come out as two letters in visual order).
ARABIC_WORDS = "وتقنية المعلومات"
GUIDANCE = str(annex.SECTIONS_BY_KEY["action-lines"].guidance)[:60]
SECTION_II = "Progress on WSIS Action Lines"


@pytest.fixture
def book_corpus(reference_data):
    """Three reports, one of them by an entity with an Arabic name; C2 is addressed by two."""
    cycle = factories.CycleFactory.create(slug="wsis20-book", name="WSIS+20 review (book)")
    subs = [
        submitted(
            cycle,
            name="Zeta Digital Rights Foundation",
            stype=StakeholderType.CIVIL_SOCIETY,
            country="KE",
            lines={"C1": "Multi-stakeholder forums.", "C2": "Community networks in 40 villages."},
        ),
        submitted(
            cycle,
            name=ARABIC_ENTITY,
            stype=StakeholderType.GOVERNMENT,
            country="EG",
            lines={"C2": ARABIC, "C5": "National CERT established."},
        ),
        submitted(
            cycle,
            name="Beta Institute of Technology",
            stype=StakeholderType.ACADEMIA,
            country="CN",
            lines={"C3": "Open courseware.", "C7.HEALTH": "Open health data platform."},
        ),
    ]
    return cycle, subs


def qpdf_check(path: Path) -> list[str]:
    """``qpdf --check`` (the cross-reference table, every object, every stream decoded, every
    page's content parsed) and the same check through pikepdf: the problems they find."""
    run = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    problems = (
        [] if run.returncode == 0 else [f"qpdf --check exited {run.returncode}", run.stdout, run.stderr]
    )
    with pikepdf.open(path) as pdf:
        return problems + pdf.check_pdf_syntax()


def footer(page_text: str) -> str:
    """The last non-empty line of a page as laid out: the compilation's part title and number."""
    lines = [line.strip() for line in page_text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def test_by_action_line_every_page_has_the_compilations_number_and_part_and_the_contents_is_true(
    book_corpus, tmp_path
):
    cycle, _subs = book_corpus
    out = tmp_path / "lines.pdf"
    built = compilation.compilation_build(compilation.Selection(cycle=cycle.slug), out)
    assert qpdf_check(out) == []
    pages = layout_text(out)[: built.pages]
    reader = PdfReader(out)
    assert len(reader.pages) == built.pages

    # Every page after the cover ends with its own number in the compilation; the viewer's page
    # labels say the same numbers.
    for index, text in enumerate(pages[1:], start=2):
        assert re.search(rf"(^|\s){index}$", footer(text)), (index, footer(text))
    assert [reader.page_labels[i] for i in range(built.pages)] == [str(n) for n in range(1, built.pages + 1)]
    # The reports' own footers ("… — Page 5 of 24") are not printed anywhere.
    assert not any(re.search(r"Page \d+ of \d+", text) for text in pages)

    # The contents' numbers are where the parts start, on paper and in the outline; each count stays.
    entries = toc_entries(pages)
    outline = outline_titles(reader)
    starts = {title: page for _level, title, page in outline}
    c2_title = "C2: Information and communication infrastructure"
    c2 = next(page for title, page in entries if title.startswith(c2_title))
    assert any(title == f"{c2_title} — 2 contributions" for title, _p in entries), entries
    assert starts[c2_title] == c2 - 1
    for title, page in entries:
        if title.startswith("C") and " — " in title:
            shown = title.rsplit(" — ", 1)[0]  # shortened with an ellipsis when too long
            line_title = next(t for t in starts if t == shown or t.startswith(shown.removesuffix("…")))
            assert starts[line_title] == page - 1, (title, page)
            assert re.search(rf"(^|\s){page}$", footer(pages[page - 1]))

    # C2's contributions follow its divider: each on its own page, opening with entity, stakeholder
    # type and country, the page footed with the part and its number, headed by the entity.
    after_c2 = [t for t in (title for _l, title, _p in outline) if t != c2_title]
    contributions = [(t, p) for _l, t, p in outline if p in (c2, c2 + 1) or t == c2_title][1:]
    assert [t for t, _p in contributions] == [
        f"{ARABIC_ENTITY} — Government, Egypt",
        "Zeta Digital Rights Foundation — Civil Society, Kenya",
    ], after_c2
    arabic_page = pages[contributions[0][1]]
    assert ARABIC_WORDS in arabic_page  # the entity's name in its script, read back
    assert "Government · Egypt" in arabic_page
    assert ARABIC in arabic_page
    zeta_page = pages[contributions[1][1]]
    head = [line.strip() for line in zeta_page.splitlines() if line.strip()]
    assert head[0] == "Zeta Digital Rights Foundation · Civil Society · Kenya"  # running head
    assert head[1] == "Zeta Digital Rights Foundation · Civil Society · Kenya"  # the opening
    assert head[2] == c2_title
    assert footer(zeta_page).startswith(c2_title)
    assert footer(zeta_page).endswith(str(contributions[1][1] + 1))

    # No template scaffolding: neither section II's heading nor its guidance, on any page.
    text = "\n".join(pages)
    assert SECTION_II not in text
    assert re.sub(r"\s+", " ", GUIDANCE) not in re.sub(r"\s+", " ", text)


def test_full_reports_open_with_one_page_naming_the_entity_and_the_contents_lists_every_report(
    book_corpus, tmp_path
):
    cycle, subs = book_corpus
    out = tmp_path / "full.pdf"
    selection = compilation.Selection(cycle=cycle.slug, layout="full")
    built = compilation.compilation_build(selection, out)
    assert qpdf_check(out) == []
    pages = layout_text(out)[: built.pages]
    reader = PdfReader(out)
    entries = toc_entries(pages)
    reports = [(title, page) for title, page in entries if " — " in title and "report" not in title]
    assert ARABIC_WORDS in reports[0][0]
    assert "Government, Egypt" in reports[0][0]  # not shortened
    assert [title for title, _p in reports[1:]] == [
        "Zeta Digital Rights Foundation — Civil Society, Kenya",
        "Beta Institute of Technology — Academia, China",
    ]
    names = [ARABIC_WORDS, "Zeta Digital Rights Foundation", "Beta Institute of Technology"]
    editions = dict(zip(names, [subs[1], subs[0], subs[2]], strict=True))
    for name, (_title, page), next_page in zip(
        names, reports, [p for _t, p in reports[1:]] + [built.pages + 1], strict=True
    ):
        header = pages[page - 1]
        # One page naming the entity, numbered as the contents says; no cover, no own contents.
        assert name in header
        assert "Stakeholder type" in header
        assert "Country" in header
        assert re.search(rf"(^|\s){page}$", footer(header))
        # The report's pages run to the next part (a divider page sits between groups).
        span = range(page - 1, next_page - 1)
        assert not any("20-year review of the implementation" in pages[i] for i in span)
        assert not any(
            re.match(r"\s*Contents\s*$", pages[i].splitlines()[0] if pages[i] else "") for i in span
        )
        assert len([i for i in span if name in pages[i]]) == editions[name].pdf_page_map["edition"]["pages"]
    # Every page of every report names its entity at the top and its part at the bottom.
    zeta = next(page for title, page in reports if title.startswith("Zeta"))
    for i in range(zeta - 1, zeta - 1 + editions[names[1]].pdf_page_map["edition"]["pages"]):
        lines = [line.strip() for line in pages[i].splitlines() if line.strip()]
        assert lines[0].startswith("Zeta Digital Rights Foundation · Civil Society · Kenya")
        assert footer(pages[i]).startswith("Civil Society")
        assert footer(pages[i]).endswith(str(i + 1))
    assert [reader.page_labels[i] for i in range(3)] == ["1", "2", "3"]
    assert not any(re.search(r"Page \d+ of \d+", text) for text in pages)


def test_a_verified_entity_is_marked_in_its_contributions_once_the_secretariat_verifies_it(
    book_corpus, tmp_path
):
    cycle, subs = book_corpus
    zeta = subs[0]
    Entity.objects.filter(pk=zeta.report.entity_id).update(verification=Entity.Verification.VERIFIED)
    out = tmp_path / "verified.pdf"
    # The worker's compilation renders what is out of date on the way (the edition's mark), and
    # says how far it got, as staff see it on the job's row.
    heard: list[tuple[int, str]] = []
    compilation.compilation_build(
        compilation.Selection(cycle=cycle.slug, action_lines=("C1",)),
        out,
        ensure_pdf=lambda sub: delivery.submission_pdf_ensure(submission=sub),
        progress=lambda percent, message: heard.append((percent, message)),
    )
    assert (5, "Rendering report PDFs not rendered yet") in heard
    assert (99, "Copying the reports' pages: 1 of 1") in heard
    assert heard[-1] == (100, "Done")
    assert [p for p, _m in heard] == sorted(p for p, _m in heard)
    pages = layout_text(out)
    zeta_c1 = next(text for text in pages if "Multi-stakeholder forums." in text)
    lines = [line.strip() for line in zeta_c1.splitlines() if line.strip()]
    assert lines[1] == "Zeta Digital Rights Foundation · Civil Society · Kenya · verified"
    assert Submission.objects.get(pk=zeta.pk).pdf_page_map["edition"]["verified"] is True


def test_a_long_title_in_the_contents_keeps_its_count_whole():
    title = "C7: ICT applications: benefits in all aspects of life — " + "very long words " * 12
    entries = [
        {"title": title, "subtitle": "1,234 contributions", "page": 57, "level": 1},
        {"title": "C9: Media", "subtitle": "3 contributions", "page": 9, "level": 1},
    ]
    page = toc.toc_pages(entries, 39, 42)[0]
    long_row, short_row = str(page["titles"]).splitlines()
    assert long_row.endswith('…</b> <span class="sub">— 1,234 contributions</span>')
    assert short_row == '<b>C9: Media</b> <span class="sub">— 3 contributions</span>'
    assert str(page["numbers"]).splitlines() == ["<b>57</b>", "<b>9</b>"]

"""The page merger behind compiled reports: order, outline, links, page tree, both file forms."""

import io
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader
from weasyprint import HTML

from reports.compilation import merge
from reports.compilation.pdf_source import SourcePdf, normalized
from reports.compilation.stamp import StampFont
from tests.conftest import ARABIC, CHINESE


def make_pdf(path: Path, name: str, pages: int, extra: str = "") -> Path:
    """A WeasyPrint document like a report's: a contents page linking to every page."""
    links = "".join(f'<li><a href="#{name}-{i}">{name} part {i}</a></li>' for i in range(1, pages))
    body = "".join(
        f'<section id="{name}-{i}" style="break-before: page">'
        f"<h1>{name} page {i}</h1><p>{extra}</p></section>"
        for i in range(1, pages)
    )
    html = f"<html><body><h1>{name} contents</h1><ul>{links}</ul>{body}</body></html>"
    HTML(string=html).write_pdf(path)
    return path


@pytest.fixture
def sources(tmp_path):
    return {
        "alpha": make_pdf(tmp_path / "alpha.pdf", "Alpha", 4, ARABIC),
        "beta": make_pdf(tmp_path / "beta.pdf", "Beta", 3, CHINESE),
    }


def texts(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def outline(reader: PdfReader, items=None, level=1) -> list[tuple[int, str | None, int | None]]:
    result: list[tuple[int, str | None, int | None]] = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            result.extend(outline(reader, item, level + 1))
        else:
            result.append((level, item.title, reader.get_destination_page_number(item)))
    return result


def link_targets(path: Path) -> list[list[int | None]]:
    """For every page, the output page each of its links goes to."""
    with pikepdf.open(path) as pdf:
        index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
        result = []
        for page in pdf.pages:
            targets = []
            for annot in page.obj.get("/Annots", []):
                dest = annot.get("/Dest")
                targets.append(index.get(dest[0].objgen) if isinstance(dest, pikepdf.Array) else None)
            result.append(targets)
        return result


def test_runs_are_copied_in_order_with_a_nested_outline_and_working_links(sources, tmp_path):
    out = tmp_path / "out.pdf"
    mark = merge.Bookmark
    assembled = merge.assemble(
        [
            merge.Run(sources["beta"], 0, None, [mark("Beta — Civil Society, Kenya", 1, 0)]),
            merge.Run(sources["alpha"], 2, 3, [mark("Alpha, pages 2–3", 1, 0), mark("Alpha page 3", 2, 1)]),
            merge.Run(sources["alpha"], 0, 0, [mark("Alpha contents", 2, 0)]),
        ],
        out,
        title="Compiled — test",
        author="WSIS secretariat",
    )
    pages = texts(out)
    assert assembled.pages == len(pages) == 3 + 2 + 1
    assert assembled.run_starts == [0, 3, 5]
    assert ["Beta contents" in pages[0], "Beta page 2" in pages[2], "Alpha page 2" in pages[3]] == [True] * 3
    assert "Alpha page 3" in pages[4]
    assert "Alpha contents" in pages[5]
    assert CHINESE in pages[1]
    assert ARABIC in pages[3]
    assert outline(PdfReader(out)) == [
        (1, "Beta — Civil Society, Kenya", 0),
        (1, "Alpha, pages 2–3", 3),
        (2, "Alpha page 3", 4),
        (2, "Alpha contents", 5),
    ]
    targets = link_targets(out)
    # Beta was copied whole: its contents page links to its own pages in the output.
    assert targets[0]
    assert set(targets[0]) == {1, 2}
    # Alpha's contents page was copied, but only pages 3 and 4 of it: links to page 2 are gone.
    assert targets[5]
    assert set(targets[5]) == {3, 4}
    with pikepdf.open(out) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert str(pdf.docinfo["/Title"]) == "Compiled — test"
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.PageMode == pikepdf.Name.UseOutlines
        for page in pdf.pages:  # every page sits in the page tree node that lists it
            assert any(kid.objgen == page.obj.objgen for kid in page.obj.Parent.Kids)


def test_sources_in_either_file_form_are_read(sources, tmp_path):
    """WeasyPrint writes object streams and a cross-reference stream; qpdf can write a plain
    cross-reference table. Both are read the same."""
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(normalized(sources["alpha"].read_bytes()))
    assert b"/ObjStm" not in plain.read_bytes()
    assert b"/ObjStm" in sources["alpha"].read_bytes()
    for path in (sources["alpha"], plain):
        src = SourcePdf(path.read_bytes())
        assert len(src.page_numbers()) == 4
        assert set(src.named_destinations()) >= {b"Alpha-1", b"Alpha-2", b"Alpha-3"}
    out = tmp_path / "out.pdf"
    merge.assemble([merge.Run(plain), merge.Run(sources["alpha"])], out)
    pages = texts(out)
    assert len(pages) == 8
    assert pages[:4] == pages[4:]
    assert link_targets(out)[0]
    assert set(link_targets(out)[0]) == {1, 2, 3}
    assert set(link_targets(out)[4]) == {5, 6, 7}


def test_copying_in_a_child_process_while_a_source_is_made_gives_the_same_document(sources, tmp_path):
    made = []

    def make_frame() -> Path:
        made.append(True)
        return make_pdf(tmp_path / "frame.pdf", "Frame", 2)

    def runs(frame):
        return [
            merge.Run(frame, 0, 0, [merge.Bookmark("Frame", 1, 0)]),
            merge.Run(sources["alpha"], 0, None, [merge.Bookmark("Alpha", 2, 0)]),
            merge.Run(frame, 1, 1, [merge.Bookmark("Frame part", 1, 0)]),
            merge.Run(sources["beta"], 1, 2, [merge.Bookmark("Beta", 2, 0)]),
        ]

    parallel, inline = tmp_path / "parallel.pdf", tmp_path / "inline.pdf"
    heard: dict[str, list[tuple[int, int]]] = {"parallel": [], "inline": []}
    first = merge.assemble(
        runs(merge.Later(make_frame)),
        parallel,
        parallel=True,
        progress=lambda done, total: heard["parallel"].append((done, total)),
    )
    second = merge.assemble(
        runs(tmp_path / "frame.pdf"),
        inline,
        parallel=False,
        progress=lambda done, total: heard["inline"].append((done, total)),
    )
    assert made == [True]
    # Both say how far the copying of the sources got, to the end (the frame made meanwhile is not
    # counted; given as a file, it is one source more).
    assert heard["parallel"][-1] == (2, 2)
    assert heard["inline"] == [(1, 3), (2, 3), (3, 3)]
    assert first == second
    assert first.pages == 1 + 4 + 1 + 2
    assert texts(parallel) == texts(inline)
    assert (
        outline(PdfReader(parallel))
        == outline(PdfReader(inline))
        == [
            (1, "Frame", 0),
            (2, "Alpha", 1),
            (1, "Frame part", 5),
            (2, "Beta", 6),
        ]
    )
    with pikepdf.open(parallel) as pdf:
        assert pdf.check_pdf_syntax() == []


def test_stamped_runs_copied_in_a_child_process_print_each_parts_head_and_the_pages_numbers(
    sources, tmp_path
):
    """The child process gets each part's head once (a table) and the runs by index into it: two
    parts, runs of both, the same pages as copied in this process."""
    font = StampFont(["Part one: alpha", "Part two: beta"])
    alpha_pages = len(PdfReader(sources["alpha"]).pages)

    def runs() -> list[merge.Run]:
        return [
            merge.Run(
                sources["alpha"], 0, None, [merge.Bookmark("Alpha", 1, 0)], font.head("Part one: alpha", 1)
            ),
            merge.Run(
                sources["beta"],
                1,
                2,
                [merge.Bookmark("Beta", 1, 0)],
                font.head("Part two: beta", alpha_pages + 1),
            ),
            merge.Run(sources["alpha"], 0, 0, [], font.head("Part two: beta", alpha_pages + 3)),
        ]

    parallel, inline = tmp_path / "parallel.pdf", tmp_path / "inline.pdf"
    merge.assemble(runs(), parallel, parallel=True, stamping=font.stamping())
    merge.assemble(runs(), inline, parallel=False, stamping=font.stamping())
    printed = texts(parallel)
    assert printed == texts(inline)
    assert len(printed) == alpha_pages + 3
    for number, text in enumerate(printed, start=1):
        part = "Part one: alpha" if number <= alpha_pages else "Part two: beta"
        assert part in text, (number, text)
        assert text.rstrip().endswith(str(number)), (number, text)
    with pikepdf.open(parallel) as pdf:
        assert pdf.check_pdf_syntax() == []


def test_a_failing_copy_leaves_no_document_and_says_why(sources, tmp_path):
    missing = tmp_path / "gone.pdf"
    out = tmp_path / "out.pdf"
    with pytest.raises((FileNotFoundError, RuntimeError), match=r"gone\.pdf|No such file"):
        merge.assemble(
            [merge.Run(sources["alpha"]), merge.Run(missing)] * 30
            + [merge.Run(merge.Later(lambda: sources["beta"]))],
            out,
            parallel=True,
        )
    assert not out.exists()


def test_text_strings_are_written_plainly_or_as_utf16():
    assert merge.pdf_text("Key figures (2025)") == b"(Key figures \\(2025\\))"
    encoded = merge.pdf_text("Côte d'Ivoire — " + ARABIC)
    assert encoded.startswith(b"<feff")
    assert bytes.fromhex(encoded[1:-1].decode()).decode("utf-16") == "Côte d'Ivoire — " + ARABIC


def test_pages_keep_what_they_inherit_from_the_page_tree(tmp_path):
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 300))
    pdf.add_blank_page(page_size=(300, 200))
    pdf.Root.Pages.Rotate = 90
    buffer = io.BytesIO()
    pdf.save(buffer)
    source = tmp_path / "blank.pdf"
    source.write_bytes(buffer.getvalue())
    out = tmp_path / "out.pdf"
    assert merge.assemble([merge.Run(source, 1, 1), merge.Run(source, 0, 0)], out).pages == 2
    with pikepdf.open(out) as merged:
        assert [list(map(int, p.mediabox)) for p in merged.pages] == [[0, 0, 300, 200], [0, 0, 200, 300]]
        assert [int(p.obj.Rotate) for p in merged.pages] == [90, 90]

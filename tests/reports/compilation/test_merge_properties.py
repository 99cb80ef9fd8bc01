"""Property-based tests of the streaming merge (reports/compilation/merge.py, pdf_source.py) over
random text shaped like PDF syntax: in page content, link targets, outline titles and document
information; in source files written plainly (literal strings with their balanced parentheses left
unescaped, as the format allows) and rewritten by qpdf (object streams, compressed or not). Every
output passes qpdf's check, keeps every page's text and every link target byte for byte, and prints
the compilation's page numbers."""

from __future__ import annotations

import io
import subprocess

import pikepdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.compilation import merge
from reports.compilation.stamp import StampFont

HOSTILE = [
    "endobj",
    "stream",
    "endstream",
    " obj",
    "12 0 obj",
    "1 0 R",
    "2 0 R>>",
    "trailer",
    "startxref",
    "%%EOF",
    "xref",
    "(",
    ")",
    "((((((((",
    "))))))))",
    "\\",
    "\\\\",
    "\\)",
    "<<",
    ">>",
    "<4142>",
    "<feff0041>",
    "[",
    "]",
    "/Dest",
    "/Kids [",
    "%",
    "\n",
    "\r",
    "W" * 300,
]

texts = st.lists(
    st.sampled_from(HOSTILE) | st.text(st.characters(max_codepoint=255), max_size=12), max_size=14
).map("".join)


def literal(data: bytes) -> bytes:
    """A PDF literal string: backslashes and carriage returns escaped, parentheses escaped only
    where unbalanced (the balanced ones may stay as they are, however deep)."""
    opened: list[int] = []
    unbalanced: set[int] = set()
    for index, byte in enumerate(data):
        if byte == 0x28:
            opened.append(index)
        elif byte == 0x29:
            if opened:
                opened.pop()
            else:
                unbalanced.add(index)
    unbalanced.update(opened)
    out = bytearray(b"(")
    for index, byte in enumerate(data):
        if byte == 0x0D:  # a bare carriage return in a string is read as a line feed
            out += b"\\r"
            continue
        if byte == 0x5C or index in unbalanced:
            out += b"\\"
        out.append(byte)
    return bytes(out + b")")


def plain_pdf(page_texts: list[bytes], uris: list[bytes], title: bytes) -> bytes:
    """A PDF written by hand: one page per text, each with a link to ``uris[i]`` and one to the
    next page by a named destination; a cross-reference table; nothing compressed."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    count = len(page_texts)
    catalog, pages_node, font, names = add(b""), add(b""), add(b""), add(b"")
    objects[font - 1] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    page_nums = []
    dests = []
    for index, (text, uri) in enumerate(zip(page_texts, uris, strict=True)):
        content = b"BT /F1 9 Tf 40 700 Td " + literal(text) + b" Tj ET"
        stream = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        link = add(
            b"<< /Type /Annot /Subtype /Link /Rect [40 600 200 620] /A << /S /URI /URI %s >> >>"
            % literal(uri)
        )
        inner = add(b"")
        page = add(b"")
        page_nums.append(page)
        dests.append((b"p%d" % index, page))
        objects[page - 1] = (
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Annots [%d 0 R %d 0 R] >>"
            % (pages_node, stream, font, link, inner)
        )
        target = b"p%d" % ((index + 1) % count)
        objects[inner - 1] = b"<< /Type /Annot /Subtype /Link /Rect [40 500 200 520] /Dest (%s) >>" % target
    objects[pages_node - 1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (
        count,
        b" ".join(b"%d 0 R" % p for p in page_nums),
    )
    objects[names - 1] = b"<< /Names [%s] >>" % b" ".join(b"(%s) [%d 0 R /Fit]" % d for d in sorted(dests))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R /Names << /Dests %d 0 R >> >>" % (
        pages_node,
        names,
    )
    info = add(b"<< /Title %s >>" % literal(title))
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (num, body))
    start = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n\r\n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, catalog, info, start)
    )
    return out.getvalue()


def rewritten(data: bytes, mode: str) -> bytes:
    """The same file as qpdf writes it: object streams, with or without compressed streams."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(
            out,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            compress_streams=mode == "compressed",
            qdf=mode == "qdf",
        )
        return out.getvalue()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sources=st.lists(
        st.tuples(
            st.lists(texts.map(lambda t: t.encode("latin-1")), min_size=1, max_size=3),
            st.sampled_from(["plain", "compressed", "uncompressed", "qdf"]),
        ),
        min_size=1,
        max_size=3,
    ),
    uri=texts,
    title=texts,
    part=texts,
)
def test_any_text_survives_the_merge_and_the_output_passes_qpdfs_check(tmp_path, sources, uri, title, part):
    runs = []
    expected: list[tuple[bytes, bytes, int]] = []  # each output page: text, link target, next page
    font = StampFont([part])
    for index, (page_texts, mode) in enumerate(sources):
        uris = [uri.encode("latin-1") + b"#%d" % i for i in range(len(page_texts))]
        data = plain_pdf(page_texts, uris, title.encode("latin-1"))
        path = tmp_path / f"source-{index}.pdf"
        path.write_bytes(data if mode == "plain" else rewritten(data, mode))
        start, count = len(expected), len(page_texts)
        runs.append(merge.Run(path, 0, None, [merge.Bookmark(title, 1, 0)], font.head(part, start + 1)))
        expected.extend(
            (text, target, start + (i + 1) % count)
            for i, (text, target) in enumerate(zip(page_texts, uris, strict=True))
        )
    out = tmp_path / "out.pdf"
    assembled = merge.assemble(runs, out, title=title, stamping=font.stamping())
    assert assembled.pages == len(expected)
    with pikepdf.open(out) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert len(pdf.pages) == len(expected)
        for page, (text, target, following) in zip(pdf.pages, expected, strict=True):
            shown = [
                bytes(instruction.operands[0])
                for instruction in pikepdf.parse_content_stream(page)
                if isinstance(instruction, pikepdf.ContentStreamInstruction)
                and str(instruction.operator) == "Tj"
            ]
            assert len(shown) == 3  # the page's own text, then the part and the number printed on it
            assert shown[0] == text  # byte for byte
            annots = page.obj["/Annots"]
            assert bytes(annots[0]["/A"]["/URI"]) == target
            # The link to the next page by name now points to that page's copy.
            assert annots[1]["/Dest"][0].objgen == pdf.pages[following].obj.objgen
        assert [str(item.title) for item in pdf.open_outline().root] == [title] * len(sources)
    footers = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    )
    numbers = [page.split()[-1] for page in footers.stdout.split("\f")[: len(expected)]]
    assert numbers == [str(n) for n in range(1, len(expected) + 1)]

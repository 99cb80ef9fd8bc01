"""Assemble one PDF from runs of pages of many PDFs, with a nested outline (bookmarks).

Built for compilations of thousands of reports, in bounded memory: the output is written as it
goes. Each source file is read once (``reports/compilation/pdf_source.py``), whatever number of runs take
pages from it; the objects its selected pages need (content, fonts, images, link annotations)
are copied with new numbers and written at once, and the source is let go before the next one
is read. What stays in memory is one source at a time plus a few integers per object and page
(byte offsets, page numbers), so a document of 3,000 reports costs little more memory than
one of 100.

Links inside a report (its own table of contents) point to named destinations in the source's
catalog, which the output does not have: they become explicit destinations to the copied
pages, and links to pages that were not copied are dropped. The page tree, the outline, the
document information and the cross-reference table are written at the end.

Why it is our own code rather than a library's, and what it measured: docs/decisions/0004.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from .pdf_source import (
    WHITESPACE,
    SourcePdf,
    Unsupported,
    array_items,
    as_ref,
    dict_get,
    dict_items,
    normalized,
    ref_array,
    remap_refs,
    skip_value,
    string_value,
)

# Kids per page-tree node above the run nodes (readers find pages by walking down the tree).
TREE_FANOUT = 32
_INHERITED = (b"/Resources", b"/MediaBox", b"/CropBox", b"/Rotate")
_DEST_KEY = re.compile(rb"/(Dest|D)(?![^ \t\r\n\f\x00()<>\[\]{}/%])")
_LENGTH_REF = re.compile(rb"/Length[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+R")
_PLAIN_NAME = re.compile(rb"[ \t\r\n\f\x00]*\(([^\\()]*)\)")
_PARENT = re.compile(rb"/Parent[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+R")
_CONTENTS_OR_RESOURCES = re.compile(
    rb"/(Contents|Resources)[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+R"
    rb"(?![^ \t\r\n\f\x00()<>\[\]{}/%])"
)
_FIRST_REF = re.compile(rb"\[[ \t\r\n\f\x00]*(\d+)[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+R")


@dataclass(slots=True)
class Bookmark:
    title: str
    level: int  # 1 = top level
    page: int  # 0-based page index in the run it belongs to


@dataclass(slots=True)
class Stamp:
    """What is printed in the bottom margin of a run's pages: ``head``, content operators (the
    part's title, made by ``reports/compilation/stamp.py``), and the page's number in the output,
    ``first`` on the run's first page."""

    head: str
    first: int


@dataclass
class Stamping:
    """The font and place of the page numbers (``reports/compilation/stamp.py``): each digit's
    glyph code (hex) and advance (pt), the numbers' right edge and baseline, and the font's objects."""

    FONT_KEY = b"WsisCompilationStamp"

    digits: dict[str, tuple[str, float]]
    right: float
    baseline: float
    size: float
    color: str
    objects: Callable[[list[int]], list[tuple[bytes, bytes | None]]] | None = None
    font: int = 0  # object numbers in the output, given by ``assemble``
    opening: int = 0

    def as_job(self) -> dict:
        return {
            k: getattr(self, k) for k in ("digits", "right", "baseline", "size", "color", "font", "opening")
        }

    def number(self, value: int) -> bytes:
        glyphs = "".join(self.digits[d][0] for d in str(value))
        width = sum(self.digits[d][1] for d in str(value))
        return b"BT /%s %.1f Tf %s rg 1 0 0 1 %.2f %.2f Tm <%s> Tj ET" % (
            self.FONT_KEY,
            self.size,
            self.color.encode(),
            self.right - width,
            self.baseline,
            glyphs.encode(),
        )


@dataclass(slots=True)  # a 10,000-report compilation holds 100,000 of them
class Run:
    """Pages ``first``..``last`` (0-based, inclusive; ``last=None``: to the end) of ``path``,
    with ``stamp`` printed on each of them (when given)."""

    path: Path | Later
    first: int = 0
    last: int | None = None
    bookmarks: Sequence[Bookmark] = ()
    stamp: Stamp | None = None


@dataclass
class Assembled:
    pages: int
    run_starts: list[int]  # 0-based first page of each run in the output


class _Writer:
    """Writes numbered objects to a file as they come; the cross-reference table at the end."""

    def __init__(self, path: Path, offsets: array | None = None) -> None:
        """A new file; or, with ``offsets`` (of the objects already there), one to go on with."""
        if offsets is None:
            self.fh = path.open("wb", buffering=1 << 20)
            self.pos = 0
            self.offsets = array("Q", [0])  # index: object number
            self._put(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        else:
            self.fh = path.open("ab", buffering=1 << 20)
            self.pos = self.fh.tell()
            self.offsets = offsets

    def _put(self, data: bytes) -> None:
        self.fh.write(data)
        self.pos += len(data)

    def reserve(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def write(self, num: int, body: bytes, stream: bytes | None = None) -> None:
        self.offsets[num] = self.pos
        if stream is None:
            self._put(b"%d 0 obj\n%s\nendobj\n" % (num, body))
        else:
            self._put(b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (num, body, stream))

    def finish(self, *, root: int, info: int, file_id: bytes) -> None:
        start = self.pos
        self._put(b"xref\n0 %d\n0000000000 65535 f\r\n" % len(self.offsets))
        for chunk in range(1, len(self.offsets), 4096):  # 20 bytes an object, written in chunks
            self._put(
                b"".join(
                    b"%010d 00000 n\r\n" % offset if offset else b"0000000000 00000 f\r\n"
                    for offset in self.offsets[chunk : chunk + 4096]
                )
            )
        ident = b"<" + file_id.hex().encode() + b">"
        self._put(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [%s %s] >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self.offsets), root, info, ident, ident, start)
        )
        self.fh.close()

    def abort(self) -> None:
        self.fh.close()

    def mark(self) -> tuple[int, int]:
        return self.pos, len(self.offsets)

    def rewind(self, mark: tuple[int, int]) -> None:
        """Take back what was written and reserved since ``mark``."""
        pos, count = mark
        self.fh.seek(pos)
        self.fh.truncate()
        self.pos = pos
        del self.offsets[count:]


def pdf_text(text: str) -> bytes:
    """A PDF text string: literal when plain ASCII, UTF-16 (with its byte order mark) otherwise."""
    if text.isascii() and text.isprintable():
        return b"(" + re.sub(rb"([\\()])", rb"\\\1", text.encode("ascii")) + b")"
    return b"<feff" + text.encode("utf-16-be").hex().encode() + b">"


class _SourceCopy:
    """Copies the pages of one source that some runs select, with what they need."""

    def __init__(self, writer: _Writer, src: SourcePdf, stamping: Stamping | None = None) -> None:
        self.writer = writer
        self.src = src
        self.stamping = stamping
        self._stamped_resources: dict[int, int] = {}  # source resources object -> its stamped copy
        self.mapping: dict[int, int] = {}  # source object number -> output object number
        self.pending: list[int] = []
        self.overrides: dict[int, bytes] = {}
        self.page_target: dict[int, int] = {}  # source page -> its (first) copy in the output
        self.blocked: set[int] = set()  # pages not copied and page-tree nodes: become null
        self._named: dict[bytes, bytes] | None = None
        self._attributes: dict[int, dict[bytes, bytes]] = {}

    def copy(self, selections: list[tuple[list[int], int, Stamp | None]]) -> list[list[int]]:
        """``selections``: (source page numbers, output parent node, stamp) for each run; returns
        the output page numbers of each run."""
        all_pages = self.src.page_numbers()
        copies: list[list[int]] = []
        for pages, _parent, _stamp in selections:
            numbers = [self.writer.reserve() for _ in pages]
            for source_page, out in zip(pages, numbers, strict=True):
                self.page_target.setdefault(source_page, out)
            copies.append(numbers)
        nodes = self.src.tree_nodes()
        self.blocked = (set(all_pages) - set(self.page_target)) | nodes
        # Do the page-tree nodes pass attributes down to the pages (rare)?
        self.inherits = any(key in self.src.get(node).body for node in nodes for key in _INHERITED)
        for (pages, parent, stamp), numbers in zip(selections, copies, strict=True):
            for index, (source_page, out) in enumerate(zip(pages, numbers, strict=True)):
                if stamp is None or self.stamping is None:
                    self.writer.write(out, self._page_body(source_page, parent))
                    continue
                ops = b"Q %s %s" % (stamp.head.encode("ascii"), self.stamping.number(stamp.first + index))
                printed = self.writer.reserve()
                self.writer.write(out, self._page_body(source_page, parent, printed))
                self.writer.write(printed, b"<< /Length %d >>" % len(ops), ops)
        while self.pending:
            num = self.pending.pop()
            obj = self.src.get(num)
            body = self.overrides.get(num, obj.body)
            if obj.stream is not None:
                body = _LENGTH_REF.sub(b"/Length %d" % len(obj.stream), body)
            self.writer.write(self.mapping[num], self._remap(body), obj.stream)
        return copies

    def _ref(self, match: re.Match) -> bytes:
        if match.group(1) is None:
            return match.group(0)
        num = int(match.group(1))
        out = self.page_target.get(num)
        if out is not None:
            return b"%d 0 R" % out
        if num in self.blocked:
            return b"null"
        out = self.mapping.get(num)
        if out is None:
            out = self.mapping[num] = self.writer.reserve()
            self.pending.append(num)
        return b"%d 0 R" % out

    def _remap(self, body: bytes) -> bytes:
        return remap_refs(body, self._ref)

    def _page_body(self, num: int, parent: int, stamp: int | None = None) -> bytes:
        """The page for the output (references renumbered), under ``parent``; with ``stamp``, the
        number of a content stream drawn over the page (its font added to the page's resources)."""
        body = self.src.get(num).body
        if stamp is None and not self.inherits and b"/Annots" not in body:  # the usual page
            body = self._remap(_PARENT.sub(b"", body, count=1)).rstrip(WHITESPACE)
            if body.endswith(b">>"):
                return body[:-2] + b" /Parent %d 0 R >>" % parent
        elif stamp is not None and not self.inherits and b"/Annots" not in body and b"(" not in body:
            fast = self._stamped_fast(_PARENT.sub(b"", body, count=1).rstrip(WHITESPACE), stamp)
            if fast is not None:  # the usual page: one content stream, shared resources
                return fast[:-2] + b" /Parent %d 0 R >>" % parent
        items = dict_items(body)
        keys = {k for k, _v in items}
        up = as_ref(next((v for k, v in items if k == b"/Parent"), None))
        if up is not None and not keys.issuperset(_INHERITED):
            inherited = self._node_attributes(up, set())
            items += [(k, v) for k, v in inherited.items() if k not in keys]
        parts = []
        if stamp is not None:
            items = self._stamped(items, stamp)
        for key, value in items:
            if key == b"/Parent":
                continue
            if key.startswith(b"\x00"):  # made here: already numbered for the output
                parts.append(key[1:] + b" " + value)
                continue
            if key == b"/Annots":
                annotations = self._annotations(value)
                if annotations is not None:
                    parts.append(key + b" " + annotations)
                continue
            parts.append(key + b" " + self._remap(value))
        parts.append(b"/Parent %d 0 R" % parent)
        return b"<< " + b" ".join(parts) + b" >>"

    def _stamped_fast(self, body: bytes, stamp: int) -> bytes | None:
        """``_stamped`` for a page whose content is one stream and whose resources an object, both
        given by reference (what WeasyPrint writes), without parsing the page; None otherwise."""
        assert self.stamping is not None
        found = list(_CONTENTS_OR_RESOURCES.finditer(body))
        kinds = sorted(m.group(1) for m in found)
        if kinds != [b"Contents", b"Resources"] or not body.endswith(b">>"):
            return None
        parts, pos = [], 0
        for match in found:
            ref = int(match.group(2))
            if match.group(1) == b"Contents":
                if not self.src.is_stream(ref):
                    return None
                value = b"/Contents [%d 0 R %s %d 0 R]" % (
                    self.stamping.opening,
                    self._remap(b"%d 0 R" % ref),
                    stamp,
                )
            else:
                value = b"/Resources " + self._resources(b"%d 0 R" % ref)
            parts += [self._remap(body[pos : match.start()]), value]
            pos = match.end()
        parts.append(self._remap(body[pos:]))
        return b"".join(parts)

    def _stamped(self, items: list[tuple[bytes, bytes]], stamp: int) -> list[tuple[bytes, bytes]]:
        """The page's items with ``stamp`` drawn after its content (the content in ``q``/``Q``, so
        that whatever state it leaves does not move the stamp) and the stamp's font in its resources."""
        assert self.stamping is not None
        opening = b"%d 0 R" % self.stamping.opening
        contents = b"[%s %d 0 R]" % (opening, stamp)
        resources = b"\x00/Resources", self._resources(None)
        kept: list[tuple[bytes, bytes]] = []
        for key, value in items:
            if key == b"/Contents":
                ref = as_ref(value)
                if ref is not None and self.src.get(ref).stream is None:  # an array kept apart
                    value = self.src.get(ref).body
                inner = self._remap(value).strip(WHITESPACE)
                inner = inner[1:-1] if inner.startswith(b"[") else inner
                contents = b"[%s %s %d 0 R]" % (opening, inner, stamp)
            elif key == b"/Resources":
                resources = b"\x00/Resources", self._resources(value)
            else:
                kept.append((key, value))
        return [*kept, (b"\x00/Contents", contents), resources]

    def _resources(self, value: bytes | None) -> bytes:
        """The page's resources (output numbers) with the stamp's font; a shared resources object
        is copied once per source with the font added."""
        assert self.stamping is not None
        ref = as_ref(value) if value is not None else None
        if ref is not None:
            out = self._stamped_resources.get(ref)
            if out is None:
                out = self._stamped_resources[ref] = self.writer.reserve()
                self.writer.write(out, self._with_font(self.src.get(ref).body))
            return b"%d 0 R" % out
        return self._with_font(value if value is not None else b"<< >>")

    def _with_font(self, resources: bytes) -> bytes:
        assert self.stamping is not None
        entry = b"/%s %d 0 R" % (Stamping.FONT_KEY, self.stamping.font)
        parts, has_fonts = [], False
        for key, value in dict_items(resources):
            if key == b"/Font":
                fonts = self.src.resolve(value) or b"<< >>"
                fonts = self._remap(fonts).rstrip(WHITESPACE)
                value, has_fonts = fonts[:-2] + b" " + entry + b" >>", True
                parts.append(key + b" " + value)
            else:
                parts.append(key + b" " + self._remap(value))
        if not has_fonts:
            parts.append(b"/Font << " + entry + b" >>")
        return b"<< " + b" ".join(parts) + b" >>"

    def _node_attributes(self, num: int, seen: set[int]) -> dict[bytes, bytes]:
        """Inheritable attributes a page-tree node passes down to its pages."""
        if num not in self._attributes:
            seen.add(num)
            items = dict(dict_items(self.src.get(num).body))
            parent = as_ref(items.get(b"/Parent"))
            inherited = (
                self._node_attributes(parent, seen) if parent is not None and parent not in seen else {}
            )
            self._attributes[num] = {**inherited, **{k: v for k, v in items.items() if k in _INHERITED}}
        return self._attributes[num]

    def _annotations(self, value: bytes) -> bytes | None:
        """The page's annotations that are kept, as an output array (written as they come)."""
        kept = []
        value = self.src.resolve(value) or b"[]"
        refs = ref_array(value)
        for item in [b"%d 0 R" % r for r in refs] if refs is not None else array_items(value):
            ref = as_ref(item)
            body = self.src.get(ref).body if ref is not None else item
            fixed = self._link(body)
            if fixed is None:
                continue
            if ref is None:
                kept.append(self._remap(fixed))
                continue
            out = self.mapping.get(ref)
            if out is None:
                out = self.mapping[ref] = self.writer.reserve()
                self.writer.write(out, self._remap(fixed))
            else:  # already met: written, or waiting in ``pending``
                self.overrides[ref] = fixed
            kept.append(b"%d 0 R" % out)
        return b"[" + b" ".join(kept) + b"]" if kept else None

    def _link(self, body: bytes) -> bytes | None:
        """The annotation with its destination made explicit; None when it points to a page
        that is not copied. Annotations without a destination are kept as they are."""
        for match in _DEST_KEY.finditer(body):
            if match.group(1) == b"D" and b"/GoTo" not in body:
                continue
            start = match.end()
            plain = _PLAIN_NAME.match(body, start)  # the usual case: (name) without escapes
            end = plain.end() if plain else skip_value(body, start)
            if plain:
                dest = self._named_destination(plain.group(1))
            else:
                dest = self._explicit(body[start:end].strip(WHITESPACE))
            if not dest:
                return None
            target = _FIRST_REF.match(dest)
            if target is None or int(target.group(1)) not in self.page_target:
                return None
            return body[:start] + b" " + dest + body[end:]
        return body

    def _named_destination(self, name: bytes) -> bytes | None:
        if self._named is None:
            self._named = self.src.named_destinations()
        return self._named.get(name)

    def _explicit(self, dest: bytes) -> bytes | None:
        if dest[:1] in (b"(", b"<", b"/") and not dest.startswith(b"<<"):
            return self._named_destination(dest if dest.startswith(b"/") else string_value(dest))
        resolved = self.src.resolve(dest)
        if resolved and resolved.startswith(b"<<"):
            resolved = self.src.resolve(dict_get(resolved, b"/D"))
        return resolved


def _outline(writer: _Writer, runs: list[Run], run_pages: list[list[int]], outlines: int) -> int:
    """Write the outline items under ``outlines``; return how many there are."""
    # (title, page object, children) trees from the bookmarks' levels
    top: list[list] = []
    stack: list[list] = []
    for run, pages in zip(runs, run_pages, strict=True):
        for mark in run.bookmarks:
            if not pages:
                continue
            node = [mark.title, pages[min(mark.page, len(pages) - 1)], [], writer.reserve()]
            level = max(1, mark.level)
            del stack[level - 1 :]
            (stack[-1][2] if stack else top).append(node)
            stack.append(node)

    def count(nodes: list[list]) -> int:
        return sum(1 + count(n[2]) for n in nodes)

    def write(nodes: list[list], parent: int) -> None:
        for index, (title, page, children, num) in enumerate(nodes):
            parts = [b"/Title " + pdf_text(title), b"/Parent %d 0 R" % parent]
            if index:
                parts.append(b"/Prev %d 0 R" % nodes[index - 1][3])
            if index + 1 < len(nodes):
                parts.append(b"/Next %d 0 R" % nodes[index + 1][3])
            if children:
                parts.append(
                    b"/First %d 0 R /Last %d 0 R /Count %d"
                    % (children[0][3], children[-1][3], count(children))
                )
            parts.append(b"/Dest [%d 0 R /Fit]" % page)
            writer.write(num, b"<< " + b" ".join(parts) + b" >>")
            write(children, num)

    write(top, outlines)
    if top:
        writer.write(
            outlines,
            b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>"
            % (top[0][3], top[-1][3], count(top)),
        )
    return len(top)


def _page_tree(writer: _Writer, root: int, run_nodes: list[int], run_pages: list[list[int]]) -> int:
    """Write the run nodes and the nodes above them; return the number of pages."""
    level: list[tuple[int, int, list[int] | None]] = [
        (num, len(pages), pages) for num, pages in zip(run_nodes, run_pages, strict=True) if pages
    ]
    for num, pages in zip(run_nodes, run_pages, strict=True):
        if not pages:
            writer.write(num, b"null")
    kids_of: dict[int, list[tuple[int, int]]] = {}
    while len(level) > TREE_FANOUT:
        grouped: list[tuple[int, int, list[int] | None]] = []
        for start in range(0, len(level), TREE_FANOUT):
            chunk = level[start : start + TREE_FANOUT]
            num = writer.reserve()
            kids_of[num] = [(n, c) for n, c, _p in chunk]
            grouped.append((num, sum(c for _n, c, _p in chunk), None))
        level = grouped
    kids_of[root] = [(n, c) for n, c, _p in level]
    parent_of = {kid: parent for parent, kids in kids_of.items() for kid, _c in kids}
    for num, pages in zip(run_nodes, run_pages, strict=True):
        if pages:
            writer.write(
                num,
                b"<< /Type /Pages /Parent %d 0 R /Count %d /Kids [%s] >>"
                % (parent_of[num], len(pages), b" ".join(b"%d 0 R" % p for p in pages)),
            )
    total = 0
    for num, kids in kids_of.items():
        count = sum(c for _k, c in kids)
        parent = b" /Parent %d 0 R" % parent_of[num] if num in parent_of else b""
        writer.write(
            num,
            b"<< /Type /Pages%s /Count %d /Kids [%s] >>"
            % (parent, count, b" ".join(b"%d 0 R" % k for k, _c in kids)),
        )
        if num == root:
            total = count
    return total


def _metadata(title: str, author: str, language: str, when: datetime) -> bytes:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>'
        f"<dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>"
        f"<dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li></rdf:Bag></dc:language>"
        f"<xmp:CreateDate>{stamp}</xmp:CreateDate>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


class Later:
    """A source that is made while the other sources are copied (the compilation's own pages,
    laid out by WeasyPrint meanwhile): ``make`` is called once, after the copying has started."""

    def __init__(self, make: Callable[[], Path]) -> None:
        self._make = make
        self._path: Path | None = None

    def path(self) -> Path:
        if self._path is None:
            self._path = self._make()
        return self._path


# Below this many source files, copying them in a second process costs more than it saves.
PARALLEL_MIN_SOURCES = 40


# What a source the reader cannot take as it is raises while it is read or copied.
UNREADABLE = (Unsupported, ValueError, KeyError, IndexError, TypeError, zlib.error, RecursionError)

RunEntry = tuple[int, int, "int | None", int, "Stamp | None"]  # run index, first, last, parent node, stamp


def _copy_one(
    writer: _Writer, src: SourcePdf, selected: list[RunEntry], stamping: Stamping | None
) -> list[list[int]]:
    all_pages = src.page_numbers()
    selections = []
    for _index, first, last, node, stamp in selected:
        end = len(all_pages) - 1 if last is None else min(last, len(all_pages) - 1)
        selections.append((all_pages[first : end + 1], node, stamp))
    return _SourceCopy(writer, src, stamping).copy(selections)


Progress = Callable[[int, int], None]  # (sources copied, sources in all)


def _copy_sources(
    writer: _Writer,
    jobs: Iterable[tuple[Path, list[RunEntry]]],
    total: int,
    copied: Callable[[int, list[int]], None],
    stamping: Stamping | None = None,
    progress: Progress | None = None,
) -> None:
    """Copy each source's runs, telling ``copied`` each run's pages (run index, page objects). A
    source the reader cannot handle (as it is opened, or halfway through its copy: what it wrote
    is taken back) is rewritten by qpdf and copied again. ``progress`` hears of every source
    copied (of ``total``)."""
    for done, (path, selected) in enumerate(jobs, start=1):
        data = Path(path).read_bytes()
        mark = writer.mark()
        try:
            pages = _copy_one(writer, SourcePdf(data), selected, stamping)
        except UNREADABLE:
            writer.rewind(mark)
            pages = _copy_one(writer, SourcePdf(normalized(data)), selected, stamping)
        for (index, *_rest), run_pages in zip(selected, pages, strict=True):
            copied(index, run_pages)
        del data
        if progress is not None:
            progress(done, total)


def _child_main(job_path: str) -> None:
    """``python -m reports.compilation.merge JOB``: copy the sources the job describes into the
    output the parent process started. The job is a header line (JSON) and one line per source,
    read as the copying goes. Leaves the new objects' byte offsets next to the job file
    (``.offsets``, 8 bytes each) and each run's pages (``.pages``: run index, count, page objects)."""
    base = Path(job_path)
    with base.open() as lines, base.with_suffix(".pages").open("wb") as pages_out:
        job = json.loads(lines.readline())
        writer = _Writer(Path(job["output"]), offsets=array("Q", [0]) * job["next"])
        stamping = (
            Stamping(
                **{**job["stamping"], "digits": {k: tuple(v) for k, v in job["stamping"]["digits"].items()}}
            )
            if job["stamping"]
            else None
        )
        heads = job["heads"]

        def sources() -> Iterator[tuple[Path, list[RunEntry]]]:
            for line in lines:
                path, runs = json.loads(line)
                yield (
                    Path(path),
                    [
                        (i, f, la, n, Stamp(heads[h], first) if h >= 0 else None)
                        for i, f, la, n, h, first in runs
                    ],
                )

        progress_path = base.with_suffix(".progress")
        step = max(1, job["sources"] // 100)

        def tell(done: int, total: int) -> None:  # read by the parent while it waits
            if done % step == 0 or done == total:
                progress_path.write_text(str(done))

        def copied(index: int, run_pages: list[int]) -> None:
            array("Q", [index, len(run_pages), *run_pages]).tofile(pages_out)

        _copy_sources(writer, sources(), job["sources"], copied, stamping, tell)
    writer.fh.close()
    with base.with_suffix(".offsets").open("wb") as fh:
        writer.offsets[job["next"] :].tofile(fh)


def _start_child(
    output: Path, first: int, jobs: list, job_path: Path, stamping: Stamping | None
) -> subprocess.Popen:
    heads: dict[str, int] = {}  # each part's head once, not once per run (100,000 of them)
    with job_path.open("w") as fh:
        body = [
            json.dumps(
                [
                    str(p),
                    [
                        [i, f, la, n, heads.setdefault(s.head, len(heads)), s.first]
                        if s
                        else [i, f, la, n, -1, 0]
                        for i, f, la, n, s in runs
                    ],
                ]
            )
            for p, runs in jobs
        ]
        header = {
            "output": str(output),
            "next": first,
            "sources": len(jobs),
            "heads": list(heads),
            "stamping": stamping.as_job() if stamping else None,
        }
        fh.write(json.dumps(header) + "\n")
        for line in body:
            fh.write(line + "\n")
    return subprocess.Popen(
        [sys.executable, "-m", f"{__package__}.merge", str(job_path)],
        cwd=Path(__file__).resolve().parents[2],  # the project's root, where reports/ is
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _tell_progress(path: Path, total: int, progress: Progress | None) -> None:
    if progress is not None and path.exists():
        text = path.read_text()
        if text.isdigit():
            progress(int(text), total)


def _finish_child(
    child: subprocess.Popen,
    first: int,
    job_path: Path,
    total: int,
    progress: Progress | None,
    run_pages: list[list[int]],
) -> array:
    """Wait for the child (passing on how far it got); return its objects' offsets and put each
    run's pages in ``run_pages``."""
    progress_path = job_path.with_suffix(".progress")
    while True:
        try:
            _out, err = child.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:  # still copying; communicate() goes on reading its output
            _tell_progress(progress_path, total, progress)
    _tell_progress(progress_path, total, progress)
    if child.returncode != 0:
        raise RuntimeError(f"copying the reports' pages failed: {err.decode(errors='replace')[-2000:]}")
    offsets = array("Q", [0]) * first
    offsets_path = job_path.with_suffix(".offsets")
    with offsets_path.open("rb") as fh:
        offsets.fromfile(fh, offsets_path.stat().st_size // offsets.itemsize)
    flat = array("Q")
    pages_path = job_path.with_suffix(".pages")
    with pages_path.open("rb") as fh:
        flat.fromfile(fh, pages_path.stat().st_size // flat.itemsize)
    at = 0
    while at < len(flat):
        index, count = flat[at], flat[at + 1]
        run_pages[index] = flat[at + 2 : at + 2 + count].tolist()
        at += 2 + count
    return offsets


def assemble(
    runs: Iterable[Run],
    output: Path,
    *,
    title: str = "",
    author: str = "",
    language: str = "en",
    parallel: bool | None = None,
    stamping: Stamping | None = None,
    progress: Progress | None = None,
) -> Assembled:
    """Write ``output`` from the runs, in order, with their bookmarks as the PDF outline.

    Runs whose ``path`` is a ``Later`` are made while the other sources are copied: with
    ``parallel`` (by default: when there are many sources) the copying happens in a child
    process (``python -m reports.compilation.merge``) and ``Later.path()`` runs here at the same time.

    Runs with a ``stamp`` get it printed in their pages' bottom margin, in ``stamping``'s font; the
    stamps' page numbers must be the pages' real numbers (checked at the end). ``progress`` hears
    how many of the reports' sources are copied."""
    runs = list(runs)
    writer = _Writer(output)
    try:
        catalog, root, outlines, info, metadata = (writer.reserve() for _ in range(5))
        run_nodes = [writer.reserve() for _ in runs]
        font_numbers: list[int] = []
        if stamping is not None:
            font_numbers = [writer.reserve() for _ in range(5)]
            stamping.font, stamping.opening = font_numbers[0], writer.reserve()
        run_pages: list[list[int]] = [[] for _ in runs]
        now_jobs: dict[Path, list] = {}
        later_jobs: dict[int, tuple[Later, list]] = {}
        for index, run in enumerate(runs):
            entry = (index, run.first, run.last, run_nodes[index], run.stamp)
            if isinstance(run.path, Later):
                later_jobs.setdefault(id(run.path), (run.path, []))[1].append(entry)
            else:
                now_jobs.setdefault(Path(run.path), []).append(entry)
        jobs = list(now_jobs.items())
        if parallel is None:
            parallel = bool(later_jobs) and len(jobs) >= PARALLEL_MIN_SOURCES
        if parallel and jobs:
            writer.fh.close()
            first = len(writer.offsets)
            with tempfile.TemporaryDirectory(prefix="compilation-merge-") as tmp:
                job_path = Path(tmp) / "job.jsonl"
                child = _start_child(output, first, jobs, job_path, stamping)
                try:
                    made = [(later.path(), entries) for later, entries in later_jobs.values()]
                except BaseException:
                    child.kill()
                    child.communicate()
                    raise
                offsets = _finish_child(child, first, job_path, len(jobs), progress, run_pages)
            writer = _Writer(output, offsets=offsets)
        else:
            _copy_sources(writer, jobs, len(jobs), run_pages.__setitem__, stamping, progress)
            made = [(later.path(), entries) for later, entries in later_jobs.values()]
        _copy_sources(writer, made, len(made), run_pages.__setitem__, stamping)
        total = _page_tree(writer, root, run_nodes, run_pages)
        _check_stamps(runs, run_pages)
        if stamping is not None:
            writer.write(stamping.opening, b"<< /Length 1 >>", b"q")
            assert stamping.objects is not None
            for num, (body, stream) in zip(font_numbers, stamping.objects(font_numbers), strict=True):
                writer.write(num, body, stream)
        has_outline = _outline(writer, runs, run_pages, outlines) > 0
        if not has_outline:
            writer.write(outlines, b"<< /Type /Outlines /Count 0 >>")
        now = datetime.now(UTC)
        writer.write(
            metadata,
            b"<< /Type /Metadata /Subtype /XML /Length %d >>"
            % len(xmp := _metadata(title, author, language, now)),
            xmp,
        )
        writer.write(
            catalog,
            b"<< /Type /Catalog /Pages %d 0 R /Outlines %d 0 R /PageMode /%s /Lang %s /Metadata %d 0 R "
            b"/PageLabels << /Nums [0 << /S /D >>] >> >>"
            % (root, outlines, b"UseOutlines" if has_outline else b"UseNone", pdf_text(language), metadata),
        )
        writer.write(
            info,
            b"<< /Title %s /Author %s /CreationDate (D:%s) >>"
            % (pdf_text(title), pdf_text(author), now.strftime("%Y%m%d%H%M%SZ").encode()),
        )
        file_id = hashlib.md5(f"{output}|{now.isoformat()}|{total}".encode(), usedforsecurity=False).digest()
        writer.finish(root=catalog, info=info, file_id=file_id)
    except BaseException:
        writer.abort()
        output.unlink(missing_ok=True)
        raise
    starts, page = [], 0
    for copied in run_pages:
        starts.append(page)
        page += len(copied)
    return Assembled(pages=total, run_starts=starts)


def _check_stamps(runs: list[Run], run_pages: list[list[int]]) -> None:
    """Every stamped run printed the numbers of the pages it really landed on."""
    page = 1
    for run, pages in zip(runs, run_pages, strict=True):
        if run.stamp is not None and pages and run.stamp.first != page:
            raise RuntimeError(f"a run stamped from page {run.stamp.first} starts on page {page}")
        page += len(pages)


if __name__ == "__main__":
    _child_main(sys.argv[1])

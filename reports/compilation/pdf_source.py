"""Read the objects of a PDF file as bytes, for ``reports/compilation/merge.py``.

Just enough of a PDF reader to copy objects from one file into another without interpreting
them: the cross-reference table or stream (with ``/Prev`` chains), object streams, stream data,
and a small parser for the few dictionaries the merge has to look into (pages, link
annotations, the catalog's named destinations). Object bodies are handed out as the bytes
found in the file; ``reports/compilation/merge.py`` renumbers their references with ``remap_refs``.

Anything it does not understand (encryption, unusual stream filters) raises ``Unsupported``;
``normalized`` then has qpdf (pikepdf) rewrite the file in the plain form this reader handles.
See docs/decisions/0004 for why the compilation reads PDFs itself.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

WHITESPACE = b" \t\r\n\f\x00"
_WS = re.compile(rb"(?:[ \t\r\n\f\x00]+|%[^\r\n]*)*")
_NAME = re.compile(rb"/[^ \t\r\n\f\x00()<>\[\]{}/%]*")
_TOKEN = re.compile(rb"[^ \t\r\n\f\x00()<>\[\]{}/%]+")
_REF_AT = re.compile(rb"(\d+)[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+R(?![^ \t\r\n\f\x00()<>\[\]{}/%])")
_OBJ_HEADER = re.compile(rb"(\d+)[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+obj")
_STREAM_OR_END = re.compile(rb">>[ \t\r\n\f\x00]*stream(?:\r\n|\n|\r)|endobj")
_LENGTH = re.compile(
    rb"/Length[ \t\r\n\f\x00]+(\d+)(?![ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+R)(?=[ \t\r\n\f\x00/>])"
)
_KIDS = re.compile(rb"/Kids[ \t\r\n\f\x00]*(\[[^\[\]()<>]*\])")
_STARTXREF = re.compile(rb"startxref\s+(\d+)")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_XREF_SUBSECTION = re.compile(rb"(\d+)[ \t]+(\d+)")


# Arrays and dictionaries nested up to four levels deep, matched in one step (nearly all of
# them); deeper ones are walked value by value.
_STR = rb"\((?:[^\\()]|\\.)*\)"
_HEX = rb"<[0-9A-Fa-f \t\r\n\f\x00]*>"
_SCALAR = rb"[^\[\]()<>]|" + _STR + rb"|" + _HEX


def _nested(depth: int) -> tuple[bytes, bytes]:
    inner = _SCALAR
    array = dictionary = b""
    for _level in range(depth):
        array = rb"\[(?:" + inner + rb")*\]"
        dictionary = rb"<<(?:" + inner + rb")*>>"
        inner = _SCALAR + rb"|" + array + rb"|" + dictionary
    return array, dictionary


_DEEP_ARRAY, _DEEP_DICT = _nested(4)
_FAST_ARRAY = re.compile(_DEEP_ARRAY, re.S)
_FAST_DICT = re.compile(_DEEP_DICT, re.S)
_DICT_ITEM = re.compile(
    rb"[ \t\r\n\f\x00]*(/[^ \t\r\n\f\x00()<>\[\]{}/%]*+)[ \t\r\n\f\x00]*("
    rb"\d+[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+R(?![^ \t\r\n\f\x00()<>\[\]{}/%])"
    rb"|/[^ \t\r\n\f\x00()<>\[\]{}/%]*+|[^ \t\r\n\f\x00()<>\[\]{}/%]++|"
    + _STR
    + rb"|"
    + _HEX
    + rb"|"
    + _DEEP_ARRAY
    + rb"|"
    + _DEEP_DICT
    + rb")",
    re.S,
)
_REF_ARRAY = re.compile(rb"\[(?:[ \t\r\n\f\x00]*\d+[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+R)*[ \t\r\n\f\x00]*\]")
_NAME_PAIR = re.compile(
    rb"[ \t\r\n\f\x00]*("
    + _STR
    + rb"|"
    + _HEX
    + rb")[ \t\r\n\f\x00]*(\[[^\[\]()<>]*\]|\d+[ \t\r\n\f\x00]+\d+[ \t\r\n\f\x00]+R)",
    re.S,
)


class Unsupported(ValueError):
    """The file uses a feature this reader does not handle."""


@dataclass(frozen=True)
class Ref:
    num: int


_REF = re.compile(
    rb"(?<![^ \t\r\n\f\x00()<>\[\]{}/%])(\d+)[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+R"
    rb"(?![^ \t\r\n\f\x00()<>\[\]{}/%])"
)


def remap_refs(body: bytes, replace: Callable[[re.Match[bytes]], bytes]) -> bytes:
    """``body`` with every reference replaced by ``replace(match)`` (group 1: the object number),
    literal strings left as they are however deeply their parentheses nest (text such as
    ``(see 1 0 R)`` is not a reference)."""
    if b"(" not in body:
        return _REF.sub(replace, body)
    out, pos = [], 0
    while (start := body.find(b"(", pos)) >= 0:
        out.append(_REF.sub(replace, body[pos:start]))
        end = skip_value(body, start)
        out.append(body[start:end])
        pos = end
    out.append(_REF.sub(replace, body[pos:]))
    return b"".join(out)


def refs_in(body: bytes) -> list[int]:
    """Object numbers referenced in ``body`` (strings skipped)."""
    found: list[int] = []

    def keep(match: re.Match[bytes]) -> bytes:
        found.append(int(match.group(1)))
        return match.group(0)

    remap_refs(body, keep)
    return found


# --- A small parser for the dictionaries the merge looks into ------------------------------


def _skip_ws(data: bytes, pos: int) -> int:
    return _always(_WS.match(data, pos)).end()


def _always(match: re.Match[bytes] | None) -> re.Match[bytes]:
    """A match of a pattern that matches wherever it is tried (it may match nothing)."""
    assert match is not None
    return match


def _skip_container(
    data: bytes, pos: int, fast: re.Pattern, opening: bytes, closing: bytes, kind: str
) -> int:
    """The end of the dictionary or array at ``pos``: one regular-expression step when it is
    nested no deeper than ``fast`` handles, else value by value."""
    match = fast.match(data, pos)
    if match:
        return match.end()
    pos += len(opening)
    while True:
        pos = _skip_ws(data, pos)
        if data.startswith(closing, pos):
            return pos + len(closing)
        if pos >= len(data):
            raise Unsupported(f"unterminated {kind}")
        pos = skip_value(data, pos)


def skip_value(data: bytes, pos: int) -> int:
    """The end of the PDF value starting at (or after whitespace from) ``pos``."""
    pos = _skip_ws(data, pos)
    head = data[pos : pos + 2]
    if head == b"<<":
        return _skip_container(data, pos, _FAST_DICT, b"<<", b">>", "dictionary")
    if head[:1] == b"[":
        return _skip_container(data, pos, _FAST_ARRAY, b"[", b"]", "array")
    if head[:1] == b"(":
        depth, pos = 0, pos
        while pos < len(data):
            char = data[pos]
            if char == 0x5C:  # backslash
                pos += 2
                continue
            if char == 0x28:
                depth += 1
            elif char == 0x29:
                depth -= 1
                if depth == 0:
                    return pos + 1
            pos += 1
        raise Unsupported("unterminated string")
    if head[:1] == b"<":
        end = data.find(b">", pos)
        if end < 0:
            raise Unsupported("unterminated hex string")
        return end + 1
    if head[:1] == b"/":
        return _always(_NAME.match(data, pos)).end()
    ref = _REF_AT.match(data, pos)
    if ref:
        return ref.end()
    token = _TOKEN.match(data, pos)
    if not token:
        raise Unsupported(f"unexpected byte at {pos}")
    return token.end()


def dict_items(body: bytes) -> list[tuple[bytes, bytes]]:
    """``[(b"/Key", raw value bytes), …]`` of the dictionary ``body``."""
    pos = _skip_ws(body, 0)
    if not body.startswith(b"<<", pos):
        raise Unsupported("not a dictionary")
    pos += 2
    items = []
    while True:
        item = _DICT_ITEM.match(body, pos)
        if item:  # one step for the usual values
            items.append((item.group(1), item.group(2)))
            pos = item.end()
            continue
        pos = _skip_ws(body, pos)
        if body.startswith(b">>", pos):
            return items
        key = _NAME.match(body, pos)
        if not key or pos >= len(body):
            raise Unsupported("bad dictionary key")
        start = _skip_ws(body, key.end())
        end = skip_value(body, start)
        items.append((key.group(0), body[start:end]))
        pos = end


def dict_get(body: bytes, key: bytes) -> bytes | None:
    for name, value in dict_items(body):
        if name == key:
            return value
    return None


def array_items(body: bytes) -> list[bytes]:
    pos = _skip_ws(body, 0)
    if not body.startswith(b"[", pos):
        raise Unsupported("not an array")
    pos += 1
    items: list[bytes] = []
    while True:
        pos = _skip_ws(body, pos)
        if body.startswith(b"]", pos):
            return items
        if pos >= len(body):
            raise Unsupported("unterminated array")
        end = skip_value(body, pos)
        items.append(body[pos:end])
        pos = end


def ref_array(body: bytes) -> list[int] | None:
    """The object numbers of an array made only of references; None for other arrays."""
    body = body.strip(WHITESPACE)
    if not _REF_ARRAY.fullmatch(body):
        return None
    return [int(m.group(1)) for m in _REF_AT.finditer(body)]


def as_ref(value: bytes | None) -> int | None:
    if value is None:
        return None
    match = _REF_AT.fullmatch(value.strip(WHITESPACE))
    return int(match.group(1)) if match else None


_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}


def string_value(raw: bytes) -> bytes:
    """The bytes of a literal ``(…)`` or hex ``<…>`` string."""
    raw = raw.strip(WHITESPACE)
    if b"\\" not in raw and raw.startswith(b"("):
        return raw[1:-1]
    if raw.startswith(b"<"):
        digits = re.sub(rb"[^0-9A-Fa-f]", b"", raw)
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
    out, pos, end = io.BytesIO(), 1, len(raw) - 1
    while pos < end:
        char = raw[pos]
        if char != 0x5C:
            out.write(raw[pos : pos + 1])
            pos += 1
            continue
        nxt = raw[pos + 1]
        if nxt in _ESCAPES:
            out.write(_ESCAPES[nxt])
            pos += 2
        elif 0x30 <= nxt <= 0x37:
            octal = _always(re.match(rb"[0-7]{1,3}", raw[pos + 1 : pos + 4])).group(0)
            out.write(bytes([int(octal, 8) & 0xFF]))
            pos += 1 + len(octal)
        elif nxt in (0x0A, 0x0D):  # line continuation
            pos += 3 if raw[pos + 1 : pos + 3] == b"\r\n" else 2
        else:
            out.write(bytes([nxt]))
            pos += 2
    return out.getvalue()


def _int(value: bytes | None, default: int = 0) -> int:
    return int(value) if value is not None else default


# --- The file ---------------------------------------------------------------------------------


@dataclass
class Obj:
    body: bytes  # the object (for a stream: its dictionary)
    stream: bytes | None = None  # a stream's data, as stored (still encoded)


class SourcePdf:
    """The objects of one PDF file, read from its bytes on demand."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offsets: dict[int, int] = {}  # object number -> byte offset
        self.in_streams: dict[int, tuple[int, int]] = {}  # object number -> (object stream, index)
        self._objstm: dict[int, tuple[bytes, list[tuple[int, int]], int]] = {}
        self._root: bytes | None = None
        self._root_items: dict[bytes, bytes] = {}
        self._pages: tuple[list[int], set[int]] | None = None
        self.trailer = self._read_xref()
        if dict_get(self.trailer, b"/Encrypt") is not None:
            raise Unsupported("encrypted")

    # Cross-reference sections, newest first; older entries never override newer ones.
    def _read_xref(self) -> bytes:
        tail = self.data[-2048:]
        found = list(_STARTXREF.finditer(tail))
        if not found:
            raise Unsupported("no startxref")
        pos: int | None = int(found[-1].group(1))
        trailer: bytes | None = None
        seen: set[int] = set()
        while pos is not None and pos not in seen:
            seen.add(pos)
            if self.data.startswith(b"xref", _skip_ws(self.data, pos)):
                section_trailer = self._read_xref_table(_skip_ws(self.data, pos) + 4)
            else:
                section_trailer = self._read_xref_stream(pos)
            trailer = trailer or section_trailer
            prev = dict_get(section_trailer, b"/Prev")
            pos = int(prev) if prev is not None else None
        if trailer is None:
            raise Unsupported("no trailer")
        return trailer

    def _read_xref_table(self, pos: int) -> bytes:
        data = self.data
        while True:
            pos = _skip_ws(data, pos)
            if data.startswith(b"trailer", pos):
                start = _skip_ws(data, pos + 7)
                return data[start : skip_value(data, start)]
            header = _XREF_SUBSECTION.match(data, pos)
            if not header:
                raise Unsupported("bad xref table")
            first, count = int(header.group(1)), int(header.group(2))
            pos = _skip_ws(data, header.end())
            for index in range(count):
                entry = _XREF_ENTRY.match(data, pos)
                if not entry:
                    raise Unsupported("bad xref entry")
                if entry.group(3) == b"n":
                    self.offsets.setdefault(first + index, int(entry.group(1)))
                pos = _skip_ws(data, entry.end())

    def _read_xref_stream(self, pos: int) -> bytes:
        obj = self._object_at(pos)
        if obj.stream is None:
            raise Unsupported("xref is not a stream")
        items = dict(dict_items(obj.body))
        widths = [int(w) for w in array_items(items[b"/W"])]
        index = [int(v) for v in array_items(items[b"/Index"])] if b"/Index" in items else None
        rows = self._decode(obj.body, obj.stream)
        if index is None:
            index = [0, int(items[b"/Size"])]
        row_len = sum(widths)
        columns: list[list[int] | None] = []  # each field of every row, a column at a time
        at = 0
        for width in widths:
            columns.append(
                [
                    int.from_bytes(rows[i : i + width], "big")
                    for i in range(at, len(rows) - row_len + 1, row_len)
                ]
                if width
                else None
            )
            at += width
        kinds, seconds, thirds = columns
        if seconds is None:
            raise Unsupported("cross-reference stream without offsets")
        numbers = [
            num
            for first, count in zip(index[::2], index[1::2], strict=True)
            for num in range(first, first + count)
        ]
        for row, num in enumerate(numbers[: len(seconds)]):
            kind = 1 if kinds is None else kinds[row]
            if kind == 1:
                self.offsets.setdefault(num, seconds[row])
            elif kind == 2 and num not in self.offsets:
                self.in_streams.setdefault(num, (seconds[row], thirds[row] if thirds else 0))
        return obj.body

    def _decode(self, body: bytes, raw: bytes) -> bytes:
        """Data of a stream the reader itself needs (xref and object streams)."""
        items = dict(dict_items(body))
        filters = items.get(b"/Filter", b"").strip(WHITESPACE)
        if filters in (b"", b"[]"):
            data = raw
        elif filters in (b"/FlateDecode", b"[/FlateDecode]", b"[ /FlateDecode ]"):
            data = zlib.decompress(raw)
        else:
            raise Unsupported(f"stream filter {filters!r}")
        params = items.get(b"/DecodeParms")
        if params and params.strip(WHITESPACE) != b"null":
            param = dict(dict_items(params))
            predictor = _int(param.get(b"/Predictor"), 1)
            if predictor >= 10:
                data = _png_unpredict(data, _int(param.get(b"/Columns"), 1))
            elif predictor != 1:
                raise Unsupported(f"predictor {predictor}")
        return data

    def _object_at(self, pos: int) -> Obj:
        data = self.data
        header = _OBJ_HEADER.match(data, _skip_ws(data, pos))
        if not header:
            raise Unsupported(f"no object at {pos}")
        start = _skip_ws(data, header.end())
        end = _STREAM_OR_END.search(data, start)
        if end and data.find(b"(", start, end.start()) >= 0:
            # A string may hold "endobj" or ">> stream": look for the end after the value.
            after = skip_value(data, start)
            end = _STREAM_OR_END.search(data, after - 2 if data[after - 2 : after] == b">>" else after)
        if not end:
            raise Unsupported("unterminated object")
        if end.group(0) == b"endobj":
            return Obj(data[start : end.start()].rstrip(WHITESPACE))
        body = data[start : end.start() + 2]
        direct = _LENGTH.search(body)
        if direct:
            length = int(direct.group(1))
        else:
            length_ref = as_ref(dict_get(body, b"/Length"))
            if length_ref is None:
                raise Unsupported("stream without a length")
            length = int(self.get(length_ref).body)
        stream = data[end.end() : end.end() + length]
        return Obj(body, stream)

    def is_stream(self, num: int) -> bool:
        """Whether object ``num`` is a stream, without reading its data."""
        if num not in self.offsets:
            return False  # in an object stream (never a stream) or missing
        data = self.data
        header = _OBJ_HEADER.match(data, _skip_ws(data, self.offsets[num]))
        if not header:
            return False
        start = _skip_ws(data, header.end())
        end = _STREAM_OR_END.search(data, start)
        if end and data.find(b"(", start, end.start()) >= 0:
            after = skip_value(data, start)
            end = _STREAM_OR_END.search(data, after - 2 if data[after - 2 : after] == b">>" else after)
        return end is not None and end.group(0) != b"endobj"

    def get(self, num: int) -> Obj:
        if num in self.offsets:
            return self._object_at(self.offsets[num])
        if num in self.in_streams:
            stream_num, index = self.in_streams[num]
            if stream_num not in self._objstm:
                holder = self._object_at(self.offsets[stream_num])
                content = self._decode(holder.body, holder.stream or b"")
                items = dict(dict_items(holder.body))
                count, first = int(items[b"/N"]), int(items[b"/First"])
                numbers = [int(v) for v in content[:first].split()]
                pairs = list(zip(numbers[::2], numbers[1::2], strict=True))[:count]
                self._objstm[stream_num] = (content, pairs, first)
            content, pairs, first = self._objstm[stream_num]
            start = first + pairs[index][1]
            end = first + pairs[index + 1][1] if index + 1 < len(pairs) else len(content)
            return Obj(content[start:end].strip(WHITESPACE))
        return Obj(b"null")

    def resolve(self, value: bytes | None) -> bytes | None:
        """A value, or the body of the object it refers to."""
        ref = as_ref(value)
        return self.get(ref).body if ref is not None else value

    # --- Pages and named destinations ---------------------------------------------------------

    def root(self) -> bytes:
        if self._root is None:
            self._root = self.resolve(dict_get(self.trailer, b"/Root")) or b"<<>>"
            self._root_items = dict(dict_items(self._root))
        return self._root

    def root_get(self, key: bytes) -> bytes | None:
        self.root()
        return self._root_items.get(key)

    def _kids(self, body: bytes) -> list[int] | None:
        if b"/Kids" not in body:
            return None
        found = _KIDS.search(body)
        kids = found.group(1) if found else self.resolve(dict_get(body, b"/Kids"))
        if kids is None:
            return None
        fast = ref_array(kids)
        if fast is not None:
            return fast
        return [r for r in (as_ref(k) for k in array_items(kids)) if r is not None]

    def _walk_pages(self) -> tuple[list[int], set[int]]:
        if self._pages is None:
            pages_ref = as_ref(self.root_get(b"/Pages"))
            pages: list[int] = []
            nodes: set[int] = set()
            stack = [pages_ref] if pages_ref is not None else []
            while stack:
                num = stack.pop()
                if num in nodes:
                    continue
                kids = self._kids(self.get(num).body)
                if kids is None:
                    pages.append(num)
                else:
                    nodes.add(num)
                    stack.extend(reversed(kids))
            self._pages = (pages, nodes)
        return self._pages

    def page_numbers(self) -> list[int]:
        """Object numbers of the pages, in order."""
        return self._walk_pages()[0]

    def tree_nodes(self) -> set[int]:
        """Object numbers of the page tree's intermediate nodes."""
        return self._walk_pages()[1]

    def named_destinations(self) -> dict[bytes, bytes]:
        """Name -> explicit destination array (raw bytes) from the catalog's /Dests name tree
        and the older /Dests dictionary."""
        self.root()
        root = self._root_items
        result: dict[bytes, bytes] = {}
        names = self.resolve(root.get(b"/Names"))
        tree = self.resolve(dict_get(names, b"/Dests")) if names else None
        stack = [tree] if tree else []
        while stack:
            node = dict(dict_items(stack.pop()))
            for kid in array_items(self.resolve(node.get(b"/Kids")) or b"[]"):
                if resolved := self.resolve(kid):
                    stack.append(resolved)
            names = (self.resolve(node.get(b"/Names")) or b"[]").strip(WHITESPACE)
            pos, end = 1, len(names) - 1
            while pos < end:  # (name) [destination] pairs
                pair = _NAME_PAIR.match(names, pos)
                if not pair:
                    break
                result[string_value(pair.group(1))] = self._dest_array(pair.group(2))
                pos = pair.end()
            if _skip_ws(names, pos) < end:
                pairs = array_items(names)
                for key, dest in zip(pairs[::2], pairs[1::2], strict=False):
                    result[string_value(key)] = self._dest_array(dest)
        old = self.resolve(root.get(b"/Dests"))
        if old:
            for key, dest in dict_items(old):
                result[key] = self._dest_array(dest)
        return result

    def _dest_array(self, dest: bytes) -> bytes:
        dest = self.resolve(dest) or b"null"
        if dest.lstrip(WHITESPACE).startswith(b"<<"):
            dest = self.resolve(dict_get(dest, b"/D")) or b"null"
        return dest


def _png_unpredict(data: bytes, columns: int) -> bytes:
    """Undo the PNG predictors (per-row filter byte) used by cross-reference streams."""
    row_len = columns + 1
    previous = bytearray(columns)
    out = bytearray()
    for start in range(0, len(data), row_len):
        kind, row = data[start], bytearray(data[start + 1 : start + row_len])
        if kind == 2:
            row = bytearray((a + b) & 0xFF for a, b in zip(row, previous, strict=False))
        elif kind == 1:
            for i in range(1, len(row)):
                row[i] = (row[i] + row[i - 1]) & 0xFF
        elif kind != 0:
            raise Unsupported(f"PNG predictor {kind}")
        out += row
        previous = row
    return bytes(out)


def normalized(data: bytes) -> bytes:
    """The same document rewritten by qpdf in the plainest form (cross-reference table, no
    object streams), for files ``SourcePdf`` cannot read as they are."""
    # Only for the rare file the reader cannot take as it is: the merge's child process otherwise
    # runs on the standard library alone (pikepdf adds 15 MB and 0.13 s to it).
    import pikepdf  # noqa: PLC0415

    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
        return out.getvalue()


def open_source(data: bytes) -> SourcePdf:
    try:
        return SourcePdf(data)
    except (Unsupported, ValueError, KeyError, IndexError, zlib.error):
        return SourcePdf(normalized(data))

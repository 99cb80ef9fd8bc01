"""The compilation's own page numbers and running heads, printed on the pages it copies.

The reports' pages come from their compilation editions, whose bottom margin is empty
(``reports/delivery/submission_pdf.py``); the merge (``reports/compilation/merge.py``) prints in it
the part the page belongs to (the Action Line, stakeholder type or region) and the page's number
in the compilation, as a few text operators appended to the page's content. The text is set in
Noto Sans, the documents' typeface, embedded once per compilation as a subset of the characters the
parts' titles and the digits need (a CID-keyed TrueType font, glyph ids as two-byte codes, with a
``/ToUnicode`` map so that the numbers and titles read back as text). Why stamping rather than laying
the margins out with the reports: docs/decisions/0010.
"""

from __future__ import annotations

import functools
import io
import subprocess
import zlib
from collections.abc import Iterable

from fontTools import subset
from fontTools.ttLib import TTFont

from .merge import Stamp, Stamping

MM = 72 / 25.4
PAGE_WIDTH = 210 * MM
SIDE = 21 * MM  # the reports' side margins (static/css/document.css)
BASELINE = 13 * MM  # from the bottom edge, in the reports' 24 mm bottom margin
RULE = BASELINE + 4.2 * MM
SIZE = 7.5
COLOR = b"0.290 0.341 0.400"  # #4a5766, as the reports' running header
RULE_COLOR = b"0.624 0.706 0.800"  # #9fb4cc
GAP = 8 * MM  # between the part's title and the number
NUMBER_ROOM = 12 * MM
ELLIPSIS = "…"
FONT_NAME = "WSISCP+NotoSans-Regular"


class FontMissing(RuntimeError):
    """Noto Sans, the compiled pages' typeface, is not installed."""


@functools.cache
def _font_path() -> str:
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise FontMissing("fontconfig could not find Noto Sans") from exc
    if not found.lower().endswith((".ttf", ".otf")):
        raise FontMissing(f"Noto Sans was not found (fontconfig offered {found!r})")
    return found


class StampFont:
    """Noto Sans cut down to ``texts``' characters and the digits."""

    def __init__(self, texts: Iterable[str], size: float = SIZE) -> None:
        chars = set("0123456789" + ELLIPSIS + " ")
        for text in texts:
            chars.update(text)
        font = TTFont(_font_path(), lazy=True, fontNumber=0)
        available = font.getBestCmap()
        wanted = sorted(ord(c) for c in chars if ord(c) in available)
        options = subset.Options()
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "DSIG"]  # glyph by glyph: no shaping
        options.name_IDs = [1, 2]
        options.notdef_outline = True
        options.hinting = False
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
        self.program = out.getvalue()
        self.size = size
        units = font["head"].unitsPerEm
        self.units = units
        cmap = font.getBestCmap()
        self.gid = {code: font.getGlyphID(name) for code, name in cmap.items()}
        metrics = font["hmtx"].metrics
        order = font.getGlyphOrder()
        self.advance = [metrics[name][0] * 1000 / units for name in order]  # per 1000 em
        head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
        scale = 1000 / units
        self.bbox = [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self.ascent, self.descent = round(hhea.ascent * scale), round(hhea.descent * scale)
        self.cap_height = round(getattr(os2, "sCapHeight", hhea.ascent * 0.7) * scale)
        self.used: set[int] = set()
        self._heads: dict[str, str] = {}
        self.unicode_of: dict[int, int] = {gid: code for code, gid in self.gid.items()}
        font.close()

    def encode(self, text: str) -> tuple[str, float]:
        """``text`` as hex glyph codes, and its width in points at the stamp's size."""
        gids = [self.gid.get(ord(char), 0) for char in text]
        self.used.update(gids)
        width = sum(self.advance[g] for g in gids) * self.size / 1000
        return "".join(f"{g:04x}" for g in gids), width

    def width(self, text: str) -> float:
        return sum(self.advance[self.gid.get(ord(c), 0)] for c in text) * self.size / 1000

    def fit(self, text: str, room: float) -> str:
        """``text``, or as much of it as fits in ``room`` points followed by an ellipsis."""
        if self.width(text) <= room:
            return text
        room -= self.width(ELLIPSIS)
        used = 0.0
        for index, char in enumerate(text):
            used += self.advance[self.gid.get(ord(char), 0)] * self.size / 1000
            if used > room:
                return text[:index].rstrip() + ELLIPSIS
        return text

    def head(self, text: str, first: int) -> Stamp:
        """For a run of pages whose first is numbered ``first``: the operators that print ``text``
        at the left of the bottom margin (shortened to leave the number its room), and a rule
        across the margin above it."""
        ops = self._heads.get(text)
        if ops is None:  # once per part: thousands of runs share it
            ops = self._heads[text] = self._head_ops(text)
        return Stamp(head=ops, first=first)

    def _head_ops(self, text: str) -> str:
        room = PAGE_WIDTH - 2 * SIDE - NUMBER_ROOM - GAP
        glyphs, _width = self.encode(self.fit(text, room))
        ops = b"%s RG 0.5 w %.2f %.2f m %.2f %.2f l S " % (
            RULE_COLOR,
            SIDE,
            RULE,
            PAGE_WIDTH - SIDE,
            RULE,
        ) + b"BT /%s %.1f Tf %s rg 1 0 0 1 %.2f %.2f Tm <%s> Tj ET" % (
            Stamping.FONT_KEY,
            self.size,
            COLOR,
            SIDE,
            BASELINE,
            glyphs.encode(),
        )
        return ops.decode("ascii")

    def stamping(self) -> Stamping:
        digits = {d: self.encode(d) for d in "0123456789"}
        return Stamping(
            digits={d: (hexa, width) for d, (hexa, width) in digits.items()},
            right=PAGE_WIDTH - SIDE,
            baseline=BASELINE,
            size=self.size,
            color=COLOR.decode(),
            objects=self.objects,
        )

    def objects(self, numbers: list[int]) -> list[tuple[bytes, bytes | None]]:
        """The font's five objects (Type0 font, CID font, descriptor, program, ToUnicode map),
        numbered ``numbers``."""
        _font, cid, descriptor, program, to_unicode = numbers
        name = FONT_NAME.encode()
        used = sorted(self.used | {0})
        widths = b" ".join(b"%d [%d]" % (g, round(self.advance[g])) for g in used)
        packed = zlib.compress(self.program, 6)
        return [
            (
                b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "
                b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (name, cid, to_unicode),
                None,
            ),
            (
                b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "
                b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                b"/FontDescriptor %d 0 R /DW 1000 /W [%s] /CIDToGIDMap /Identity >>"
                % (name, descriptor, widths),
                None,
            ),
            (
                b"<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [%d %d %d %d] /ItalicAngle 0 "
                b"/Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>"
                % (name, *self.bbox, self.ascent, self.descent, self.cap_height, program),
                None,
            ),
            (
                b"<< /Length %d /Length1 %d /Filter /FlateDecode >>" % (len(packed), len(self.program)),
                packed,
            ),
            self._to_unicode(used),
        ]

    def _to_unicode(self, used: list[int]) -> tuple[bytes, bytes]:
        pairs = [(g, self.unicode_of[g]) for g in used if g in self.unicode_of]
        lines = [
            b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
            b"1 begincodespacerange <0000> <FFFF> endcodespacerange",
        ]
        for start in range(0, len(pairs), 100):
            chunk = pairs[start : start + 100]
            lines.append(b"%d beginbfchar" % len(chunk))
            lines.extend(b"<%04x> <%s>" % (g, _utf16(code)) for g, code in chunk)
            lines.append(b"endbfchar")
        lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
        data = b"\n".join(lines)
        return b"<< /Length %d >>" % len(data), data


def _utf16(code: int) -> bytes:
    return chr(code).encode("utf-16-be").hex().encode()

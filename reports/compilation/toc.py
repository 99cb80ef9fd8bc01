"""The compiled document's table of contents, as a few text blocks per page.

Each page of contents is two preformatted text blocks: the titles, and the page numbers beside
them. Rows never wrap: titles too long for the column are shortened here, with an ellipsis (a
part's count of reports or contributions is kept whole, the title gives way),
measured with the metrics of the font they are set in (Noto Sans), so the number of rows per
page — and so every page number — is known before layout. Why: docs/decisions/0005.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import mark_safe
from fontTools.ttLib import TTFont

# Keep in step with static/css/compilation.css (.toc): A4, 20 mm side margins, 16 mm for the
# page numbers, 10.5 pt text, 6 mm rows.
TITLE_COLUMN_PT = (210 - 40 - 16) * 72 / 25.4
FONT_SIZE_PT = 10.5
INDENT = {1: "", 2: "\u2003\u2002", 3: "\u2003\u2003\u2003"}  # 1.5 em per level
SAFETY = 0.96  # kerning and rounding
ELLIPSIS = "…"
UNKNOWN_EM = 1.0  # characters the font has not (CJK, Arabic: other fonts): a wide guess
AVERAGE_EM = 0.6  # when the font cannot be read at all


# The contents' fonts in the order of static/css/compilation.css; characters none of them has
# (CJK: about 1 em each) are counted as UNKNOWN_EM.
FONTS = ("Noto Sans", "Noto Sans Arabic")


def _font_widths(pattern: str) -> dict[int, float]:
    path = subprocess.run(
        ["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()
    font = TTFont(path, lazy=True, fontNumber=0)
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {code: metrics[name][0] / units for code, name in font.getBestCmap().items()}
    font.close()
    return widths


@functools.cache
def _advances(bold: bool) -> tuple[dict[int, float], float] | None:
    """Advance widths (in em) by code point of the contents' fonts (bold), found through
    fontconfig; the first font that has a character gives its width (Arabic: its isolated form)."""
    widths: dict[int, float] = {}
    for family in FONTS:
        try:
            found = _font_widths(f"{family}:bold" if bold else family)
        except Exception:  # no fontconfig or no such font
            if not widths:
                return None  # fall back on an average width
            continue
        widths = {**found, **widths}
    return widths, 1.0


def text_width_em(text: str, *, bold: bool = False) -> float:
    advances = _advances(bold)
    if advances is None:
        return len(text) * AVERAGE_EM
    widths = advances[0]
    return sum(widths.get(ord(char), UNKNOWN_EM) for char in text)


def fit(text: str, width_em: float, *, bold: bool = False) -> str:
    """``text``, or as much of it as fits in ``width_em`` followed by an ellipsis."""
    if text_width_em(text, bold=bold) <= width_em:
        return text
    advances = _advances(bold)
    widths = advances[0] if advances else {}
    room = width_em - text_width_em(ELLIPSIS, bold=bold)
    used = 0.0
    for index, char in enumerate(text):
        used += widths.get(ord(char), UNKNOWN_EM if advances else AVERAGE_EM)
        if used > room:
            return text[:index].rstrip() + ELLIPSIS
    return text


def _row(entry: dict[str, Any]) -> tuple[str, str]:
    """(title line, page number line) of one entry, as HTML."""
    level = min(max(int(entry.get("level", 1)), 1), 3)
    indent = INDENT[level]
    room = TITLE_COLUMN_PT / FONT_SIZE_PT * SAFETY - text_width_em(indent)
    bold = level == 1
    # The subtitle (a part's count of reports or contributions) is never cut: the title is.
    subtitle = str(entry.get("subtitle") or "")
    tail = f" — {subtitle}" if subtitle else ""
    title = fit(str(entry["title"]), room - text_width_em(tail), bold=bold)
    line = indent + (f"<b>{escape(title)}</b>" if bold else escape(title))
    if tail:
        line += f' <span class="sub">— {escape(subtitle)}</span>'
    page = f"<b>{entry['page']}</b>" if bold else str(entry["page"])
    return line, page


def toc_pages(entries: Sequence[dict[str, Any]], first_page_rows: int, rows_per_page: int) -> list[dict]:
    """The entries cut into pages, each with its titles and page numbers as HTML text blocks."""
    pages = []
    start, size = 0, first_page_rows
    while start < len(entries):
        rows = [_row(entry) for entry in entries[start : start + size]]
        pages.append(
            {
                "titles": mark_safe("\n".join(title for title, _page in rows)),  # noqa: S308 (escaped above)
                "numbers": mark_safe("\n".join(page for _title, page in rows)),  # noqa: S308
            }
        )
        start, size = start + size, rows_per_page
    return pages

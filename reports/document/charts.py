"""Charts as server-side SVG: the admin dashboard and the compiled PDF draw with these.

Pure functions: data in, markup out; no queries, no JavaScript, no external fonts or files.
Every chart is an ``<svg role="img">`` named by its ``<title>`` and described by a ``<desc>``
that states the figures in words (``aria-labelledby`` points at both), and should be shown
with ``data_table`` holding the same numbers for screen readers and for copying.

Colours meet WCAG AA: text at least 4.5:1 on white, bars and lines at least 3:1. Only the
SVG features WeasyPrint draws are used (rect, line, polyline, circle, text with text-anchor).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import dateformat
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

FONT = "'Noto Sans', 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
TEXT = "#1f2933"  # 14.9:1 on white
MUTED = "#4b5563"  # 7.6:1 on white
GRID = "#d5dbe3"
AXIS = "#6b7280"  # 4.8:1 on white
BAR = "#1d5a96"  # 6.9:1 on white
MARKER = "#b42318"  # 6.4:1 on white

TITLE_SIZE = 15
LABEL_SIZE = 12.5
SMALL_SIZE = 11


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart; ``level`` 1 indents it under the row above (C7's sub-lines)."""

    label: str
    value: float
    level: int = 0


def _bars(rows: Sequence[Bar | tuple]) -> list[Bar]:
    return [row if isinstance(row, Bar) else Bar(*row) for row in rows]


def _num(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _text_width(text: str, size: float) -> float:
    """A generous estimate of rendered width (average sans-serif glyph ≈ 0.56 em)."""
    return len(text) * size * 0.56


def _chart_id(title: str, chart_id: str | None) -> str:
    if chart_id:
        return chart_id
    digest = hashlib.sha1(title.encode(), usedforsecurity=False).hexdigest()[:6]
    return f"chart-{slugify(title)[:40] or 'x'}-{digest}"


def _nice_step(maximum: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 × 10ⁿ, at least 1) giving about ``ticks`` gridlines up to ``maximum``."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return max(factor * magnitude, 1)
    return max(10 * magnitude, 1)


def _svg(
    chart_id: str,
    title: str,
    description: str,
    width: float,
    height: float,
    body: list[str],
    show_title: bool,
) -> SafeString:
    heading = (
        f'<text x="0" y="{TITLE_SIZE + 2}" font-size="{TITLE_SIZE}" font-weight="bold" '
        f'fill="{TEXT}">{escape(title)}</text>'
        if show_title
        else ""
    )
    return mark_safe(  # noqa: S308 — every piece of text above was escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" height="{height:g}" font-family="{escape(FONT)}" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f'<rect x="0" y="0" width="{width:g}" height="{height:g}" fill="#ffffff"/>'
        f"{heading}{''.join(body)}</svg>"
    )


def _truncate(text: str, size: float, room: float) -> str:
    if _text_width(text, size) <= room:
        return text
    keep = max(int(room / (size * 0.56)) - 1, 4)
    return text[:keep].rstrip() + "…"


def bar_chart(
    title: str,
    rows: Sequence[Bar | tuple],
    *,
    description: str = "",
    unit: str = "",
    width: int = 640,
    show_title: bool = True,
    chart_id: str | None = None,
    color: str = BAR,
) -> SafeString:
    """Horizontal bars, one per row, label on the left and the value after the bar.

    ``rows`` holds ``Bar`` objects or ``(label, value)`` / ``(label, value, level)`` tuples."""
    bars = _bars(rows)
    cid = _chart_id(title, chart_id)
    top = TITLE_SIZE + 14 if show_title else 4
    row_h, bar_h, indent = 24, 15, 14
    label_w = min(
        max([_text_width(b.label, LABEL_SIZE) + b.level * indent for b in bars] + [60]), width * 0.42
    )
    value_w = max([_text_width(_num(b.value), LABEL_SIZE) for b in bars] + [20]) + 10
    plot_x = label_w + 10
    plot_w = max(width - plot_x - value_w, 40)
    maximum = max([b.value for b in bars] + [0])
    height = top + max(len(bars), 1) * row_h + 6

    body: list[str] = []
    if maximum > 0:  # light gridlines at round values help reading lengths
        step = _nice_step(maximum)
        tick = step
        while tick <= maximum:
            x = plot_x + plot_w * tick / maximum
            body.append(
                f'<line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{height - 6}" stroke="{GRID}" '
                f'stroke-width="1"/>'
            )
            tick += step
    body.append(
        f'<line x1="{plot_x:.1f}" y1="{top - 2}" x2="{plot_x:.1f}" y2="{height - 6}" stroke="{AXIS}" '
        f'stroke-width="1"/>'
    )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        label_x = bar.level * indent
        label = _truncate(bar.label, LABEL_SIZE, label_w - label_x)
        length = plot_w * bar.value / maximum if maximum > 0 else 0
        text_y = y + bar_h / 2 + LABEL_SIZE * 0.35
        body.append(
            f"<g><title>{escape(bar.label)}: {_num(bar.value)}{escape(unit)}</title>"
            f'<text x="{label_x}" y="{text_y:.1f}" font-size="{LABEL_SIZE}" '
            f'fill="{MUTED if bar.level else TEXT}">{escape(label)}</text>'
            f'<rect x="{plot_x:.1f}" y="{y}" width="{length:.1f}" height="{bar_h}" fill="{color}"/>'
            f'<text x="{plot_x + length + 5:.1f}" y="{text_y:.1f}" font-size="{LABEL_SIZE}" '
            f'fill="{TEXT}">{_num(bar.value)}{escape(unit)}</text></g>'
        )
    if not description:
        description = _bars_description(bars, unit)
    return _svg(cid, title, description, width, height, body, show_title)


def _bars_description(bars: list[Bar], unit: str) -> str:
    if not bars:
        return _("No data.")
    parts = [f"{b.label}: {_num(b.value)}{unit}" for b in bars]
    return "; ".join(parts) + "."


def _day_label(day: date) -> str:
    return dateformat.format(day, "j M")


def _day_range(points: Sequence[tuple[date, float]], marker: date | None) -> list[date]:
    days = [d for d, _v in points] + ([marker] if marker else [])
    if not days:
        return []
    first, last = min(days), max(days)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _time_frame(
    points: Sequence[tuple[date, float]],
    marker: tuple[date, str] | None,
    width: int,
    height: int,
    show_title: bool,
) -> tuple[list[date], dict[date, float], float, float, float, float, float, list[str]]:
    """Axes, gridlines, x labels and the marker shared by the column and line charts."""
    marker_day = marker[0] if marker else None
    days = _day_range(points, marker_day)
    values = dict(points)
    top = TITLE_SIZE + 16 if show_title else 8
    bottom = height - 28
    maximum = max([*values.values(), 0])
    step = _nice_step(maximum)
    y_max = max(step * math.ceil(maximum / step), step)
    left = max(_text_width(_num(y_max), SMALL_SIZE) + 10, 30)
    right = width - 8
    body: list[str] = []
    tick = 0.0
    while tick <= y_max + 1e-9:
        y = bottom - (bottom - top) * tick / y_max
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID if tick else AXIS}" stroke-width="1"/>'
            f'<text x="{left - 5:.1f}" y="{y + SMALL_SIZE * 0.35:.1f}" font-size="{SMALL_SIZE}" '
            f'fill="{MUTED}" text-anchor="end">{_num(tick)}</text>'
        )
        tick += step
    n = max(len(days), 1)
    slot = (right - left) / n
    every = max(1, math.ceil(n / max(int((right - left) / 60), 1)))
    for i, day in enumerate(days):
        if i % every == 0:
            x = left + slot * (i + 0.5)
            label = _day_label(day)
            half = _text_width(label, SMALL_SIZE) / 2
            anchor = "end" if x + half > width else ("start" if x - half < 0 else "middle")
            body.append(
                f'<line x1="{x:.1f}" y1="{bottom:.1f}" x2="{x:.1f}" y2="{bottom + 4:.1f}" stroke="{AXIS}"/>'
                f'<text x="{x:.1f}" y="{bottom + 17:.1f}" font-size="{SMALL_SIZE}" fill="{MUTED}" '
                f'text-anchor="{anchor}">{escape(label)}</text>'
            )
    return days, values, left, right, top, bottom, y_max, body


def _marker_svg(
    marker: tuple[date, str] | None, days: list[date], left: float, right: float, top: float, bottom: float
) -> str:
    if not marker or marker[0] not in days:
        return ""
    day, label = marker
    slot = (right - left) / max(len(days), 1)
    x = left + slot * (days.index(day) + 0.5)
    text = f"{label} {_day_label(day)}"
    anchor, tx = ("end", x - 4) if x > (left + right) / 2 else ("start", x + 4)
    return (
        f"<g><title>{escape(text)}</title>"
        f'<line x1="{x:.1f}" y1="{top - 4:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="{MARKER}" '
        f'stroke-width="2" stroke-dasharray="5 3"/>'
        f'<text x="{tx:.1f}" y="{top + SMALL_SIZE:.1f}" font-size="{SMALL_SIZE}" font-weight="bold" '
        f'fill="{MARKER}" text-anchor="{anchor}">{escape(text)}</text></g>'
    )


def _series_description(days: list[date], values: dict[date, float], marker, unit_word: str) -> str:
    if not days:
        return _("No data.")
    total = sum(values.values())
    peak_day = max(values, key=lambda d: values[d]) if values else None
    text = _("From %(first)s to %(last)s: %(total)s %(what)s.") % {
        "first": _day_label(days[0]),
        "last": _day_label(days[-1]),
        "total": _num(total),
        "what": unit_word,
    }
    if peak_day is not None and values[peak_day] > 0:
        text += " " + _("Most on %(day)s: %(n)s.") % {
            "day": _day_label(peak_day),
            "n": _num(values[peak_day]),
        }
    if marker:
        text += f" {marker[1]}: {_day_label(marker[0])}."
    return text


def column_chart(
    title: str,
    points: Sequence[tuple[date, float]],
    *,
    marker: tuple[date, str] | None = None,
    description: str = "",
    unit_word: str = "",
    width: int = 640,
    height: int = 240,
    show_title: bool = True,
    chart_id: str | None = None,
) -> SafeString:
    """One column per day (days without a point are zero), with an optional dashed marker
    (e.g. ``(deadline, "Deadline")``)."""
    cid = _chart_id(title, chart_id)
    days, values, left, right, top, bottom, y_max, body = _time_frame(
        points, marker, width, height, show_title
    )
    slot = (right - left) / max(len(days), 1)
    gap = min(slot * 0.2, 3)
    for i, day in enumerate(days):
        value = values.get(day, 0)
        if not value:
            continue
        h = (bottom - top) * value / y_max
        body.append(
            f'<rect x="{left + slot * i + gap / 2:.1f}" y="{bottom - h:.1f}" '
            f'width="{max(slot - gap, 0.5):.1f}" height="{h:.1f}" fill="{BAR}">'
            f"<title>{escape(_day_label(day))}: {_num(value)}</title></rect>"
        )
    body.append(_marker_svg(marker, days, left, right, top, bottom))
    description = description or _series_description(days, values, marker, unit_word)
    return _svg(cid, title, description, width, height, body, show_title)


def line_chart(
    title: str,
    points: Sequence[tuple[date, float]],
    *,
    marker: tuple[date, str] | None = None,
    description: str = "",
    unit_word: str = "",
    width: int = 640,
    height: int = 240,
    show_title: bool = True,
    chart_id: str | None = None,
) -> SafeString:
    """A line through one value per day (e.g. a running total), with an optional marker.
    Days between points keep the previous value; the line ends at the last point."""
    cid = _chart_id(title, chart_id)
    days, values, left, right, top, bottom, y_max, body = _time_frame(
        points, marker, width, height, show_title
    )
    slot = (right - left) / max(len(days), 1)
    coords: list[str] = []
    current = 0.0
    last_day = max(values) if values else None
    for i, day in enumerate(days):
        if last_day is None or day > last_day:
            break  # the line stops at the last point; the marker may lie beyond it
        current = values.get(day, current)
        x = left + slot * (i + 0.5)
        y = bottom - (bottom - top) * current / y_max
        coords.append(f"{x:.1f},{y:.1f}")
    if coords:
        body.append(
            f'<polyline points="{" ".join(coords)}" fill="none" stroke="{BAR}" stroke-width="2.5" '
            f'stroke-linejoin="round"/>'
        )
        last_x, last_y = coords[-1].split(",")
        body.append(f'<circle cx="{last_x}" cy="{last_y}" r="3.5" fill="{BAR}"/>')
    body.append(_marker_svg(marker, days, left, right, top, bottom))
    if not description:
        last_value = values[max(values)] if values else 0
        description = _("%(total)s %(what)s by %(day)s.") % {
            "total": _num(last_value),
            "what": unit_word,
            "day": _day_label(max(values)) if values else "",
        }
        if marker:
            description += f" {marker[1]}: {_day_label(marker[0])}."
    return _svg(cid, title, description, width, height, body, show_title)


def data_table(
    caption: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    css_class: str = "chart-data",
) -> SafeString:
    """The numbers behind a chart as an HTML table: the first column names the row
    (``<th scope="row">``), numbers are formatted and right-aligned."""

    def cell(value: object) -> SafeString:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return format_html('<td class="num">{}</td>', _num(value))
        return format_html("<td>{}</td>", value)

    head = format_html_join("", '<th scope="col">{}</th>', ((h,) for h in headers))
    body = format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        ((row[0], mark_safe("".join(cell(v) for v in row[1:]))) for row in rows),  # noqa: S308
    )
    return format_html(
        '<table class="{}"><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        css_class,
        caption,
        head,
        body,
    )

"""Filters for the report document template: paragraphs of user text with their own direction.

An Arabic report quotes English names, an English one an Arabic title: each paragraph is laid out
in the direction of its first strong character (what ``dir="auto"`` does in browsers; WeasyPrint
needs it spelled out). User text is escaped here, never trusted as markup.
"""

from __future__ import annotations

import re
import unicodedata

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..text import normalize

register = template.Library()

_PARAGRAPH_BREAK = re.compile(r"\n{2,}")


def direction(text: str, default: str = "ltr") -> str:
    """``rtl`` or ``ltr`` from the first strong character of ``text``; ``default`` when there is none."""
    for char in text or "":
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return default


@register.filter
def text_dir(value: object, default: str = "ltr") -> str:
    """``dir`` attribute value for one short piece of user text (a title, a table cell)."""
    return direction(str(value or ""), default)


_BULLET = re.compile(r"^\s*[-–—•*·▪]\s+")


def _paragraph(lines: list[str], default: str) -> str:
    text = "<br>".join(escape(line) for line in lines)
    return f'<p dir="{direction(" ".join(lines), default)}">{text}</p>'


# The bullet of a printed list item, as text: a ``::before`` or ``::marker`` box per item cost
# WeasyPrint 8 % of a full report's render, a list marker 19 % (bench/pdf_render.py).
PRINT_BULLET = "\u2022\u2002"


def _bullets(lines: list[str], default: str, *, bullet: str = "") -> str:
    items = [_BULLET.sub("", line) for line in lines]
    text = "".join(f"<li>{bullet}{escape(item)}</li>" for item in items)
    return f'<ul class="doc-list" dir="{direction(items[0], default)}">{text}</ul>'


@register.filter(is_safe=True)
def paragraphs(value: object, default: str = "ltr") -> SafeString:
    """User text as HTML blocks, each escaped and with its own direction: blank lines separate
    paragraphs; within one, lines starting with a bullet (``-``, ``•``, ``*`` …) become a list
    (a wrapped item hangs under its text, not under the dash) and other lines are joined by
    ``<br>``."""
    return _blocks(value, default)


@register.simple_tag(takes_context=True)
def doc_text(context: template.Context, value: object) -> SafeString:
    """One answer of the document: ``<div class="doc-text">`` holding ``value|paragraphs``, in the
    document's base direction; in print (``for_print``) list items carry their bullet as text."""
    bullet = PRINT_BULLET if context.get("for_print") else ""
    blocks = _blocks(value, context.get("base_dir") or "ltr", bullet=bullet)
    return mark_safe(f'<div class="doc-text">{blocks}</div>')  # noqa: S308  (escaped by _blocks)


def _blocks(value: object, default: str, *, bullet: str = "") -> SafeString:
    text = normalize(value)
    html: list[str] = []

    def flush(group: list[str]) -> None:
        if _BULLET.match(group[0]):
            html.append(_bullets(group, default, bullet=bullet))
        else:
            html.append(_paragraph(group, default))

    for paragraph in _PARAGRAPH_BREAK.split(text) if text else []:
        group: list[str] = []
        for line in (line for line in paragraph.split("\n") if line.strip()):
            if group and bool(_BULLET.match(line)) != bool(_BULLET.match(group[0])):
                flush(group)
                group = []
            group.append(line)
        if group:
            flush(group)
    return mark_safe("\n".join(html))  # noqa: S308  (every piece of user text is escaped above)

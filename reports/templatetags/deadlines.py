"""Deadlines as the pages and e-mails write them (``reports/deadlines.py``).

``{{ when|deadline:zone }}``: "31 July 2025, 23:59 (Geneva time, UTC+2)" — ``when`` a datetime (or its
ISO text, as delivery rows keep it), ``zone`` the cycle's time zone (its IANA name, or the cycle).
``{% deadline_time moment %}``: the same inside ``<time datetime="…">``, which ``static/js/local-time.js``
follows with the reader's own local time; without JavaScript the cycle's zone is what is shown.
``{% deadline_time moment text=sentence %}``: a whole sentence that writes the deadline (with a
``datetime`` attribute, a ``<time>`` may hold any text).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from reports import deadlines
from reports.models import ReportingCycle

register = template.Library()


def _moment(value: object, zone: object = None) -> deadlines.Moment | None:
    if isinstance(value, deadlines.Moment):
        return value
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if isinstance(zone, ReportingCycle):
        tz = deadlines.cycle_zone(zone)
    elif isinstance(zone, ZoneInfo):
        tz = zone
    else:
        tz = deadlines.zone_get(str(zone or "")) or ZoneInfo(settings.TIME_ZONE)
    return deadlines.Moment(at=value, zone=tz)


@register.filter
def deadline(value: object, zone: object = None) -> str:
    """The deadline in the cycle's time zone, with the zone's name and offset."""
    found = _moment(value, zone)
    return found.text if found else ""


@register.simple_tag
def deadline_moment(value: object, zone: object = None) -> deadlines.Moment | None:
    """``{% deadline_moment when cycle as moment %}``: the deadline, to write in a sentence
    (``moment.text``) handed to ``deadline_time`` as its ``text``."""
    return _moment(value, zone)


@register.simple_tag
def deadline_time(value: object, zone: object = None, text: str = "") -> SafeString | str:
    """``<time>`` with the deadline in the cycle's zone (or ``text``, a sentence that writes it);
    the script adds the reader's local time after it."""
    found = _moment(value, zone)
    if found is None:
        return ""
    offset = found.local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return format_html(
        '<time datetime="{}" data-local-time data-offset="{}" data-local-label="{}">{}</time>',
        found.iso,
        minutes,
        _("your local time: %(time)s"),
        text or found.text,
    )

"""Country and region names in the reader's language.

The database keeps the names in English, as the United Nations writes them (``fixtures/
countries.json``, ``regions.json``); records such as submission snapshots keep that English.
Pages show ``country_label``/``region_label``: in English the stored name, in the other five
languages django-countries' maintained translation of the ISO code (country) or the portal's
catalogue (region, listed below for ``make messages``).
"""

from __future__ import annotations

import unicodedata

from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django_countries import countries

from ..models import Country, Region

REGION_NAMES = (
    gettext_noop("Africa"),
    gettext_noop("Americas"),
    gettext_noop("Arab States"),
    gettext_noop("Asia and the Pacific"),
    gettext_noop("Commonwealth of Independent States"),
    gettext_noop("Europe"),
)


def _in_english() -> bool:
    return (translation.get_language() or "en").split("-")[0] == "en"


def country_label(country: Country) -> str:
    if _in_english():
        return country.name
    return str(countries.name(country.code)) or country.name


def region_label(region: Region) -> str:
    return gettext(region.name)


def sort_key(label: str) -> str:
    """Alphabetical order that ignores accents and case (Åland next to Albania, Éthiopie among the
    E's); scripts without case sort by code point."""
    decomposed = unicodedata.normalize("NFKD", label)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

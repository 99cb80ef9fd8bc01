"""What a person typed when their session had expired, kept until they have logged in again.

A save posted without a valid session cannot be written (nobody is logged in), but it must not
be lost either. The posted section is kept in the browser's (anonymous) Django session, which
logging in keeps: ``django.contrib.auth.login`` renews the session's key, not its data. After
logging in, the section page finds the kept form for this report and section and shows it,
ready to save; a successful save of that section forgets it.

The session, not a URL parameter, carries the text, so nobody can push text into someone
else's form with a link. What is kept stays small and expires: a kept form is at most what the
largest section form can hold (every answer at its maximum length, ``kept_chars_limit``); a
session keeps the newest three sections and no more than that many characters in all; a
kept form is forgotten after a day, and the anonymous session holding it expires then too.
"""

from __future__ import annotations

import functools
import time

from django.forms import BaseForm
from django.http import HttpRequest, QueryDict

from .. import annex
from . import forms

SESSION_KEY = "reports:kept"  # {"<report id>:<section key>": {"at": seconds, "data": {name: [values]}}}
MAX_AGE = 24 * 3600  # seconds
MAX_SECTIONS = 3
NOT_KEPT = {"csrfmiddlewaretoken"}
NAME_ALLOWANCE = 50  # characters per field name (``indicators-29-source`` is 20)


@functools.cache
def kept_chars_limit() -> int:
    """The characters (names and values) of the largest section form, every field at its
    maximum length: more than that never comes from the portal's own pages."""

    def most(form: BaseForm) -> int:
        return sum(
            getattr(field, "max_chars", None) or getattr(field, "max_length", None) or 20
            for field in form.fields.values()
        )

    sizes = []
    for spec in annex.SECTIONS:
        if spec.kind is annex.Kind.ACTION_LINES:
            rows = forms.StoryFormSet
            sizes.append(most(forms.LineForm()) + rows.absolute_max * most(rows.form()))
        elif spec.kind is annex.Kind.INDICATORS:
            rows = forms.IndicatorFormSet
            sizes.append(most(forms.IndicatorsForm(spec=spec)) + rows.absolute_max * most(rows.form()))
        elif spec.kind is annex.Kind.CONTACT:
            sizes.append(most(forms.ContactForm()))
        else:
            sizes.append(most(forms.NarrativeForm(spec=spec)))
    return max(sizes) + NAME_ALLOWANCE * forms.SectionEditor.max_field_count()


def _size(data: dict[str, list[str]]) -> int:
    return sum(len(name) + sum(len(value) for value in values) for name, values in data.items())


def _fresh(request: HttpRequest) -> dict[str, dict]:
    now = time.time()
    kept = request.session.get(SESSION_KEY) or {}
    return {ref: entry for ref, entry in kept.items() if now - entry.get("at", 0) < MAX_AGE}


def stash_put(request: HttpRequest, *, report_id: int, key: str) -> None:
    """Keep the posted form of section ``key`` of report ``report_id`` in the (anonymous)
    session. A newer post of the same section replaces the older one."""
    data = {name: request.POST.getlist(name) for name in request.POST if name not in NOT_KEPT}
    values = sum(len(v) for v in data.values())
    limit = kept_chars_limit()
    if values > forms.SectionEditor.max_field_count() or _size(data) > limit:
        return  # not from the portal's pages
    ref = f"{report_id}:{key}"
    kept = _fresh(request)
    kept.pop(ref, None)
    kept[ref] = {"at": int(time.time()), "data": data}
    # The newest sections first, while they fit.
    chosen: list[str] = []
    total = 0
    for name, entry in reversed(kept.items()):
        total += _size(entry["data"])
        if len(chosen) == MAX_SECTIONS or total > limit:
            break
        chosen.append(name)
    request.session[SESSION_KEY] = {name: kept[name] for name in reversed(chosen)}
    # An anonymous session: it holds nothing worth keeping longer (logging in sets its own expiry).
    request.session.set_expiry(MAX_AGE)


def stash_get(request: HttpRequest, *, report_id: int, key: str) -> QueryDict | None:
    """The kept form data for this report and section, if this browser's session has some."""
    entry = _fresh(request).get(f"{report_id}:{key}")
    if entry is None:
        return None
    data = QueryDict(mutable=True)
    for name, values in entry["data"].items():
        data.setlist(name, values)
    return data


def stash_clear(request: HttpRequest, *, report_id: int, key: str) -> None:
    """Forget the kept data once the section is saved."""
    kept = request.session.get(SESSION_KEY)
    if kept and f"{report_id}:{key}" in kept:
        kept = {ref: entry for ref, entry in kept.items() if ref != f"{report_id}:{key}"}
        if kept:
            request.session[SESSION_KEY] = kept
        else:
            del request.session[SESSION_KEY]

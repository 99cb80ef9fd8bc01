"""What a person typed when their session had expired, kept until they have logged in again.

A save posted without a valid session cannot be written (nobody is logged in), but it must not
be lost either. The posted section is kept in the browser's (anonymous) Django session, which
logging in keeps: ``django.contrib.auth.login`` renews the session's key, not its data. After
logging in, the section page finds the kept form for this report and section and shows it,
ready to save; a successful save of that section forgets it.

Only a session that belonged to someone keeps text: the one left when the session limits logged
the person out (``wsis_portal/sessions.py`` marks it with ``SESSION_SIGNED_OUT_USER_KEY``), or when
they logged out themselves, perhaps with the workspace still open in another tab (the account
adapter, ``wsis_portal/limits.py``, marks it the same way). A post from a browser that was never
logged in is not kept: no session is stored for it, so anonymous posts cannot fill the session
table. Kept text comes back only to the person whose session it was.

The session, not a URL parameter, carries the text, so nobody can push text into someone
else's form with a link. What is kept stays small and expires: a kept form is at most what its
own section's form can hold (every answer at its maximum length, ``kept_chars_limit``); a
session keeps the newest ``MAX_SECTIONS`` sections and no more than ``MAX_TOTAL_CHARS``
characters in all; a kept form is forgotten after a day, and the anonymous session holding it
expires then too.
"""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.forms import BaseForm
from django.http import HttpRequest, QueryDict

from wsis_portal.sessions import SESSION_SIGNED_OUT_USER_KEY

from .. import annex
from . import forms

# {"<report id>:<section key>": {"at": seconds, "user": the person's id, "data": {name: [values]}}}
SESSION_KEY = "reports:kept"
MAX_AGE = 24 * 3600  # seconds
MAX_SECTIONS = 5
NOT_KEPT = {"csrfmiddlewaretoken"}
NAME_ALLOWANCE = 50  # characters per field name (``indicators-29-source`` is 20)


def max_total_chars() -> int:
    """What one session keeps in all: six long answers at their maximum length."""
    return 6 * settings.REPORT_TEXT_MAX_LENGTH


@functools.cache
def kept_chars_limit(key: str = "") -> int:
    """The characters (names and values) of section ``key``'s form, every field at its maximum
    length — of the largest section form when ``key`` is not a section: more than that never
    comes from the portal's own pages."""

    def most(form: BaseForm) -> int:
        return sum(
            getattr(field, "max_chars", None) or getattr(field, "max_length", None) or 20
            for field in form.fields.values()
        )

    def size(spec: annex.Section) -> int:
        if spec.kind is annex.Kind.ACTION_LINES:
            rows = forms.StoryFormSet
            return most(forms.LineForm()) + rows.absolute_max * most(rows.form())
        if spec.kind is annex.Kind.INDICATORS:
            rows = forms.IndicatorFormSet
            return most(forms.IndicatorsForm(spec=spec)) + rows.absolute_max * most(rows.form())
        if spec.kind is annex.Kind.CONTACT:
            return most(forms.ContactForm())
        return most(forms.NarrativeForm(spec=spec))

    spec = annex.section("action-lines") if key.startswith("line-") else annex.SECTIONS_BY_KEY.get(key)
    largest = size(spec) if spec is not None else max(size(s) for s in annex.SECTIONS)
    return largest + NAME_ALLOWANCE * forms.SectionEditor.max_field_count()


def stash_allowed(request: HttpRequest) -> bool:
    """Whether this (anonymous) session belonged to someone the session limits logged out."""
    return isinstance(request.session.get(SESSION_SIGNED_OUT_USER_KEY), int)


def _size(data: dict[str, list[str]]) -> int:
    return sum(len(name) + sum(len(value) for value in values) for name, values in data.items())


def _fresh(request: HttpRequest) -> dict[str, dict]:
    now = time.time()
    kept = request.session.get(SESSION_KEY) or {}
    return {ref: entry for ref, entry in kept.items() if now - entry.get("at", 0) < MAX_AGE}


def stash_put(request: HttpRequest, *, report_id: int, key: str) -> bool:
    """Keep the posted form of section ``key`` of report ``report_id`` in the (anonymous)
    session, if it belonged to someone (``stash_allowed``). A newer post of the same section
    replaces the older one. Returns whether the text is kept."""
    if not stash_allowed(request):
        return False
    data = {name: request.POST.getlist(name) for name in request.POST if name not in NOT_KEPT}
    values = sum(len(v) for v in data.values())
    limit = min(kept_chars_limit(key), max_total_chars())
    if values > forms.SectionEditor.max_field_count() or _size(data) > limit:
        return False  # not from the portal's pages
    ref = f"{report_id}:{key}"
    kept = _fresh(request)
    kept.pop(ref, None)
    kept[ref] = {"at": int(time.time()), "user": request.session[SESSION_SIGNED_OUT_USER_KEY], "data": data}
    # The newest sections first, while they fit.
    chosen: list[str] = []
    total = 0
    for name, entry in reversed(kept.items()):
        total += _size(entry["data"])
        if len(chosen) == MAX_SECTIONS or total > max_total_chars():
            break
        chosen.append(name)
    request.session[SESSION_KEY] = {name: kept[name] for name in reversed(chosen)}
    # An anonymous session: it holds nothing worth keeping longer (logging in sets its own expiry).
    request.session.set_expiry(MAX_AGE)
    return True


def stash_get(request: HttpRequest, *, report_id: int, key: str) -> QueryDict | None:
    """The kept form data for this report and section, if this browser's session has some for
    the person logged in — the one who was logged out when it was typed, not a colleague who
    logs in next on the same computer."""
    entry = _fresh(request).get(f"{report_id}:{key}")
    if entry is None or entry.get("user") != request.user.pk:
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

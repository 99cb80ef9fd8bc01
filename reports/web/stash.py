"""What a person typed when their session had expired, kept until they have logged in again.

A save posted without a valid session cannot be written (nobody is logged in), but it must not
be lost either. The posted section is stored server-side, in a row of Django's session table
that is *not* the person's session (so logging in, which renews the session, does not touch
it), under a random key. The browser gets only a signed cookie naming that key, the report
and the section; after logging in, the section page finds the cookie, checks that it names
this report and section, and shows the kept text in the form, ready to save. A successful
save of that section deletes the row and the cookie; otherwise both expire after a day.

The cookie (not a URL parameter) carries the reference, so nobody can push text into
someone else's form with a link.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing
from django.http import HttpRequest, HttpResponse, QueryDict

COOKIE_NAME = "wsis_unsaved"
SALT = "reports.stash"
MAX_AGE = 24 * 3600  # seconds
NOT_KEPT = {"csrfmiddlewaretoken"}


def _reference(request: HttpRequest) -> dict | None:
    token = request.COOKIES.get(COOKIE_NAME)
    if not token:
        return None
    try:
        return signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None


def stash_put(request: HttpRequest, response: HttpResponse, *, report_id: int, key: str) -> None:
    """Keep the posted form of section ``key`` of report ``report_id``; sets the cookie on
    ``response``. A newer post for the same browser replaces the older one."""
    old = _reference(request)
    if old:
        SessionStore(session_key=old.get("s")).delete()
    store = SessionStore()
    store["report_id"] = report_id
    store["key"] = key
    store["data"] = {name: request.POST.getlist(name) for name in request.POST if name not in NOT_KEPT}
    store.set_expiry(MAX_AGE)
    store.create()
    token = signing.dumps({"s": store.session_key, "r": report_id, "k": key}, salt=SALT)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def stash_get(request: HttpRequest, *, report_id: int, key: str) -> QueryDict | None:
    """The kept form data for this report and section, if this browser has some."""
    ref = _reference(request)
    if not ref or ref.get("r") != report_id or ref.get("k") != key:
        return None
    store = SessionStore(session_key=ref.get("s"))
    if store.get("report_id") != report_id or store.get("key") != key:
        return None
    data = QueryDict(mutable=True)
    for name, values in (store.get("data") or {}).items():
        data.setlist(name, values)
    return data


def stash_clear(request: HttpRequest, response: HttpResponse, *, report_id: int, key: str) -> None:
    """Forget the kept data once the section is saved."""
    ref = _reference(request)
    if not ref or ref.get("r") != report_id or ref.get("k") != key:
        return
    SessionStore(session_key=ref.get("s")).delete()
    response.delete_cookie(COOKIE_NAME, samesite="Lax")

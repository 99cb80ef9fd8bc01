"""How long a logged-in session lasts: an idle limit and an absolute one.

The session records when its person logged in and when they were last active (any request: the
workspace's autosave posts count, so a person typing stays logged in). A request that finds either
limit passed logs the person out first — ``SESSION_IDLE_MINUTES`` without activity, or
``SESSION_MAX_HOURS`` since logging in — and the request goes on as an anonymous one: a page sends
them to the login page, and a section's text posted now is kept for them (``reports/web/stash.py``)
because the new, anonymous session says whose it was (``SESSION_SIGNED_OUT_USER_KEY``).

Times are read from ``time.time()`` and kept in the session as seconds since the epoch.
``SESSION_COOKIE_AGE`` (settings) is longer than both limits, so the cookie does not expire first.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

# The user's id (an int) in the anonymous session left after the limits logged that user out.
SESSION_SIGNED_OUT_USER_KEY = "portal_signed_out_user"
LOGIN_AT_KEY = "portal_login_at"
ACTIVE_AT_KEY = "portal_active_at"
# Last activity is written at most this often (seconds): not one session write per request.
ACTIVITY_RESOLUTION = 60


def session_limits_passed(request: HttpRequest, now: float) -> str | None:
    """``"idle"`` or ``"absolute"`` when this logged-in session has passed a limit, else None."""
    login_at = request.session.get(LOGIN_AT_KEY)
    active_at = request.session.get(ACTIVE_AT_KEY)
    if login_at is None or active_at is None:
        return None
    if now - login_at > settings.SESSION_MAX_HOURS * 3600:
        return "absolute"
    if now - active_at > settings.SESSION_IDLE_MINUTES * 60:
        return "idle"
    return None


class SessionLimitsMiddleware:
    """Ends a logged-in session at its idle or absolute limit; records login time and activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            passed = session_limits_passed(request, now)
            if passed:
                user_id = user.pk
                logout(request)  # a new, empty session; the request goes on anonymous
                request.session[SESSION_SIGNED_OUT_USER_KEY] = user_id
                if request.method == "GET":
                    messages.info(request, self._message(passed))
            else:
                self._record(request, now)
        response = self.get_response(request)
        if request.user.is_authenticated and LOGIN_AT_KEY not in request.session:
            self._record(request, time.time())  # logged in by this request
        return response

    @staticmethod
    def _record(request: HttpRequest, now: float) -> None:
        session = request.session
        if LOGIN_AT_KEY not in session:
            session[LOGIN_AT_KEY] = now  # logged in now, or before these limits were recorded
            session[ACTIVE_AT_KEY] = now
        elif now - session.get(ACTIVE_AT_KEY, 0) >= ACTIVITY_RESOLUTION:
            session[ACTIVE_AT_KEY] = now

    @staticmethod
    def _message(passed: str) -> str:
        if passed == "idle":
            return _(
                "You were logged out after %(minutes)d minutes without activity. Log in again to go on."
            ) % {"minutes": settings.SESSION_IDLE_MINUTES}
        return _("You were logged out: a session lasts at most %(hours)d hours. Log in again to go on.") % {
            "hours": settings.SESSION_MAX_HOURS
        }

"""Staff reach the portal only with a second factor (django-allauth's MFA: an authenticator app,
recovery codes).

For every page but the login, the second-factor pages and the account's own (see
``OPEN_TO_STAFF_WITHOUT_SECOND_FACTOR``) — the admin and the portal's pages, where staff may read
any entity's PDFs — a staff member
- without an authenticator app is sent to set one up (allauth's ``/accounts/2fa/totp/activate/``),
  then shown their recovery codes, with a link on to the page they asked for;
- whose session was not authenticated with the second factor is asked for a code
  (``/accounts/2fa/reauthenticate/``), then sent on. Logging in with a password asks for the code
  already (allauth's login stage), so this happens only to sessions older than the authenticator.

The session counts as authenticated with the second factor when allauth recorded an "mfa"
authentication in it (a code at login or reauthentication, a recovery code), or when the
authenticator app was set up in it: setting it up takes a code from the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

# The admin page a staff member asked for before setting up the authenticator app (a path).
SESSION_NEXT_KEY = "portal_mfa_next"
# The user id whose authenticator app was set up in this session.
SESSION_ENROLLED_KEY = "portal_mfa_enrolled_user"
# Staff sessions need the second factor on every page (a staff member can read any entity's PDFs in
# the portal too), except these: logging in and out, setting up or giving the factor, the account's
# own pages, the language switch, the health check, the icon and static files, and the open data.
OPEN_TO_STAFF_WITHOUT_SECOND_FACTOR = (
    *("/accounts/", "/i18n/", "/healthz", "/favicon.ico", "/static/"),
    *("/api/v1/", "/data/"),  # open data: published only, the same for everyone
)
# What counts as the second factor at login (recovery codes alone are only a way back in).
FACTOR_TYPES = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def session_has_second_factor(request: HttpRequest) -> bool:
    """Whether this session's user gave their second factor in this session."""
    user = request.user
    if any(record.get("method") == "mfa" for record in get_authentication_records(request, user)):
        return True
    return request.session.get(SESSION_ENROLLED_KEY) == str(user.pk)


@receiver(authenticator_added)
def _remember_enrolment(
    sender: type, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs
):
    """The app was just set up with a code it showed: this session has the second factor."""
    if authenticator.type == Authenticator.Type.TOTP:
        request.session[SESSION_ENROLLED_KEY] = str(user.pk)


class StaffSecondFactorMiddleware:
    """Admin pages for staff only once their session has the second factor (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and not request.path.startswith(OPEN_TO_STAFF_WITHOUT_SECOND_FACTOR)
            and request.path != reverse("admin:logout")
            and not session_has_second_factor(request)
        ):
            wanted = request.get_full_path() if request.method == "GET" else reverse("admin:index")
            if not is_mfa_enabled(user, FACTOR_TYPES):
                request.session[SESSION_NEXT_KEY] = wanted
                messages.info(
                    request,
                    _(
                        "The secretariat's pages need a second factor: set up an authenticator app "
                        "on your phone to continue."
                    ),
                )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            query = urlencode({REDIRECT_FIELD_NAME: wanted})
            return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query}")
        if (
            user.is_authenticated
            and SESSION_NEXT_KEY in request.session
            and request.path.startswith(reverse("admin:index"))
        ):
            del request.session[SESSION_NEXT_KEY]  # arrived: the recovery codes page links there no more
        return self.get_response(request)

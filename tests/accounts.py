"""Staff with their second factor, for tests: the one way a test gets into the admin.

- ``totp_enrol(user)`` gives a user an authenticator app as allauth stores one (the secret through
  allauth's ``encrypt``) and returns the base32 secret; ``TOTP_CODES.code(secret)`` is what the
  app shows, never a code used already in this test run (allauth accepts each code once).
- ``staff_client(client, user)`` logs ``user`` in and gives the second factor through allauth's
  own page (``/accounts/2fa/reauthenticate/``, a code from the app): the session is then what a
  staff member's is after logging in with password and code. ``login_with_totp`` goes through
  the login form itself (password, then the code).
"""

from __future__ import annotations

import time

import pyotp
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt, encrypt
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from tests import factories
from wsis_portal.sessions import ACTIVE_AT_KEY, LOGIN_AT_KEY


def totp_enrol(user: User, *, secret: str | None = None) -> str:
    """The user's authenticator app secret (base32), set up now if the user has none."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return decrypt(existing.data["secret"])
    secret = secret or pyotp.random_base32()
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)})
    return secret


class TotpCodes:
    """Codes an authenticator app shows for a secret, each handed out once: the current 30-second
    step's, else one step earlier or later (what ``MFA_TOTP_TOLERANCE`` accepts)."""

    def __init__(self) -> None:
        self.used: set[tuple[str, int]] = set()

    def code(self, secret: str) -> str:
        """An unused code the app shows now; when the codes valid now are all used (many logins of
        one person within a minute or two, as in the deployed tier), the next one, once the app
        shows it: a person would wait for the new code too."""
        period = mfa_settings.TOTP_PERIOD
        tolerance = mfa_settings.TOTP_TOLERANCE
        while True:
            now = int(time.time()) // period
            for step in [
                now,
                *(now + d for d in range(1, tolerance + 1)),
                *(now - d for d in range(1, tolerance + 1)),
            ]:
                if (secret, step) not in self.used:
                    self.used.add((secret, step))
                    return pyotp.TOTP(secret, interval=period).at(step * period)
            # The next time step starts a new code: wait for it, as the person looking at the app does.
            time.sleep((now + 1) * period - time.time() + 0.1)


TOTP_CODES = TotpCodes()


def staff_client(client: Client, user: User) -> Client:
    """``client`` logged in as ``user`` (staff) with the second factor given in its session."""
    secret = totp_enrol(user)
    client.force_login(user)
    response = client.post(reverse("mfa_reauthenticate"), {"code": TOTP_CODES.code(secret)})
    assert response.status_code == 302, response.content.decode()[-2000:]
    return client


def login_with_totp(client: Client, user: User, *, password: str = factories.PASSWORD, next: str = "") -> str:
    """Logs in through the login form (e-mail and password, then the app's code); the address
    the portal then sends the person to."""
    secret = totp_enrol(user)
    login = reverse("account_login") + (f"?next={next}" if next else "")
    response = client.post(login, {"login": user.email, "password": password})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert response["Location"] == reverse("mfa_authenticate"), response["Location"]
    response = client.post(reverse("mfa_authenticate"), {"code": TOTP_CODES.code(secret)})
    assert response.status_code == 302, response.content.decode()[-2000:]
    return response["Location"]


def staff_member_prepare(email: str, password: str, secret: str) -> None:
    """The deployed tier's secretariat member (``manage.py shell``, DEBUG off): the demo
    secretariat account gets ``password`` and an authenticator app with ``secret``."""
    user = User.objects.get(username=email, is_staff=True)
    user.set_password(password)
    user.save(update_fields=["password"])
    totp_enrol(user, secret=secret)


def session_idles_out(client: Client | None = None, *, session_key: str = "") -> None:
    """As if the person had left the page open past the idle limit: the session's recorded login
    and last activity move back (``wsis_portal.sessions``); its next request ends it. The session is
    the test client's, or a browser's by its cookie's ``session_key``."""
    session = client.session if client is not None else SessionStore(session_key=session_key)
    gone = (settings.SESSION_IDLE_MINUTES + 1) * 60
    session[LOGIN_AT_KEY] -= gone
    session[ACTIVE_AT_KEY] -= gone
    session.save()

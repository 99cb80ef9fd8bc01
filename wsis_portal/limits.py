"""Limits that hold in every process: failed logins and the portal's abuse limits.

One mechanism for both: django-allauth's rate limiter (sliding windows, rates such as "5/5m/key"),
counting in the cache every process shares (``CACHES`` in settings: Redis, or the database; never
a process's own memory once DEBUG is off). See docs/decisions/0007-limits.md.

**Failed logins** (``AccountAdapter``). allauth keys its per-account bucket on the site's domain,
which without ``django.contrib.sites`` is the request's ``Host`` header, port included: anyone
could start a fresh bucket by changing it. Here the account is the typed address alone, and three
buckets count a failed password, each in ``ACCOUNT_RATE_LIMITS``:

- ``login_failed`` — per account *and* client address, tight: one address guessing one account;
- ``login_failed_account`` — per account from anywhere, looser: many addresses guessing one account;
- ``login_failed_address`` — per client address over all accounts.

A refused attempt is not counted in the buckets after the one that refused it, so an attacker
stuck on their own address does not use up the account's looser budget: the owner still logs in
from another address. A correct password gives back the attempt (allauth's rule) and clears the
failures of that account from that address (the person's own typing mistakes); the per-address
bucket is not cleared, or logging into one's own account would reset it.

**Abuse limits** (``limit_reached``): what one person or entity may do in a while
(``PORTAL_RATE_LIMITS``: invitations, entities, downloads, compilations), refused with a 429 that
says why (``too_many_requests``), in the person's language, as JSON for the workspace's scripts.
Every refusal is a ``SecurityEvent`` (``RATE_LIMITED``, or ``LOCKED_OUT`` for a login).
"""

from __future__ import annotations

import ipaddress
from http import HTTPStatus
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter

# allauth's public ``consume`` neither counts GET requests (downloads are GETs) nor returns what it
# counted (to give a successful login's attempt back) nor takes a table of rates of our own.
from allauth.core.internal import ratelimit
from allauth.core.internal.httpkit import clean_client_ip
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from reports.audit import record
from reports.models import SecurityEvent

from .sessions import SESSION_SIGNED_OUT_USER_KEY

ACCOUNT_APP = "allauth.account"  # where ACCOUNT_RATE_LIMITS is read
PORTAL_APP = "portal"  # the abuse limits' own part of the cache's keys

MESSAGES = {
    "invitation": _(
        "You have sent many invitations in the last hour. Wait a while before sending more: the "
        "address you typed is kept."
    ),
    "entity_create": _(
        "You have registered several entities today. Try again tomorrow, or ask the secretariat "
        "if you need more: what you typed is kept."
    ),
    "download": _("You have downloaded many PDFs in a short time. Wait a minute, then try again."),
    "compilation": _(
        "You have requested many compilations in the last hour. Wait a while, then try again: "
        "your choices are kept."
    ),
}
GENERIC_MESSAGE = _("You have sent many requests in a short time. Wait a minute, then try again.")


# --- The client's address and the login limits -------------------------------------------------


def _trusted_proxy(remote: str) -> bool:
    """Whether ``remote`` (the address the request came from) is one of TRUSTED_PROXY_ADDRESSES;
    every address is when that list is empty."""
    networks = getattr(settings, "TRUSTED_PROXY_ADDRESSES", [])
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def _login_of(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "").strip().lower()


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter with the portal's login limits and client address; logging out leaves a
    session that says whose it was, as the session limits do (``wsis_portal/sessions.py``), so a
    section autosaved by a page still open in another tab is kept for that person
    (``reports/web/stash.py``)."""

    def logout(self, request: HttpRequest) -> None:
        user_id = request.user.pk
        super().logout(request)
        if user_id is not None:
            request.session[SESSION_SIGNED_OUT_USER_KEY] = user_id

    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's (``ALLAUTH_TRUSTED_PROXY_COUNT`` hops of X-Forwarded-For trusted), except that
        a request that did not come from a trusted proxy's address has its X-Forwarded-For ignored."""
        remote = request.META.get("REMOTE_ADDR", "")
        if _trusted_proxy(remote):
            return super().get_client_ip(request)
        ip = clean_client_ip(remote)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")  # as allauth's
        return ip

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The account and the client address, without allauth's site (the Host header): the key of
        ``login_failed``, and what a password reset clears. An IPv6 address counts by its network
        (``ALLAUTH_RATE_LIMIT_IPV6_PREFIX``, /64), as allauth's per-address limits do."""
        return f"{_login_of(credentials)}|{ratelimit.truncate_ip(self.get_client_ip(request))}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        login = _login_of(credentials)
        buckets = [
            ("login_failed_address", None),
            ("login_failed", self._get_login_attempts_cache_key(request, **credentials)),
            ("login_failed_account", login),
        ]
        counted = ratelimit.RateLimitUsage(usage=[])
        for action, key in buckets:
            usage = ratelimit.consume(request, app=ACCOUNT_APP, action=action, key=key)
            if usage is None:
                counted.rollback()  # a refused attempt counts only where it was refused
                self._login_failed_rl_usage = None
                record(request, SecurityEvent.Kind.LOCKED_OUT, email=login, limit=action)
                raise self.validation_error("too_many_login_attempts")
            counted.usage.extend(usage.usage)
        self._login_failed_rl_usage = counted

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        user = super().authenticate(request, **credentials)
        if user is not None:  # the right password: this address's earlier failures are forgotten
            ratelimit.clear(
                request,
                app=ACCOUNT_APP,
                action="login_failed",
                key=self._get_login_attempts_cache_key(request, **credentials),
            )
        return user


# --- Abuse limits ------------------------------------------------------------------------------


def limit_reached(request: HttpRequest, action: str, *, key: str | None = None) -> bool:
    """Count one use of ``action`` (a key of ``PORTAL_RATE_LIMITS``) by the person logged in (and
    ``key``, for rates "per key"); True when a limit is reached — then nothing is counted, the
    refusal is recorded, and the caller answers with ``too_many_requests`` or its own form."""
    usage = ratelimit.consume(
        request,
        app=PORTAL_APP,
        action=action,
        config=settings.PORTAL_RATE_LIMITS,
        key=key,
        user=request.user if request.user.is_authenticated else None,
        limit_get=True,
    )
    if usage is not None:
        return False
    record(request, SecurityEvent.Kind.RATE_LIMITED, limit=action)
    return True


def limit_message(action: str) -> str:
    return str(MESSAGES.get(action, GENERIC_MESSAGE))


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" or (
        request.headers.get("Accept", "").startswith("application/json")
    )


def too_many_requests(request: HttpRequest, action: str = "") -> HttpResponse:
    """The 429 answer: the portal's page saying which limit and what to do, in the person's
    language; JSON (``{"ok": false, "message": ...}``) for the workspace's scripts."""
    message = limit_message(action) if action else str(GENERIC_MESSAGE)
    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            {"ok": False, "rate_limited": True, "message": message}, status=HTTPStatus.TOO_MANY_REQUESTS
        )
    else:
        response = render(request, "429.html", {"message": message}, status=HTTPStatus.TOO_MANY_REQUESTS)
    response["Retry-After"] = "60"
    return response


def handler429(request: HttpRequest) -> HttpResponse:
    """allauth's limits (login, sign-up, password reset…) answer with this (``handler429`` in the
    URLconf): recorded, then the same page."""
    record(request, SecurityEvent.Kind.RATE_LIMITED, limit="account")
    return too_many_requests(request)

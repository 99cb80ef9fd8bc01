"""Authentication events into the security audit log (``reports.audit.record``).

Django's own signals for logins, failed logins and logouts (the portal's and the admin's); allauth's
for password changes and resets and for second factors added, removed, reset or refused. A failed
login records the address that was typed — it may name no account — and never the password (Django
hands receivers the credentials with the password already masked; only the e-mail is read here).
Rate-limit refusals are recorded where the limits are enforced (``wsis_portal/limits.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import post_delete

from . import audit
from .models import SecurityEvent

if TYPE_CHECKING:
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

Kind = SecurityEvent.Kind


def logged_in(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    audit.record(request, Kind.LOGIN, obj=user, actor=user)


def login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the identifier typed: allauth passes "email" (or "username"), the admin "username".
    typed = credentials.get("email") or credentials.get("username") or ""
    audit.record(request, Kind.LOGIN_FAILED, email=str(typed).strip())


def logged_out(
    sender: Any, request: HttpRequest | None, user: AbstractBaseUser | None, **kwargs: Any
) -> None:
    if user is not None:  # a logout without a session (already expired) is nobody's
        audit.record(request, Kind.LOGOUT, obj=user, actor=user)


def password_changed(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    audit.record(request, Kind.PASSWORD_CHANGED, obj=user, actor=user)


def password_reset(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    audit.record(request, Kind.PASSWORD_RESET, obj=user, actor=user)


def _factor(authenticator: Authenticator | None) -> dict[str, Any]:
    return {"factor": authenticator.type} if authenticator is not None else {}


def authenticator_added(
    sender: Any,
    request: HttpRequest | None,
    user: AbstractBaseUser,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    audit.record(request, Kind.MFA_ADDED, obj=user, actor=user, **_factor(authenticator))


def authenticator_removed(
    sender: Any,
    request: HttpRequest | None,
    user: AbstractBaseUser,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    audit.record(request, Kind.MFA_REMOVED, obj=user, actor=user, **_factor(authenticator))


def authenticator_reset(
    sender: Any,
    request: HttpRequest | None,
    user: AbstractBaseUser,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    # Recovery codes regenerated: the old ones stop working, a factor is replaced.
    audit.record(request, Kind.MFA_ADDED, obj=user, actor=user, action="reset", **_factor(authenticator))


def authentication_failed(
    sender: Any,
    request: HttpRequest | None,
    user: AbstractBaseUser,
    authenticator: Authenticator | None = None,
    reauthentication: bool = False,
    **kwargs: Any,
) -> None:
    audit.record(
        request,
        Kind.MFA_FAILED,
        obj=user,
        actor=user,
        reauthentication=reauthentication,
        **_factor(authenticator),
    )


def account_deleted(sender: Any, instance: AbstractBaseUser, **kwargs: Any) -> None:
    """Rows written while the account was being deleted (the model history of its memberships,
    deleted just before it) name it as their actor after Django has set the older rows' actor to
    null: they keep the actor's e-mail and lose the link, as the older rows do."""
    LogEntry.objects.filter(actor_id=instance.pk).update(actor=None)
    SecurityEvent.objects.filter(actor_id=instance.pk).update(actor=None)


def connect() -> None:
    """Connect the receivers (``ReportsConfig.ready``); dispatch uids keep it to one each."""
    pairs = [
        (auth_signals.user_logged_in, logged_in),
        (auth_signals.user_login_failed, login_failed),
        (auth_signals.user_logged_out, logged_out),
        (account_signals.password_changed, password_changed),
        (account_signals.password_reset, password_reset),
        (mfa_signals.authenticator_added, authenticator_added),
        (mfa_signals.authenticator_removed, authenticator_removed),
        (mfa_signals.authenticator_reset, authenticator_reset),
        (mfa_signals.authentication_failed, authentication_failed),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"reports.audit.{receiver.__name__}")
    post_delete.connect(
        account_deleted, sender=get_user_model(), dispatch_uid="reports.audit.account_deleted"
    )

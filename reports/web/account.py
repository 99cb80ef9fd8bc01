"""A person's own data: download what the portal holds about them, or delete their account.

The download is one JSON file: the account, its e-mail addresses and second factors (their kind
and dates, never a secret), memberships, the invitations the person sent (entity and dates: the
invited addresses are the colleagues' data) and received, the submissions they made (ids and
dates: the report text is the entity's) and the security events about them. Never a password
hash, a token or another person's address.

Deleting the account (the password confirms it) keeps the reports with their entities
(``services.account_delete``); where the person was the only owner of an entity with colleagues,
the colleague who joined first becomes its owner, and the page says who before anything happens.
Both are security events (``SecurityEvent.Kind.ACCOUNT``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from .. import audit, services
from ..models import Invitation, Membership, SecurityEvent, Submission

FORMAT = 1


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=gettext_lazy("To confirm that it is you who deletes the account."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password. Nothing was deleted."))
        return password


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def account_data(user: User) -> dict[str, Any]:
    """Everything the portal holds about ``user``, as a JSON-ready dict (see the module's doc)."""
    addresses = list(EmailAddress.objects.filter(user=user).order_by("-primary", "email"))
    emails = {a.email.lower() for a in addresses} | ({user.email.lower()} if user.email else set())
    by_address = Q()
    for email in emails:
        by_address |= Q(email__iexact=email)
    received = (
        Invitation.objects.filter(by_address).select_related("entity")
        if emails
        else Invitation.objects.none()
    )
    events_about = Q(actor=user)
    for email in emails:
        events_about |= Q(actor_email__iexact=email)
    return {
        "format": FORMAT,
        "generated_at": timezone.now().isoformat(),
        "account": {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "is_active": user.is_active,
            "is_staff": user.is_staff,
        },
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary} for a in addresses
        ],
        "second_factors": [
            {"type": a.type, "created_at": _when(a.created_at), "last_used_at": _when(a.last_used_at)}
            for a in Authenticator.objects.filter(user=user).order_by("created_at")
        ],
        "memberships": [
            {
                "entity_id": m.entity_id,
                "entity": m.entity.name,
                "role": m.role,
                "since": _when(m.created_at),
            }
            for m in Membership.objects.filter(user=user).select_related("entity").order_by("created_at")
        ],
        "invitations_sent": [
            {
                "entity_id": i.entity_id,
                "entity": i.entity.name,
                "sent_at": _when(i.created_at),
                "expires_at": _when(i.expires_at),
                "accepted_at": _when(i.accepted_at),
                "withdrawn_at": _when(i.revoked_at),
            }
            for i in Invitation.objects.filter(invited_by=user)
            .select_related("entity")
            .order_by("created_at")
        ],
        "invitations_received": [
            {
                "entity_id": i.entity_id,
                "entity": i.entity.name,
                "email": i.email,
                "received_at": _when(i.created_at),
                "expires_at": _when(i.expires_at),
                "accepted_at": _when(i.accepted_at),
                "withdrawn_at": _when(i.revoked_at),
            }
            for i in received.order_by("created_at")
        ],
        "submissions": [
            {
                "report_id": s.report_id,
                "submission_id": s.pk,
                "number": s.number,
                "entity": s.report.entity.name,
                "cycle": s.report.cycle.name,
                "submitted_at": _when(s.submitted_at),
                "late": s.is_late,
            }
            for s in Submission.objects.filter(submitted_by=user)
            .select_related("report__entity", "report__cycle")
            .defer("content", "pdf_page_map")
            .order_by("submitted_at")
        ],
        "security_events": [
            {
                "at": _when(e.created_at),
                "event": e.kind,
                "client_ip": e.client_ip,
                "object": f"{e.object_type}:{e.object_id}" if e.object_type else "",
                "object_name": e.object_repr,
                "path": e.path,
                "detail": e.detail,
            }
            for e in SecurityEvent.objects.filter(events_about).order_by("created_at", "pk")
        ],
    }


def _page(request: HttpRequest, user: User, form: DeleteAccountForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "reports/account_data.html",
        {
            "form": form,
            "handovers": services.account_handovers(user=user),
            "memberships": Membership.objects.filter(user=user)
            .select_related("entity")
            .order_by("entity__name"),
            "submission_count": Submission.objects.filter(submitted_by=user).count(),
        },
        status=status,
    )


@login_required
@require_GET
def data(request: HttpRequest) -> HttpResponse:
    """The person's data page: what is held, the download, and deleting the account."""
    assert isinstance(request.user, User)  # login_required
    return _page(request, request.user, DeleteAccountForm(user=request.user))


@login_required
@require_GET
def data_download(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)  # login_required
    audit.record(request, SecurityEvent.Kind.ACCOUNT, obj=request.user, action="data downloaded")
    payload = account_data(request.user)
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="wsis-portal-my-data-{timezone.localdate():%Y-%m-%d}.json"'
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["POST"])
def delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required
    form = DeleteAccountForm(request.POST, user=user)
    if not form.is_valid():
        return _page(request, user, form, status=400)
    if user.is_staff or user.is_superuser:
        form.add_error(
            None, _("Secretariat accounts are closed by an administrator of the portal, not from this page.")
        )
        return _page(request, user, form, status=400)
    with transaction.atomic():
        # Recorded first, by the person themselves: the row keeps their address once the account is gone.
        audit.record(
            request,
            SecurityEvent.Kind.ACCOUNT,
            obj=user,
            action="account deleted",
            new_owners={
                str(entity.pk): membership.user_id
                for entity, membership in services.account_handovers(user=user)
            },
        )
        logout(request)  # while the account still exists, for whoever listens to logouts
        services.account_delete(user=user)
    messages.success(
        request,
        _("Your account is deleted. The reports you worked on stay with their entities."),
    )
    return redirect("reports:home")

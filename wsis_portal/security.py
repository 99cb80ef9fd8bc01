"""The admin's login form, rate-limited like the portal's.

The stakeholders' login (django-allauth) allows 5 failed attempts per account in 5 minutes and
20 per minute per IP address (``ACCOUNT_RATE_LIMITS["login_failed"]``). Django admin's own form
would otherwise be a way around that limit; this form counts its failures in the same buckets.
"""

from __future__ import annotations

from allauth.core import ratelimit
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _


class RateLimitedAdminLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "too_many": _("Too many failed login attempts. Wait a few minutes, then try again."),
    }

    def clean(self):
        key = (self.cleaned_data.get("username") or "").strip().lower()
        if self.request is not None and not ratelimit.consume(
            self.request, action="login_failed", key=key, dry_run=True
        ):
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many")
        try:
            return super().clean()
        except forms.ValidationError:
            if self.request is not None:
                ratelimit.consume(self.request, action="login_failed", key=key)
            raise

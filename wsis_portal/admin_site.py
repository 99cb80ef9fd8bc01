"""The secretariat's admin site: Django's, with its titles, and the portal's one login.

The admin has no login form of its own: ``/admin/login/`` sends people to the portal's login
(django-allauth) with the page they wanted, so there is one form, one set of failed-login limits
and the second factor that staff need (``wsis_portal/mfa.py``). Logging out of the admin is
Django's own."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(AdminSite):
    site_header = _("WSIS+20 reporting — secretariat")
    site_title = _("WSIS+20 secretariat")
    index_title = _("Submissions and reference data")

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """To the portal's login, then on to the page asked for (allauth checks that it is ours).
        Someone logged in without access to the admin is refused: the login would send them back."""
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied
        wanted = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name)
        query = urlencode({REDIRECT_FIELD_NAME: wanted})
        return HttpResponseRedirect(f"{reverse('account_login')}?{query}")


class PortalAdminConfig(AdminConfig):
    default_site = "wsis_portal.admin_site.PortalAdminSite"

    def ready(self) -> None:
        super().ready()
        # Staff's second factor: its signal receiver, connected once the apps are loaded.
        from . import mfa  # noqa: F401, PLC0415 (allauth's models need the app registry ready)

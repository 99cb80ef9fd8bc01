"""The secretariat's admin site: Django's, with its titles and the rate-limited login form."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(AdminSite):
    site_header = _("WSIS+20 reporting — secretariat")
    site_title = _("WSIS+20 secretariat")
    index_title = _("Submissions and reference data")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        # Imported here: this module is loaded while the app registry fills (INSTALLED_APPS names
        # its config), and the login form imports the auth models, which need the registry ready.
        from .security import RateLimitedAdminLoginForm  # noqa: PLC0415 (app registry not ready at import)

        self.login_form = RateLimitedAdminLoginForm


class PortalAdminConfig(AdminConfig):
    default_site = "wsis_portal.admin_site.PortalAdminSite"

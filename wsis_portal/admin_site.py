"""The secretariat's admin site: Django's, with its titles, the rate-limited login form, and
the app list built only when a page shows it.

Django's ``AdminSite.each_context`` builds the list of apps and models for every admin page
(a permission check and two URLs per registered model, about 1 ms here), although only the
navigation sidebar and the index pages show it; the report list, the portal's busiest admin
page, hides the sidebar. ``get_app_list`` hands back a lazy list instead: built when a
template first reads it.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(AdminSite):
    site_header = _("WSIS+20 reporting — secretariat")
    site_title = _("WSIS+20 secretariat")
    index_title = _("Submissions and reference data")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        from .security import RateLimitedAdminLoginForm

        self.login_form = RateLimitedAdminLoginForm

    def get_app_list(self, request, app_label=None):
        return SimpleLazyObject(lambda: AdminSite.get_app_list(self, request, app_label))


class PortalAdminConfig(AdminConfig):
    default_site = "wsis_portal.admin_site.PortalAdminSite"

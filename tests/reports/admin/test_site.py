"""The portal's admin site: Django's, titled for the secretariat."""

import pytest
from django.contrib import admin
from django.urls import reverse

from wsis_portal.admin_site import PortalAdminSite
from wsis_portal.security import RateLimitedAdminLoginForm

pytestmark = pytest.mark.django_db


def test_the_default_admin_site_is_the_portals():
    assert isinstance(admin.site, PortalAdminSite)
    assert admin.site.login_form is RateLimitedAdminLoginForm
    assert str(admin.site.site_header) == "WSIS+20 reporting — secretariat"


def test_the_index_and_the_sidebar_list_the_apps_the_user_may_see(secretariat_client):
    index = secretariat_client.get(reverse("admin:index")).content.decode()
    assert "Submissions and reference data" in index
    assert reverse("admin:reports_report_changelist") in index
    assert reverse("admin:auth_user_changelist") not in index  # not the secretariat's
    country_list = secretariat_client.get(reverse("admin:reports_country_changelist")).content.decode()
    assert 'id="nav-sidebar"' in country_list
    assert reverse("admin:reports_report_changelist") in country_list


def test_the_report_list_takes_the_whole_page_without_the_sidebar(secretariat_client, submitted_report):
    response = secretariat_client.get(reverse("admin:reports_report_changelist"))
    assert response.status_code == 200
    assert 'id="nav-sidebar"' not in response.content.decode()

"""The portal's admin site: Django's, titled for the secretariat."""

import pytest
from django.contrib import admin
from django.urls import reverse

from wsis_portal.admin_site import PortalAdminSite

pytestmark = pytest.mark.django_db


def test_the_default_admin_site_is_the_portals():
    assert isinstance(admin.site, PortalAdminSite)
    assert str(admin.site.site_header) == "WSIS+20 reporting — secretariat"


def test_the_admin_login_is_the_portals_login_with_the_page_asked_for(client):
    response = client.get(reverse("admin:login") + "?next=/admin/reports/report/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Freports%2Freport%2F"
    # Opening an admin page without a session ends on the same login.
    response = client.get(reverse("admin:reports_report_changelist"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("account_login") + "?next=%2Fadmin%2Freports%2Freport%2F"
    assert 'name="login"' in response.content.decode()


def test_someone_logged_in_without_admin_access_is_refused_not_sent_round_in_circles(client, owner):
    client.force_login(owner)
    response = client.get(reverse("admin:reports_report_changelist"), follow=True)
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


def test_logging_out_of_the_admin_ends_the_session(secretariat_client):
    response = secretariat_client.post(reverse("admin:logout"))
    assert response.status_code == 200
    assert "_auth_user_id" not in secretariat_client.session
    assert secretariat_client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))


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

"""Who reaches the secretariat's workspace: the Secretariat group does everything it needs
without being superuser; other staff see no reports; stakeholders and visitors get the login."""

import importlib

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from reports import permissions
from reports.models import Delivery, Report
from tests.accounts import staff_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def report_urls(report):
    delivery = Delivery.objects.create(report=report, kind=Delivery.Kind.RECEIPT_EMAIL, status="failed")
    return {
        "changelist": ("get", reverse("admin:reports_report_changelist")),
        "report page": ("get", reverse("admin:reports_report_change", args=[report.pk])),
        "dashboard": ("get", reverse("admin:reports_report_dashboard")),
        "diff": ("get", reverse("admin:reports_report_diff", args=[report.pk])),
        "export csv": ("get", reverse("admin:reports_report_export", args=["csv"])),
        "export xlsx by line": ("get", reverse("admin:reports_report_export_lines", args=["xlsx"])),
        "start review": ("post", reverse("admin:reports_report_move", args=[report.pk, "under_review"])),
        "request changes": ("post", reverse("admin:reports_report_request_changes", args=[report.pk])),
        "retry": ("post", reverse("admin:reports_report_retry_delivery", args=[report.pk, delivery.pk])),
    }


def test_the_secretariat_group_holds_exactly_the_permissions_of_its_table(secretariat_group):
    granted = set(secretariat_group.permissions.values_list("content_type__app_label", "codename"))
    assert granted == permissions.codenames()
    assert ("reports", "review_report") in granted
    assert ("reports", "delete_report") not in granted
    assert ("reports", "delete_entity") not in granted  # duplicates are merged, never deleted
    assert ("reports", "change_entity") in granted  # corrected, verified, merged
    assert ("reports", "view_securityevent") in granted
    assert ("auditlog", "view_logentry") in granted
    assert ("auditlog", "delete_logentry") not in granted


def test_the_latest_migration_grants_what_the_module_grants():
    """A change to the group's permissions needs a migration with the same table."""
    migration = importlib.import_module("reports.migrations.0010_secretariat_entities_and_audit")
    assert migration.SECRETARIAT_PERMISSIONS == permissions.SECRETARIAT_PERMISSIONS


def test_ensuring_the_group_again_removes_extra_permissions(secretariat_group):
    secretariat_group.permissions.add(Permission.objects.get(codename="delete_report"))
    permissions.secretariat_group_ensure()
    assert not Group.objects.get(name="Secretariat").permissions.filter(codename="delete_report").exists()


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client, submitted_report):
    for name, (method, url) in report_urls(submitted_report).items():
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("admin:login")), name


def test_a_stakeholder_cannot_reach_admin_even_for_their_own_report(client, submitted_report, owner):
    client.force_login(owner)
    for name, (method, url) in report_urls(submitted_report).items():
        response = getattr(client, method)(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("admin:login")), name
    submitted_report.refresh_from_db()
    assert submitted_report.status == Report.Status.SUBMITTED


def test_staff_outside_the_secretariat_see_no_reports_and_move_none(client, submitted_report, staff_outsider):
    staff_client(client, staff_outsider)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert reverse("admin:reports_report_changelist") not in index.content.decode()
    assert reverse("admin:reports_report_dashboard") not in index.content.decode()
    for name, (method, url) in report_urls(submitted_report).items():
        response = getattr(client, method)(url)
        assert response.status_code == 403, name
    submitted_report.refresh_from_db()
    assert submitted_report.status == Report.Status.SUBMITTED
    assert Delivery.objects.get().status == "failed"


def test_the_secretariat_does_its_everyday_work_without_being_superuser(
    secretariat_client, secretariat_user, submitted_report
):
    assert not secretariat_user.is_superuser
    index = secretariat_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:reports_report_dashboard") in index
    urls = report_urls(submitted_report)
    for name in ("changelist", "report page", "dashboard", "diff", "export csv", "export xlsx by line"):
        assert secretariat_client.get(urls[name][1]).status_code == 200, name
    response = secretariat_client.post(urls["start review"][1])
    assert response.status_code == 302
    submitted_report.refresh_from_db()
    assert submitted_report.status == Report.Status.UNDER_REVIEW


def test_a_read_only_colleague_sees_the_report_without_review_buttons(
    client, submitted_report, reference_data
):
    """Staff with view permission only (no review permission) read but cannot move reports."""
    reader = UserFactory.create(email="reader@wsis.example.org")
    reader.is_staff = True
    reader.save()
    reader.user_permissions.add(Permission.objects.get(codename="view_report"))
    staff_client(client, reader)
    page = client.get(reverse("admin:reports_report_change", args=[submitted_report.pk]))
    assert page.status_code == 200
    assert "Start review" not in page.content.decode()
    move = reverse("admin:reports_report_move", args=[submitted_report.pk, "under_review"])
    assert client.post(move).status_code == 403

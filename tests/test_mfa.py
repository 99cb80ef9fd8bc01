"""Staff reach the admin and the portal only with a second factor (wsis_portal/mfa.py, django-allauth's MFA):
setting up an authenticator app on the way, the code at login, recovery codes, and no admin page
for a staff session that has not given the second factor."""

from __future__ import annotations

import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests import factories
from tests.accounts import TOTP_CODES, login_with_totp, staff_client, totp_enrol

pytestmark = pytest.mark.django_db

REPORTS = "/admin/reports/report/"


@pytest.fixture
def staff(reference_data):
    from reports.permissions import secretariat_group_ensure  # noqa: PLC0415 (after the reference data)

    user = factories.UserFactory.create(email="reviewer@wsis.example.org", is_staff=True)
    user.groups.add(secretariat_group_ensure())
    return user


def password_login(client, user, next: str = "") -> str:
    url = reverse("account_login") + (f"?next={next}" if next else "")
    response = client.post(url, {"login": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return response["Location"]


def test_an_admin_page_refuses_a_staff_session_without_the_second_factor(client, staff):
    totp_enrol(staff)
    client.force_login(staff)  # a session that never gave the code
    for path in (reverse("admin:index"), REPORTS, reverse("admin:reports_report_dashboard")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("mfa_reauthenticate") + "?next="), path
    # Giving the code there opens the page asked for.
    response = client.get(REPORTS, follow=True)
    assert "Confirm it is you" in response.content.decode()
    response = client.post(
        response.redirect_chain[-1][0], {"code": TOTP_CODES.code(totp_enrol(staff)), "next": REPORTS}
    )
    assert response["Location"] == REPORTS
    assert client.get(REPORTS).status_code == 200


def test_the_portals_pages_refuse_a_staff_session_without_the_second_factor_but_not_the_account_pages(
    client, staff, report
):
    """Staff may read any entity's submitted PDFs in the portal: those pages need the factor too."""
    totp_enrol(staff)
    client.force_login(staff)
    for path in (
        reverse("reports:home"),
        reverse("reports:workspace", kwargs={"report_id": report.pk}),
        reverse("reports:submission_pdf", kwargs={"pk": 1}),
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("mfa_reauthenticate") + "?next="), path
    assert client.get(reverse("mfa_reauthenticate")).status_code == 200
    assert client.get(reverse("account_email")).status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth announces the new app once its row is committed
def test_a_staff_member_without_an_app_sets_one_up_then_goes_on_to_the_page(client, staff):
    # Logging in with the password alone works (no app yet); the admin then asks for the app.
    password_login(client, staff, next=REPORTS)
    response = client.get(REPORTS)
    assert response["Location"] == reverse("mfa_activate_totp")
    # Changing how one logs in asks for the password again (allauth's reauthentication).
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(response["Location"], {"password": factories.PASSWORD})
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    assert "Set up your authenticator app" in page
    assert "The secretariat&#x27;s pages need a second factor" in page
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code
    found = re.search(r'<code id="totp-secret"[^>]*>([A-Z2-7]+)</code>', page)
    assert found, page
    secret = found.group(1)

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "Incorrect code." in wrong.content.decode()
    assert not Authenticator.objects.filter(user=staff).exists()

    response = client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    codes = re.findall(
        r'<span class="d-block border rounded px-2 py-1 text-center">(\d{8})</span>', codes_page
    )
    assert len(codes) == 10
    assert f'href="{REPORTS}"' in codes_page  # on to the page asked for
    assert client.get(REPORTS).status_code == 200
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()


def test_logging_in_asks_for_the_code_and_a_wrong_one_is_refused(client, staff):
    secret = totp_enrol(staff)
    assert password_login(client, staff, next=REPORTS) == reverse("mfa_authenticate")
    assert client.get(REPORTS).status_code == 302  # not logged in until the code is given
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert "Two-factor authentication" in page
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert wrong.status_code == 200
    assert "Incorrect code." in wrong.content.decode()
    response = client.post(reverse("mfa_authenticate"), {"code": TOTP_CODES.code(secret)})
    assert response["Location"] == REPORTS
    assert client.get(REPORTS).status_code == 200


def test_a_recovery_code_logs_in_once(client, staff):
    login_with_totp(client, staff)
    client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})
    assert client.post(reverse("mfa_generate_recovery_codes"))["Location"] == reverse(
        "mfa_view_recovery_codes"
    )
    page = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    code = re.findall(r">(\d{8})</span>", page)[0]
    client.logout()

    password_login(client, staff)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.get(REPORTS).status_code == 200
    client.logout()

    password_login(client, staff)
    again = client.post(reverse("mfa_authenticate"), {"code": code})
    assert again.status_code == 200
    assert "Incorrect code." in again.content.decode()


def test_the_login_with_the_code_reaches_the_admin(client, staff):
    assert login_with_totp(client, staff, next=REPORTS) == REPORTS
    assert client.get(REPORTS).status_code == 200


def test_stakeholders_are_not_asked_for_a_second_factor(client, reference_data):
    person = factories.UserFactory.create()
    assert password_login(client, person) == reverse("reports:start")


def test_the_shared_helper_gives_a_session_with_the_second_factor(client, staff):
    staff_client(client, staff)
    assert client.get(reverse("admin:index")).status_code == 200

"""A member of the secretariat's second factor in Chromium: sent from the admin to set up an
authenticator app (the key read off the page, the codes computed as an app does), shown the
recovery codes, on to the admin; later logins ask for the code; a wrong code is refused with a
message; a recovery code works once. Also the pages in Arabic on a 360-pixel-wide phone."""

from __future__ import annotations

import pyotp
import pytest
from django.urls import reverse

from reports.permissions import secretariat_group_ensure
from tests import factories
from tests.accounts import TOTP_CODES

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reviewer(reference_data):
    user = factories.UserFactory.create(email="reviewer@wsis.example.org", is_staff=True)
    user.groups.add(secretariat_group_ensure())  # flushed by earlier transactional tests
    return user


def password_step(page, user) -> None:
    page.wait_for_url("**/accounts/login/?next=**")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("main form[action='/accounts/login/'] button[type=submit]").click()


def code_step(page, code: str) -> None:
    page.get_by_role("heading", name="Two-factor authentication").wait_for()
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name="Log in").click()


def log_out_of_admin(page) -> None:
    page.locator("#logout-form button").click()
    page.get_by_text("Logged out").first.wait_for()


def test_set_up_the_app_on_the_way_to_the_admin_then_log_in_with_codes(page, live_server, reviewer):
    admin_index = live_server.url + reverse("admin:index")
    reports = live_server.url + reverse("admin:reports_report_changelist")

    # No app yet: the admin sends the reviewer to set one up after the password.
    page.goto(reports)
    password_step(page, reviewer)
    page.get_by_role("heading", name="Confirm it is you").wait_for()  # allauth asks the password again
    assert page.get_by_text("The secretariat's pages need a second factor").is_visible()
    page.locator("#id_password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Set up your authenticator app").wait_for()
    qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
    assert qr.is_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0
    secret = page.locator("#totp-secret").inner_text().strip()
    assert len(secret) == 32

    page.locator("#id_code").fill("000000")
    page.get_by_role("button", name="Activate").click()
    assert page.get_by_text("Incorrect code.").is_visible()
    page.locator("#id_code").fill(TOTP_CODES.code(secret))
    page.get_by_role("button", name="Activate").click()

    page.get_by_role("heading", name="Your recovery codes").wait_for()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    assert all(len(code.strip()) == 8 and code.strip().isdigit() for code in codes)
    page.get_by_role("link", name="I have kept the codes: continue").click()
    page.wait_for_url(reports)
    page.get_by_role("link", name="Export CSV").wait_for()
    log_out_of_admin(page)

    # Next time: password, then the app's code; a wrong code is refused with a message.
    page.goto(admin_index)
    password_step(page, reviewer)
    code_step(page, "123456")
    assert page.get_by_text("Incorrect code.").is_visible()
    code_step(page, TOTP_CODES.code(secret))
    page.wait_for_url(admin_index)
    page.get_by_role("heading", name="Submissions and reference data").wait_for()
    log_out_of_admin(page)

    # A recovery code instead of the app's, once.
    page.goto(admin_index)
    password_step(page, reviewer)
    code_step(page, codes[0].strip())
    page.wait_for_url(admin_index)
    log_out_of_admin(page)
    page.goto(admin_index)
    password_step(page, reviewer)
    code_step(page, codes[0].strip())
    assert page.get_by_text("Incorrect code.").is_visible()
    assert page.url.endswith(reverse("mfa_authenticate"))
    assert pyotp.TOTP(secret).verify(TOTP_CODES.code(secret), valid_window=1)


def test_the_set_up_page_in_arabic_on_a_phone(browser, live_server, reviewer):
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="ar")
    context.add_cookies([{"name": "django_language", "value": "ar", "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:index"))
    password_step(page, reviewer)
    page.locator("#id_password").fill(factories.PASSWORD)  # confirming the password again
    page.locator("main form button[type=submit]").click()
    page.locator("#totp-secret").wait_for()
    assert page.locator("html").get_attribute("dir") == "rtl"
    qr = page.locator("img[src^='data:image/svg+xml']")
    box = qr.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360  # the whole QR code on the screen
    assert box["width"] >= 150  # big enough to scan
    secret = page.locator("#totp-secret")
    assert secret.get_attribute("dir") == "ltr"  # the key reads left to right, as the app shows it
    key_box = secret.bounding_box()
    assert key_box is not None
    assert key_box["x"] + key_box["width"] <= 360
    # No horizontal scrolling on the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()

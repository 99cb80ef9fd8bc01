"""Debian's Chromium driven by Playwright for Python, against pytest-django's live server.

Never a downloaded browser: ``/usr/bin/chromium`` (Debian package ``chromium``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import factories
from tests.accounts import TOTP_CODES, totp_enrol
from tests.chromium import chromium, watch


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests, stopped when they are done."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A page that fails its test on a script error or on anything the Content-Security-Policy
    blocked (an inline script or style sheet, a resource from elsewhere)."""
    page = context.new_page()
    problems = watch(page)
    yield page
    assert not problems, problems


def log_in_staff(page, user, *, password: str = factories.PASSWORD) -> None:
    """On the portal's login page (where the admin sends people): e-mail and password, then the
    code the user's authenticator app shows (set up for the user if they had none)."""
    secret = totp_enrol(user)
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Two-factor authentication").wait_for()
    page.locator("#id_code").fill(TOTP_CODES.code(secret))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)

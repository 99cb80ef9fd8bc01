"""Debian's Chromium driven by Playwright for Python, against pytest-django's live server.

Never a downloaded browser: ``/usr/bin/chromium`` (Debian package ``chromium``)."""

from __future__ import annotations

from pathlib import Path

import pytest

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

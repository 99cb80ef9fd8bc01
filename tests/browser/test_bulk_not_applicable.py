"""Marking Action Lines not applicable in bulk, in Debian's Chromium at a person's pace: boxes
ticked one after the other (one with the keyboard), one Save, a reload, and the marks seen in the
page's navigation and in the database. The page fits a phone's width in English and Arabic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reports.models import ActionLineProgress, Report
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

PAUSE = 350  # ms between two ticks: a person reading the next line first
TICKED = ["C1", "C3", "C9", "C7.AGRI", "C7.SCI"]


@pytest.fixture
def report(reference_data):
    report = factories.ReportFactory.create(cycle=factories.CycleFactory.create())
    factories.MembershipFactory.create(entity=report.entity, user__email="focal.point@example.org")
    return report


def log_in(page, base: str, report: Report) -> str:
    url = f"{base}/reports/{report.pk}/lines/not-applicable/"
    page.goto(f"{base}/accounts/login/?next=/reports/{report.pk}/lines/not-applicable/")
    page.fill("#id_login", "focal.point@example.org")
    page.fill("#id_password", factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(url)
    return url


def box(page, code: str):
    return page.locator(f'input[type="checkbox"][value="{code}"]')


def nav_state(page, code: str):
    return page.locator(f'nav.outline li[data-outline-key="line-{code}"] > a .state')


def test_a_person_ticks_several_lines_saves_once_and_sees_them_after_reload(page, live_server, report):
    url = log_in(page, live_server.url, report)
    expect(page.get_by_role("heading", name="Mark Action Lines not applicable")).to_be_visible()

    for code in TICKED[:-1]:
        box(page, code).scroll_into_view_if_needed()
        page.wait_for_timeout(PAUSE)
        box(page, code).click()
        expect(box(page, code)).to_be_checked()
    # The last one with the keyboard: focus the box, press the space bar.
    box(page, TICKED[-1]).focus()
    page.wait_for_timeout(PAUSE)
    page.keyboard.press("Space")
    expect(box(page, TICKED[-1])).to_be_checked()
    # A second thought: C3 applies after all.
    page.wait_for_timeout(PAUSE)
    box(page, "C3").click()
    expect(box(page, "C3")).not_to_be_checked()

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved: 4 lines marked not applicable.")

    page.reload()
    assert page.url == url
    for code in ["C1", "C9", "C7.AGRI", "C7.SCI"]:
        expect(box(page, code)).to_be_checked()
        expect(nav_state(page, code)).to_have_text("Not applicable")
    expect(box(page, "C3")).not_to_be_checked()
    expect(nav_state(page, "C3")).to_have_text("Not started")
    expect(page.locator("#lines-open")).to_have_text("15 lines are still to fill in or mark not applicable.")
    marked = ActionLineProgress.objects.filter(report=report, not_applicable=True)
    assert set(marked.values_list("action_line__code", flat=True)) == {"C1", "C9", "C7.AGRI", "C7.SCI"}


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_page_fits_the_screen_in_english_and_arabic(browser, live_server, report, width, language):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    try:
        page = context.new_page()
        log_in(page, live_server.url, report)
        if language == "ar":
            if page.locator(".navbar-toggler").is_visible():  # the phone's menu, folded
                page.locator(".navbar-toggler").click()
            page.select_option("#language-select", "ar")
            with page.expect_navigation():  # the language form posts, then comes back to this page
                page.locator("#language-select + button").click()
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(box(page, "C7.SCI")).to_be_visible()
        # Nothing wider than the screen: no sideways scrolling on a phone.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        # Every line's label, state and link are inside the card.
        card = page.locator(".section-page").bounding_box()
        sci = page.locator('li[data-line="C7.SCI"]').bounding_box()
        assert card is not None
        assert sci is not None
        assert card["x"] <= sci["x"]
        assert sci["x"] + sci["width"] <= card["x"] + card["width"] + 1
        shots = os.environ.get("SCREENSHOTS_DIR")
        if shots:
            page.screenshot(path=str(Path(shots) / f"bulk-{language}-{width}.png"), full_page=True)
    finally:
        context.close()

"""The landing page in a real browser: what a visitor sees first."""

import pytest

from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_landing_page_shows_the_deadline_and_how_to_start(page, live_server, reference_data):
    cycle = CycleFactory.create(name="WSIS+20 review 2025")
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Your 20-year report")
    assert cycle.deadline.strftime("%Y") in page.locator(".deadline").inner_text()
    page.get_by_role("link", name="Start your report").click()
    page.wait_for_url("**/accounts/signup/")


def test_a_visitor_switches_to_arabic_and_back_with_the_keyboard(page, live_server, reference_data):
    CycleFactory.create(name="WSIS+20 review 2025")
    page.goto(live_server.url + "/")
    page.get_by_label("Language").select_option("ar")
    page.get_by_role("button", name="Change").press("Enter")
    page.locator("html[dir='rtl']").wait_for(state="attached")
    assert page.get_by_role("heading", level=1).inner_text().startswith("تقريركم")
    page.get_by_label("اللغة").select_option("fr")
    page.get_by_role("button", name="تغيير").click()
    page.locator("html[lang='fr']").wait_for(state="attached")
    assert page.locator(".deadline").inner_text().startswith("Date limite")

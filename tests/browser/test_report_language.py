"""In Chromium: the page's character counter and the server agree on a 20,000-character answer with
200 line breaks (each break counts once, as stored); the entity sets its report's language in the
workspace."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reports.models import Report
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 20_000
BREAKS = 200


def text_with_breaks(length: int, breaks: int) -> str:
    """``length`` characters as a person's page counts them, ``breaks`` of them line breaks."""
    letters = length - breaks
    lines = breaks + 1
    sizes = [letters // lines + (1 if i < letters % lines else 0) for i in range(lines)]
    words = "Connected schools and clinics in rural districts "
    return "\n".join((words * (size // len(words) + 1))[:size].rstrip().ljust(size, "x") for size in sizes)


def poll(condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def owner(report):
    return factories.MembershipFactory.create(entity=report.entity, user__email="owner@example.org").user


def log_in(page, base: str, user) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_login", user.email)
    page.fill("#id_password", factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)


def test_the_counter_and_the_server_agree_on_20000_characters_with_200_line_breaks(
    page, live_server, report, owner
):
    typed = text_with_breaks(LIMIT, BREAKS)
    assert len(typed) == LIMIT
    assert typed.count("\n") == BREAKS
    log_in(page, live_server.url, owner)
    page.goto(live_server.url + reverse("reports:section", args=[report.pk, "executive-summary"]))

    area = page.locator("#id_executive_summary")
    area.fill(typed)
    counter = page.locator("#id_executive_summary_count")
    expect(counter).to_contain_text("Characters: 20,000 of 20,000")
    page.get_by_role("button", name="Save", exact=True).click()

    stored = poll(lambda: Report.objects.get(pk=report.pk).executive_summary)
    assert len(stored) == LIMIT
    assert stored.count("\n") == BREAKS
    assert "\r" not in stored
    page.reload()
    expect(page.locator("#id_executive_summary_count")).to_contain_text("Characters: 20,000 of 20,000")

    # One more character: the counter says 20,001 and the server refuses it by the same count.
    area = page.locator("#id_executive_summary")
    area.press("End")
    area.press_sequentially("!")
    expect(page.locator("#id_executive_summary_count")).to_contain_text("Characters: 20,001 of 20,000")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("This answer is 20,001 characters long; the maximum is 20,000.")).to_be_visible()
    assert Report.objects.get(pk=report.pk).executive_summary == stored


def test_the_entity_sets_the_reports_language_in_its_workspace(page, live_server, report, owner):
    log_in(page, live_server.url, owner)
    page.goto(live_server.url + reverse("reports:workspace", args=[report.pk]))
    choice = page.get_by_label("Language of the report")
    expect(choice).to_have_value("en")
    choice.select_option("ar")
    page.get_by_role("button", name="Set the language").click()
    expect(page.get_by_text("The report's language is now العربيّة")).to_be_visible()
    expect(page.get_by_label("Language of the report")).to_have_value("ar")
    assert Report.objects.get(pk=report.pk).language == "ar"

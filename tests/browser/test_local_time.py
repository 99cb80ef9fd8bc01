"""Deadlines in the reader's own time, in Chromium: the page writes the deadline in the cycle's zone
and ``static/js/local-time.js`` adds the reader's local time in the page's language (CSP-clean)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reports import deadlines
from tests.chromium import watch
from tests.factories import CycleFactory

pytestmark = pytest.mark.django_db(transaction=True)


def open_landing(browser, url, *, zone: str, locale: str = "en-GB"):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale, timezone_id=zone)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = watch(page)
    page.goto(url + "/")
    return context, page, problems


def test_a_reader_in_tokyo_sees_the_geneva_deadline_and_their_own_time(browser, live_server, reference_data):
    cycle = CycleFactory.create(
        name="WSIS+20 review 2025",
        time_zone="Europe/Zurich",
        deadline=datetime(2030, 7, 31, 21, 59, tzinfo=UTC),
    )
    context, page, problems = open_landing(browser, live_server.url, zone="Asia/Tokyo")
    try:
        deadline = page.locator(".deadline")
        deadline.locator(".local-time").wait_for()
        text = deadline.inner_text()
        assert (
            deadlines.moment(cycle, cycle.deadline).text in text
        )  # 31 July 2030, 23:59 (Geneva time, UTC+2)
        local = deadline.locator(".local-time").inner_text()
        assert "your local time:" in local
        assert "1 August 2030" in local  # 06:59 the next morning in Tokyo
        assert "06:59" in local
        assert not problems, problems
    finally:
        context.close()


def test_a_reader_in_the_cycles_zone_sees_the_deadline_once(browser, live_server, reference_data):
    CycleFactory.create(
        name="WSIS+20 review 2025",
        time_zone="Europe/Zurich",
        deadline=datetime(2030, 7, 31, 21, 59, tzinfo=UTC),
    )
    context, page, problems = open_landing(browser, live_server.url, zone="Europe/Zurich")
    try:
        page.locator(".deadline time[data-local-time]").wait_for()
        page.wait_for_load_state("load")  # the deferred script has run
        assert page.locator(".local-time").count() == 0
        assert not problems, problems
    finally:
        context.close()


def test_the_local_time_follows_the_pages_language(browser, live_server, reference_data):
    CycleFactory.create(
        name="WSIS+20 review 2025",
        time_zone="Europe/Zurich",
        deadline=datetime(2030, 7, 31, 21, 59, tzinfo=UTC),
    )
    context = browser.new_context(locale="en-GB", timezone_id="America/Sao_Paulo")
    context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(live_server.url + "/")
        local = page.locator(".deadline .local-time")
        local.wait_for()
        assert "31 juillet 2030" in page.locator(".deadline").inner_text()  # Geneva, by the server
        assert "31 juillet 2030" in local.inner_text()  # São Paulo, 18:59, by the browser
        assert "18:59" in local.inner_text()
        assert not problems, problems
    finally:
        context.close()

"""A new cycle in Debian's Chromium at a person's pace: the focal point logs in, is offered the
entity's report for the previous cycle, starts from it, sees each answer marked "Unchanged", rewrites
one (autosave, then a reload: "Updated") and writes a line the previous report left empty ("New").
The pages stay axe-clean and fit a phone's width, in English and Arabic. The Secretariat opens the
cycle in admin: the form is axe-clean, fits a phone and says what is wrong next to the field."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from action_lines.models import ActionLine
from reports.models import Report, ReportingCycle
from reports.permissions import secretariat_group_ensure
from tests import factories
from tests.browser.conftest import log_in_staff
from tests.reports.admin.conftest import submit_directly

pytestmark = pytest.mark.django_db(transaction=True)

AUTOSAVE_SECONDS = 2
WAIT = 15_000  # ms: several autosave intervals
KEY_DELAY = 40  # ms between keys
EMAIL = "focal.point@example.org"
SAVED_AT = re.compile(r"^Saved at \d\d:\d\d$")


@pytest.fixture
def entity(reference_data, settings):
    settings.REPORT_AUTOSAVE_SECONDS = AUTOSAVE_SECONDS
    now = timezone.now()
    old = factories.CycleFactory.create(
        name="WSIS+20 review 2025", opens_at=now - timedelta(days=800), deadline=now - timedelta(days=700)
    )
    factories.CycleFactory.create(
        name="WSIS+25 review 2027", opens_at=now - timedelta(days=5), deadline=now + timedelta(days=50)
    )
    member = factories.MembershipFactory.create(user__email=EMAIL).user
    before = factories.ReportFactory.create(
        entity=member.entities.get(), cycle=old, executive_summary="Twenty years of connecting schools."
    )
    factories.ProgressFactory.create(
        report=before, action_line=ActionLine.objects.get(code="C2"), achievements="Fibre to 300 towns."
    )
    factories.ContactFactory.create(report=before)
    submit_directly(before, user=member)
    return before.entity


def log_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", EMAIL)
    page.fill("#id_password", factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/reports/\d+/$"))


def violations(page) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in found]


def test_a_person_starts_from_last_cycles_report_and_sees_what_changed(page, live_server, entity):
    log_in(page, live_server.url)
    offer = page.get_by_role("button", name="Start from our report for WSIS+20 review 2025")
    expect(offer).to_be_visible()
    assert violations(page) == []
    page.wait_for_timeout(600)  # reading the offer
    offer.click()
    expect(page.locator(".messages")).to_contain_text("Your report now holds the answers of your report")
    expect(page.get_by_text("Started from your report for WSIS+20 review 2025.")).to_be_visible()
    report = Report.objects.get(entity=entity, cycle__name="WSIS+25 review 2027")
    assert report.executive_summary == "Twenty years of connecting schools."

    page.goto(f"{live_server.url}/reports/{report.pk}/sections/executive-summary/")
    marks = page.locator(".field-change .badge")
    expect(marks).to_have_count(1)
    expect(marks.first).to_contain_text("Unchanged")
    assert violations(page) == []
    field = page.locator("#id_executive_summary")
    field.click()
    field.press("End")
    field.press_sequentially(" And clinics since 2026.", delay=KEY_DELAY)
    expect(page.locator("#save-status")).to_have_text(SAVED_AT, timeout=WAIT)
    page.reload()
    expect(page.locator(".field-change .badge").first).to_contain_text("Updated")

    # C3: the previous report said nothing there.
    page.goto(f"{live_server.url}/reports/{report.pk}/sections/line-C3/")
    expect(page.locator(".field-change")).to_have_count(0)
    achievements = page.locator("#id_achievements")
    achievements.click()
    achievements.press_sequentially("An open data portal.", delay=KEY_DELAY)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Saved at", timeout=WAIT)
    expect(page.locator(".field-change .badge").first).to_contain_text("New")
    report.refresh_from_db()
    assert report.executive_summary == "Twenty years of connecting schools. And clinics since 2026."


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_offer_and_the_marks_fit_the_screen(browser, live_server, entity, width, language):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    try:
        page = context.new_page()
        log_in(page, live_server.url)
        if language == "ar":
            if page.locator(".navbar-toggler").is_visible():  # the phone's menu, folded
                page.locator(".navbar-toggler").click()
            page.select_option("#language-select", "ar")
            with page.expect_navigation():  # the language form posts, then comes back to this page
                page.locator("#language-select + button").click()
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
        shots = os.environ.get("SCREENSHOTS_DIR")
        overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        expect(page.locator("#start-offer-title")).to_be_visible()
        assert page.evaluate(overflow) <= 0
        if shots:
            page.screenshot(path=str(Path(shots) / f"offer-{language}-{width}.png"), full_page=True)
        page.locator("#start-offer-title ~ form button").click()
        page.wait_for_load_state()
        report = Report.objects.get(entity=entity, cycle__name="WSIS+25 review 2027")
        page.goto(f"{live_server.url}/reports/{report.pk}/sections/line-C2/")
        expect(page.locator(".field-change .badge").first).to_be_visible()
        assert page.evaluate(overflow) <= 0
        if shots:
            page.screenshot(path=str(Path(shots) / f"marks-{language}-{width}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_the_secretariat_opens_a_cycle_in_admin(browser, live_server, entity, width):
    reviewer = factories.UserFactory.create(email="reviewer@wsis.example.org")
    reviewer.is_staff = True
    reviewer.save()
    reviewer.groups.add(secretariat_group_ensure())
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server.url + reverse("admin:login"))
        log_in_staff(page, reviewer)
        page.goto(live_server.url + reverse("admin:reports_reportingcycle_add"))
        # Carried over from the latest cycle: the late rule, the time zone, the required sections.
        expect(page.locator("#id_time_zone")).to_have_value("Europe/Zurich")
        page.locator("#id_name").press_sequentially("WSIS+30 review 2035", delay=KEY_DELAY)
        expect(page.locator("#id_slug")).to_have_value("wsis30-review-2035")  # filled in from the name
        page.fill("#id_opens_at_0", "2035-01-15")
        page.fill("#id_opens_at_1", "00:00:00")
        page.fill("#id_deadline_0", "2034-12-31")
        page.fill("#id_deadline_1", "23:59:00")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".errorlist").first).to_contain_text(
            "The deadline must come after the opening date"
        )
        expect(page.locator("#id_name")).to_have_value("WSIS+30 review 2035")  # nothing typed is lost
        assert violations(page) == []
        assert (
            page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        )
        shots = os.environ.get("SCREENSHOTS_DIR")
        if shots:
            page.screenshot(path=str(Path(shots) / f"cycle-admin-{width}.png"), full_page=True)
        page.fill("#id_deadline_0", "2035-05-31")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("WSIS+30 review 2035")
        assert ReportingCycle.objects.filter(name="WSIS+30 review 2035").exists()
    finally:
        context.close()

"""Accessibility, checked by axe-core (Deque's rules for WCAG 2 A/AA: contrast, labels, names,
landmarks, heading order, language, ARIA) in Chromium on the pages people use, in English and in
Arabic (right to left), including a form showing its error messages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from reports.permissions import secretariat_group_ensure
from tests import factories
from tests.browser.conftest import log_in_staff
from tests.reports.admin.conftest import submit_directly

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()


def violations(page) -> list[str]:
    found = AXE.run(page).response["violations"]
    return [
        f"{page.url}: {v['impact']} {v['id']} — {v['help']}: {[n['target'] for n in v['nodes'][:3]]}"
        for v in found
    ]


@pytest.fixture
def stakeholder(reference_data, cycle, fill_report):
    report = factories.ReportFactory.create(cycle=cycle)
    fill_report(report)
    user = factories.MembershipFactory.create(entity=report.entity).user
    return user, report


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", factories.PASSWORD)
    page.locator("form.login button[type=submit], form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_public_and_stakeholder_pages_have_no_accessibility_violations(
    browser, live_server, stakeholder, language
):
    user, report = stakeholder
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=language)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/template/"):
        page.goto(live_server.url + path)
        problems += violations(page)
    log_in(page, live_server.url, user.email)
    rid, eid = report.pk, report.entity_id
    for path in (
        f"/reports/{rid}/",
        f"/reports/{rid}/sections/executive-summary/",
        f"/reports/{rid}/sections/line-C2/",
        f"/reports/{rid}/sections/line-C7.HEALTH/",
        f"/reports/{rid}/sections/indicators/",
        f"/reports/{rid}/sections/contact/",
        f"/reports/{rid}/preview/",
        f"/reports/{rid}/submit/",
        f"/entities/{eid}/",
        f"/entities/{eid}/members/",
    ):
        page.goto(live_server.url + path)
        problems += violations(page)

    # A form with its error messages: a success story without a title, a year out of range.
    page.goto(f"{live_server.url}/reports/{rid}/sections/line-C3/")
    page.locator("[name='stories-0-title']").fill("")
    page.locator("[name='stories-0-year']").fill("1850")
    page.locator("form.section-form button[type=submit]").first.click()
    page.locator(".invalid-feedback, .errorlist").first.wait_for()
    problems += violations(page)
    context.close()
    assert problems == []


def test_the_secretariats_admin_pages_have_no_accessibility_violations(browser, live_server, stakeholder):

    _user, report = stakeholder
    submit_directly(report)
    reviewer = factories.UserFactory.create(email="reviewer@wsis.example.org")
    reviewer.is_staff = True
    reviewer.save()
    reviewer.groups.add(secretariat_group_ensure())

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:login"))  # the portal's login, then the app's code
    problems = violations(page)
    log_in_staff(page, reviewer)
    for url in (
        reverse("mfa_index"),
        reverse("admin:index"),
        reverse("admin:reports_report_changelist"),
        reverse("admin:reports_report_changelist") + "?status__exact=submitted&line=C5",
        reverse("admin:reports_report_change", args=[report.pk]),
        reverse("admin:reports_report_dashboard"),
        reverse("admin:reports_compilation_add"),
    ):
        page.goto(live_server.url + url)
        problems += violations(page)
    context.close()
    assert problems == [], "\n".join(problems)

"""The public pages in Chromium, as a reader sees them: in English and Arabic, at 1280 and 360
pixels: axe-clean, nothing wider than the screen in the page's content, the search and a filter
used from the form, the report and Action Line pages reached by their links."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from reports import services
from reports.models import Report
from tests import factories
from tests.reports.public.conftest import make_report

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()
S = Report.Status
WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('#main *')]
    .filter(el => {
      const r = el.getBoundingClientRect();
      return r.width && (r.right > width + 1 || r.left < -1);
    })
    .slice(0, 5).map(el => el.tagName + '.' + el.className);
}"""


@pytest.fixture
def published_reports(reference_data, cycle, fill_report):
    staff = factories.UserFactory.create(email="secretariat@itu.int", is_staff=True)
    reports = []
    for name, country, language in (
        ("Ministry of Digital Economy of Kenya", "KE", "en"),
        ("Agence nationale du numérique", "FR", "fr"),
        ("هيئة تنظيم الاتصالات", "EG", "ar"),
    ):
        report = make_report(cycle=cycle, name=name, summary="", country=country, language=language)
        fill_report(
            report, text=lambda field, n=name: f"{field}: broadband for schools across the country ({n})."
        )
        services.submission_record(report=report, user=staff, at=cycle.opens_at)
        services.report_transition(report=Report.objects.get(pk=report.pk), to_status=S.ACCEPTED, actor=staff)
        services.report_transition(
            report=Report.objects.get(pk=report.pk), to_status=S.PUBLISHED, actor=staff
        )
        reports.append(Report.objects.get(pk=report.pk))
    return reports


def check(page) -> list[str]:
    found = [
        f"{page.url}: {v['impact']} {v['id']} — {v['help']}: {[n['target'] for n in v['nodes'][:3]]}"
        for v in AXE.run(page).response["violations"]
    ]
    wide = page.evaluate(WIDER_THAN_SCREEN)
    if wide:
        found.append(f"{page.url}: wider than the screen: {wide}")
    return found


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("width", [1280, 360])
def test_public_pages_read_well_and_are_axe_clean(browser, live_server, published_reports, language, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []

    page.goto(live_server.url + "/published/")
    assert page.locator(".public-result").count() == 3
    problems += check(page)

    # Search from the box, then narrow with a filter from the form.
    page.fill("#id_q", "broadband schools")
    page.locator(".public-search button[type=submit]").first.click()
    page.wait_for_url(lambda url: "q=broadband" in url)
    assert page.locator(".public-result mark").count() >= 1
    page.select_option("#id_country", "FR")
    page.locator(".public-filters button[type=submit]").click()
    page.wait_for_url(lambda url: "country=FR" in url)
    assert page.locator(".public-result").count() == 1
    assert "Agence nationale du numérique" in page.locator(".public-result h2").inner_text()
    problems += check(page)

    page.locator(".public-result h2 a").click()
    page.wait_for_url(lambda url: "/published/" in url and "q=" not in url)
    assert page.locator("h1").first.inner_text().startswith("Agence nationale du numérique")
    assert page.locator("a[href$='/pdf']").count() == 1
    problems += check(page)

    page.goto(live_server.url + "/action-lines/")
    problems += check(page)
    page.locator("a[href='/action-lines/C2/']").click()
    page.wait_for_url(lambda url: url.endswith("/action-lines/C2/"))
    assert page.locator(".public-contribution").count() == 3
    problems += check(page)
    context.close()
    assert problems == [], "\n".join(problems)

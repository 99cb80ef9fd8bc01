"""/data/ (the bulk downloads) and the browsable API in Chromium: no accessibility violation on the
portal's page in English and Arabic, no script refused by the Content-Security-Policy, and a
screenshot of each at desktop and phone widths for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from reports import opendata
from reports.models import Report
from tests import factories
from tests.reports.api.conftest import make_report

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/wsis-screenshots"))


@pytest.fixture
def archive(reference_data, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    cycle = factories.CycleFactory.create(slug="wsis20-data", name="WSIS+20 review 2025")
    for n, (country, language) in enumerate([("KE", "en"), ("EG", "ar"), ("FR", "fr")]):
        make_report(
            cycle, status=Report.Status.PUBLISHED, name=f"Entity {n}", country=country, language=language
        )
    return opendata.archive_build(cycle=cycle)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_data_page_is_accessible_and_the_browsable_api_runs_under_the_csp(
    browser, live_server, archive, language
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 360):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda m, refused=refused: refused.append(m.text) if "Content Security" in m.text else None,
        )
        page.goto(live_server.url + "/data/")
        assert page.locator("a[download]").first.get_attribute("href") == (
            "/data/wsis20-data/wsis-reports-wsis20-data.zip"
        )
        found = AXE.run(page).response["violations"]
        assert not found, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in found]
        page.screenshot(path=str(SHOTS / f"data-{language}-{width}.png"), full_page=True)
        page.goto(live_server.url + "/api/v1/reports/")
        assert page.locator("text=Entity 1").count() > 0
        page.screenshot(path=str(SHOTS / f"api-{language}-{width}.png"))
        assert not refused, refused
        context.close()

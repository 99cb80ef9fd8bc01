"""The open data as production serves it: the API through the TLS proxy with DEBUG off, and a
cycle's bulk download rebuilt by the worker after a report is published."""

from __future__ import annotations

import io
import json
import time
import zipfile

PUBLISH_ONE = """
from django.contrib.auth.models import User
from reports import services
from reports.models import Report
report = Report.objects.filter(status="accepted").order_by("pk").first()
staff = User.objects.get(email="secretariat@example.org")
services.report_transition(report=report, to_status="published", actor=staff)
print(report.pk, report.cycle.slug, report.entity.name)  # the last line of the output
"""


def api(deployment, path: str, **headers: str):
    answer = deployment.get(path, headers={"Accept": "application/json", **headers})
    assert answer.status in {200, 304}, (answer.status, answer.text[:500], deployment.logs())
    return answer


def test_the_api_answers_published_reports_with_etag_through_the_proxy(deployment):
    answer = api(deployment, "/api/v1/reports/?page_size=5")
    data = json.loads(answer.body)
    assert data["count"] > 0
    assert len(data["results"]) == min(5, data["count"])
    assert data["results"][0]["url"].startswith(deployment.url + "/api/v1/reports/")
    detail = json.loads(api(deployment, f"/api/v1/reports/{data['results'][0]['id']}/").body)
    assert "sections" in detail
    assert "contact" not in json.dumps(detail)
    assert "public" in answer.headers["Cache-Control"]
    again = api(deployment, "/api/v1/reports/?page_size=5", **{"If-None-Match": answer.headers["ETag"]})
    assert again.status == 304
    schema = json.loads(deployment.get("/api/v1/openapi.json").body)
    assert "/api/v1/reports/{id}/" in schema["paths"]
    # The browsable API's own scripts and styles are among the collected static files.
    page = deployment.get("/api/v1/", headers={"Accept": "text/html"})
    assert page.status == 200
    assert deployment.get("/static/rest_framework/js/default.js").status == 200


def test_publishing_rebuilds_the_cycle_download_in_the_worker(deployment):
    report_id, slug, entity = (
        deployment.manage("shell", "-c", PUBLISH_ONE).strip().splitlines()[-1].split(" ", 2)
    )
    published = json.loads(api(deployment, f"/api/v1/reports/?cycle={slug}&page_size=1").body)["count"]
    assert int(report_id) in {
        r["id"]
        for r in json.loads(api(deployment, f"/api/v1/reports/?cycle={slug}&page_size=200").body)["results"]
    }
    wanted = f"{published} reports in the file"
    deadline = time.monotonic() + 90
    page = ""
    while time.monotonic() < deadline:
        page = deployment.get("/data/").text
        if wanted in page:
            break
        time.sleep(0.5)
    assert wanted in page, deployment.logs()
    download = deployment.get(f"/data/{slug}/wsis-reports-{slug}.zip")
    assert download.status == 200
    assert download.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.body))
    assert f"Published reports: {published}" in archive.read("README.md").decode()
    assert entity in archive.read("csv/reports.csv").decode("utf-8-sig")
    cached = deployment.get(
        f"/data/{slug}/wsis-reports-{slug}.zip", headers={"If-None-Match": download.headers["ETag"]}
    )
    assert cached.status == 304

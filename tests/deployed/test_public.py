"""The public pages as production serves them (gunicorn with several workers, DEBUG off, the TLS
proxy, the Redis cache): a report published from the shell appears with its page, PDF, ETag and
sitemap entry at the https address; once taken back it is gone from every worker at once."""

from __future__ import annotations

import re

MOVE = """
from django.contrib.auth.models import User
from reports import services
from reports.models import Report
staff = User.objects.get(email="secretariat@example.org")
report = Report.objects.filter(status="{status_from}").order_by("-pk").first()
services.report_transition(report=report, to_status="{status_to}", actor=staff)
print(report.pk)  # the last line of the output
"""


def move(deployment, status_from: str, status_to: str, report_id: int | None = None) -> int:
    script = MOVE.format(status_from=status_from, status_to=status_to)
    if report_id is not None:
        script = script.replace(f'filter(status="{status_from}")', f"filter(pk={report_id})")
    return int(deployment.manage("shell", "-c", script).strip().splitlines()[-1])


def test_a_published_report_is_served_cached_and_leaves_every_worker_when_taken_back(deployment):
    listing = deployment.get("/published/")
    assert listing.status == 200, deployment.logs()
    report_id = move(deployment, "accepted", "published")
    page_path = f"/published/{report_id}/"

    # Every worker answers from the same stamp: a few requests reach several gunicorn workers.
    for _ in range(4):
        page = deployment.get(page_path)
        assert page.status == 200, (page.status, deployment.logs())
    body = page.body.decode()
    assert "must-revalidate" in page.headers["Cache-Control"]
    again = deployment.get(page_path, headers={"If-None-Match": page.headers["ETag"]})
    assert again.status == 304
    assert f'href="{page_path}"' in deployment.get("/published/").body.decode()

    stylesheet = re.search(r'href="(/static/css/public\.[^"]*css)"', body)
    assert stylesheet, body[:2000]
    assert deployment.get(stylesheet.group(1)).status == 200

    sitemap = deployment.get("/sitemap.xml").body.decode()
    assert f"<loc>{deployment.url}{page_path}</loc>" in sitemap

    pdf = deployment.get(f"{page_path}pdf")
    assert pdf.status == 200
    assert pdf.body.startswith(b"%PDF")

    move(deployment, "published", "accepted", report_id)
    for _ in range(4):
        assert deployment.get(page_path).status == 404
        assert deployment.get(f"{page_path}pdf").status == 404
    assert f'href="{page_path}"' not in deployment.get("/published/").body.decode()
    assert f"{page_path}</loc>" not in deployment.get("/sitemap.xml").body.decode()

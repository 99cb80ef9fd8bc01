"""The secretariat's pages cost the same number of SQL queries for 10 reports as for 500:
filters, delivery state and aggregates are subqueries or GROUP BY, never a query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import demo
from reports.models import Delivery, Report
from tests import factories

from .conftest import fill, submit_directly

pytestmark = pytest.mark.django_db

LIST = reverse("admin:reports_report_changelist")


def pages(report: Report) -> dict[str, str]:
    assert report.submitted_at is not None
    return {
        "list": LIST,
        "filtered list": f"{LIST}?status__exact=submitted&line=C7&entity__country__region__code__exact=africa"
        "&is_late__exact=0&delivery=failed&entity__stakeholder_type__exact=government",
        "search": f"{LIST}?q=ministry",
        "list ordered by country": f"{LIST}?o=3",
        "month": f"{LIST}?submitted={report.submitted_at:%Y-%m}",
        "dashboard": reverse("admin:reports_report_dashboard"),
        "report page": reverse("admin:reports_report_change", args=[report.pk]),
        "diff": reverse("admin:reports_report_diff", args=[report.pk]) + "?a=1&b=live",
    }


def add_deliveries(reports) -> None:
    rows = []
    for n, report in enumerate(reports):
        for kind in (Delivery.Kind.RENDER_PDF, Delivery.Kind.SECRETARIAT_EMAIL, Delivery.Kind.RECEIPT_EMAIL):
            status = Delivery.Status.FAILED if n % 3 == 0 and kind != "render_pdf" else Delivery.Status.DONE
            rows.append(Delivery(report=report, kind=kind, status=status, attempts=1))
    Delivery.objects.bulk_create(rows)


def count_queries(client, url: str) -> tuple[int, list[str]]:
    """The queries of a page once it has been seen (reference data such as regions and Action
    Lines is cached, as it is after the first page any secretariat member opens)."""
    assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), [q["sql"] for q in captured.captured_queries]


def test_page_query_counts_do_not_grow_with_the_number_of_reports(secretariat_client, secretariat_group):
    demo.demo_seed(reports=10, seed=7)
    add_deliveries(Report.objects.exclude(status="draft"))
    report = Report.objects.filter(status="submitted").order_by("pk").first()
    assert report is not None
    # One report the filtered list finds at both sizes (an empty page has no delivery rows to read).
    found = fill(factories.ReportFactory.create(cycle=report.cycle), codes=("C7.HEALTH",))
    submit_directly(found)
    add_deliveries([found])
    small = {name: count_queries(secretariat_client, url)[0] for name, url in pages(report).items()}

    demo.demo_seed(reports=490, seed=8)
    add_deliveries(Report.objects.exclude(status="draft").exclude(deliveries__isnull=False))
    large = {name: count_queries(secretariat_client, url)[0] for name, url in pages(report).items()}

    assert Report.objects.count() == 501
    assert large == small
    # The session, the user and their permissions (Django's two queries), the count, the date
    # drill-down (Django's two), the rows and the page's delivery state.
    assert small["list"] <= 9, small


def test_the_list_does_not_load_the_long_texts(secretariat_client, submitted_report):
    _n, queries = count_queries(secretariat_client, LIST)
    [rows_query] = [q for q in queries if q.startswith('SELECT "reports_report"."id"')]
    for column in ("executive_summary", "digital_strategy", "future_vision", "section_versions"):
        assert column not in rows_query
    # The page's delivery state: one query over the delivery rows of the reports shown.
    [deliveries_query] = [q for q in queries if 'FROM "reports_delivery"' in q]
    assert str(submitted_report.pk) in deliveries_query

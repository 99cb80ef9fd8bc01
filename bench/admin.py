"""Benchmark: the secretariat's admin pages at 100 and 10,000 reports on PostgreSQL.

Seeds demo reports (``reports.demo.demo_seed``) plus three delivery rows per submitted report,
logs in as the demo secretariat user with Django's test client, and measures each page's
median and 95th-percentile latency and its SQL query count; the portal's login page is the
reference. Goals (issue 5): the query counts are the same at both sizes, and each page's
median stays within 25× the login page's (``LOGIN_FACTOR``).

Uses ``DATABASE_URL`` when set (it must point at PostgreSQL; the database is filled, so give it
a scratch one); otherwise starts a throwaway PostgreSQL cluster like the test suite does.
Prints a table, then the same figures as one JSON line.

    .venv/bin/python bench/admin.py [--sizes 100,10000] [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGIN_FACTOR = 25  # each page's median at most this many times the login page's
sys.path.insert(0, str(ROOT))

from _stack import postgres_start  # noqa: E402 - bench/ is the script's folder


def database_url() -> tuple[str, object | None]:
    """The PostgreSQL to use, and the server to stop afterwards (``None`` for an external one)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    server = postgres_start("bench/admin.py")
    return server.url, server


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000", help="report counts to measure at (ascending)")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    url, server = database_url()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="wsis-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsis_portal.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    try:
        run(sizes, args.runs)
    finally:
        if server is not None:
            server.stop()


def run(sizes: list[int], runs: int) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from reports import demo
    from reports.models import Delivery, Report
    from reports.permissions import secretariat_group_ensure
    from tests.accounts import login_with_totp

    # No setup_test_environment(): its template instrumentation copies every context and would
    # be measured too. Nothing here sends e-mail.
    call_command("migrate", run_syncdb=True, verbosity=0)
    secretariat_group_ensure()

    def add_deliveries() -> None:
        reports = Report.objects.exclude(status=Report.Status.DRAFT).filter(deliveries__isnull=True)
        rows = []
        for n, report_id in enumerate(reports.values_list("pk", flat=True)):
            for kind in (
                Delivery.Kind.RENDER_PDF,
                Delivery.Kind.SECRETARIAT_EMAIL,
                Delivery.Kind.RECEIPT_EMAIL,
            ):
                failed = n % 40 == 0 and kind == Delivery.Kind.RECEIPT_EMAIL
                rows.append(
                    Delivery(
                        report_id=report_id,
                        kind=kind,
                        status=Delivery.Status.FAILED if failed else Delivery.Status.DONE,
                        attempts=1,
                        last_error="550 5.1.1 Mailbox unavailable" if failed else "",
                    )
                )
        Delivery.objects.bulk_create(rows, batch_size=2000)

    results: dict[int, dict[str, dict[str, float | int]]] = {}
    seeded = 0
    for size in sizes:
        started = time.perf_counter()
        demo.demo_seed(reports=size - seeded, seed=size)
        add_deliveries()
        seeded = size
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a settled database
        print(
            f"seeded {Report.objects.count():,} reports in {time.perf_counter() - started:.1f} s", flush=True
        )

        anonymous = Client()
        client = Client()
        # Staff reach the admin with their second factor: password, then the demo app's code.
        secretariat = User.objects.get(email=demo.SECRETARIAT_EMAIL)
        login_with_totp(client, secretariat, password=demo.DEMO_PASSWORD)
        report = Report.objects.filter(status=Report.Status.SUBMITTED).order_by("pk").first()
        changelist = reverse("admin:reports_report_changelist")
        pages = {
            "login page (reference)": (anonymous, reverse("account_login")),
            "report list": (client, changelist),
            "filtered list": (
                client,
                f"{changelist}?status__exact=submitted&line=C5&entity__country__region__code__exact=africa",
            ),
            "search": (client, f"{changelist}?q=ministry"),
            "report page": (client, reverse("admin:reports_report_change", args=[report.pk])),
            "dashboard": (client, reverse("admin:reports_report_dashboard")),
        }
        results[size] = {}
        for name, (who, url) in pages.items():
            for _ in range(3):  # warm-up: caches, prepared plans
                assert who.get(url).status_code == 200, (name, url)
            reset_queries()  # a request empties the query log; start from empty so the count holds
            with CaptureQueriesContext(connection) as captured:
                who.get(url)
            timings = []
            for _ in range(runs):
                t0 = time.perf_counter()
                response = who.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            results[size][name] = {
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(percentile(timings, 0.95), 1),
                "queries": len(captured),
            }

    reference = "login page (reference)"
    print()
    print(f"{'page':<24}" + "".join(f"{f'{s:,} reports':>38}" for s in sizes))
    print(f"{'':<24}" + "".join(f"{'median ms':>12}{'p95 ms':>10}{'queries':>9}{'×login':>7}" for _ in sizes))
    for name in results[sizes[0]]:
        line = f"{name:<24}"
        for size in sizes:
            row = results[size][name]
            ratio = row["median_ms"] / results[size][reference]["median_ms"]
            line += f"{row['median_ms']:>12.1f}{row['p95_ms']:>10.1f}{row['queries']:>9}{ratio:>7.1f}"
        print(line)
    same_queries = all(
        results[sizes[0]][name]["queries"] == results[size][name]["queries"]
        for name in results[sizes[0]]
        for size in sizes
    )
    within = all(
        results[size][name]["median_ms"] <= LOGIN_FACTOR * results[size][reference]["median_ms"]
        for size in sizes
        for name in results[size]
    )
    print()
    print(f"query counts the same at every size: {'yes' if same_queries else 'NO'}")
    print(f"every median within {LOGIN_FACTOR}× the login page: {'yes' if within else 'NO'}")
    print(
        json.dumps(
            {
                "bench": "admin",
                "database": connection.vendor,
                "runs": runs,
                "sizes": {str(size): results[size] for size in sizes},
                "queries_constant": same_queries,
                f"within_{LOGIN_FACTOR}x_login": within,
            }
        )
    )


if __name__ == "__main__":
    main()

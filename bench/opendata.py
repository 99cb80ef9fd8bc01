"""Benchmark: open data at 1,000 and 10,000 published reports on PostgreSQL.

Seeds demo reports (``reports.demo.demo_seed``) and publishes exactly N of them, then measures
(1) building the cycle's bulk download (``opendata.archive_build``: seconds, ZIP size, rows; with
``--heap``, the Python heap's peak in a second, traced build), and (2) the API with Django's test
client, anonymous: the report list, a filtered list, a ``q`` search, a report, the
entities, and the list answered ``304`` to a client sending its ETag back — median and 95th
percentile latency and the SQL query count. The reference is a small page served from the cache
(``/action-lines/``, the public site's, the second time it is asked for).

Each API address is measured uncached (the cache emptied before every request: the queries and the
serialization) and cached (the same address again: its answer comes from the cache under its ETag).
Goals (issue 16): query counts the same at both sizes; each cached median within 10× the reference.
Prints a table, then the same figures as one JSON line.

Uses ``DATABASE_URL`` when set (PostgreSQL; a scratch database: it is filled); otherwise starts a
throwaway PostgreSQL cluster (and a Redis cache) like the test suite does.

    .venv/bin/python bench/opendata.py [--sizes 1000,10000] [--runs 20] [--heap]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACTOR = 10  # each API median at most this many times the reference's
REFERENCE = "reference: /action-lines/ (cached)"
sys.path.insert(0, str(ROOT))

from _stack import servers  # noqa: E402 - bench/ is the script's folder


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="published reports (ascending)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per address")
    parser.add_argument("--heap", action="store_true", help="also build once more, traced: the heap's peak")
    args = parser.parse_args()
    url, cache_url, started = servers("bench/opendata.py")
    os.environ["DATABASE_URL"] = url
    if cache_url:
        os.environ["CACHE_URL"] = cache_url
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="wsis-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsis_portal.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["API_RATE_LIMIT"] = "1000000/min"  # the limit is not what is measured
    try:
        run([int(s) for s in args.sizes.split(",")], args.runs, args.heap)
    finally:
        for server in started:
            server.stop()  # type: ignore[attr-defined]


def seed_published(target: int) -> None:
    """Demo reports until ``target`` are published, each with its move to published on record."""
    from django.db.models import Max

    from reports import demo
    from reports.models import Report, StatusChange

    S = Report.Status
    seed = 1
    while Report.objects.exclude(status=S.DRAFT).count() < target:
        missing = target - Report.objects.exclude(status=S.DRAFT).count()
        demo.demo_seed(
            reports=int(missing / 0.7) + 10, seed=seed + (Report.objects.aggregate(m=Max("pk"))["m"] or 0)
        )
        seed += 1
    submitted = Report.objects.exclude(status=S.DRAFT).order_by("pk").values_list("pk", flat=True)
    keep = list(submitted[:target])
    Report.objects.exclude(status=S.DRAFT).exclude(pk__in=keep).update(status=S.SUBMITTED)
    Report.objects.filter(pk__in=keep).update(status=S.PUBLISHED)
    recorded = set(StatusChange.objects.filter(to_status=S.PUBLISHED).values_list("report_id", flat=True))
    StatusChange.objects.bulk_create(
        StatusChange(report_id=pk, from_status=S.ACCEPTED, to_status=S.PUBLISHED)
        for pk in keep
        if pk not in recorded
    )


def cell(figures: dict[str, float | int]) -> str:
    text = f"{figures['median_ms']} / {figures['p95_ms']} ({figures['queries']})"
    return f"{text:>34}"


def run(sizes: list[int], runs: int, heap: bool) -> None:
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.db.models import Count, Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from reports import opendata
    from reports.models import Report, ReportingCycle

    call_command("migrate", run_syncdb=True, verbosity=0)
    builds: dict[int, dict[str, object]] = {}
    pages: dict[int, dict[str, dict[str, float | int]]] = {}
    for size in sizes:
        started = time.perf_counter()
        seed_published(size)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"{size:,} published reports ready in {time.perf_counter() - started:.1f} s", flush=True)
        cycle = (
            ReportingCycle.objects.annotate(
                published=Count("reports", filter=Q(reports__status=Report.Status.PUBLISHED))
            )
            .order_by("-published")
            .first()
        )
        assert cycle is not None
        started = time.perf_counter()
        info = opendata.archive_build(cycle=cycle)
        seconds = time.perf_counter() - started
        peak = None
        if heap:  # a second build, traced (tracing slows it several times): the Python heap's peak
            tracemalloc.start()
            opendata.archive_build(cycle=cycle)
            peak = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
            tracemalloc.stop()
        builds[size] = {
            "cycle": cycle.slug,
            "seconds": round(seconds, 2),
            "zip_mb": round(info.size / 1e6, 2),
            "heap_peak_mb": peak,
            "rows": info.counts,
        }
        print(f"archive of {cycle.slug}: {builds[size]}", flush=True)

        cache.clear()
        client = Client(HTTP_ACCEPT="application/json")
        report = Report.objects.filter(status=Report.Status.PUBLISHED).order_by("pk").first()
        assert report is not None
        addresses = {
            REFERENCE: "/action-lines/",
            "API report list": "/api/v1/reports/",
            "API filtered list": "/api/v1/reports/?region=africa&stakeholder_type=government&action_line=C5",
            "API q search (digital)": "/api/v1/reports/?q=digital",
            "API report": f"/api/v1/reports/{report.pk}/",
            "API entities": "/api/v1/entities/",
        }
        measured: dict[str, dict[str, float | int]] = {}
        for name, path in addresses.items():
            variants = [("", False)] if name == REFERENCE else [(" (uncached)", True), (" (cached)", False)]
            for suffix, clear in variants:
                client.get(path)  # warm: the cache, connections, templates
                times = []
                if clear:
                    cache.clear()
                reset_queries()  # DEBUG keeps the last 9,000 queries: the seeding filled that log
                with CaptureQueriesContext(connection) as queries:
                    client.get(path)
                for _ in range(runs):
                    if clear:
                        cache.clear()  # the answer computed again: serialization and its queries
                    t = time.perf_counter()
                    answer = client.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                    assert answer.status_code == 200, (path, answer.status_code)
                measured[name + suffix] = {
                    "median_ms": round(statistics.median(times), 2),
                    "p95_ms": round(percentile(times, 0.95), 2),
                    "queries": len(queries),
                }
        etag = client.get("/api/v1/reports/")["ETag"]
        times = []
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/reports/", HTTP_IF_NONE_MATCH=etag).status_code == 304
        for _ in range(runs):
            t = time.perf_counter()
            client.get("/api/v1/reports/", HTTP_IF_NONE_MATCH=etag)
            times.append((time.perf_counter() - t) * 1000)
        measured["API report list, 304"] = {
            "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "queries": len(queries),
        }
        pages[size] = measured
        print(f"API at {size:,}: {json.dumps(measured)}", flush=True)

    print()
    print(f"{'archive':<12} " + " ".join(f"{s:>22,}" for s in sizes))
    for key in ("seconds", "zip_mb", "heap_peak_mb"):
        print(f"{key:<12} " + " ".join(f"{builds[s][key]!s:>22}" for s in sizes))
    print()
    header = f"{'address':<38}" + "".join(f"{f'{s:,}: median / p95 ms (q)':>34}" for s in sizes)
    print(header)
    for name in pages[sizes[0]]:
        cells = "".join(cell(pages[s][name]) for s in sizes)
        print(f"{name:<38}{cells}")
    same_queries = all(
        len({pages[s][name]["queries"] for s in sizes}) == 1 for name in pages[sizes[0]] if name != REFERENCE
    )
    ratios = {
        s: {
            name: round(float(v["median_ms"]) / float(pages[s][REFERENCE]["median_ms"]), 1)
            for name, v in pages[s].items()
            if name != REFERENCE
        }
        for s in sizes
    }
    within = all(r <= FACTOR for per in ratios.values() for name, r in per.items() if "uncached" not in name)
    print()
    print(f"query counts the same at every size: {same_queries}")
    print(f"every cached API median within {FACTOR}x the reference: {within} (ratios {ratios})")
    print(
        json.dumps(
            {
                "bench": "opendata",
                "sizes": sizes,
                "archive": builds,
                "pages": pages,
                "ratios_to_reference": ratios,
                "same_query_counts": same_queries,
                "within_factor": within,
            }
        )
    )


if __name__ == "__main__":
    main()

"""Benchmark: the public pages at 1,000 and 10,000 published reports on PostgreSQL.

Seeds demo reports (``reports.demo.demo_seed``), publishes every submitted one and records their
published versions (``services.published_versions_ensure``, as publishing does), then measures
with Django's test client, anonymous, against a Redis cache: the list, a filtered list, three
searches of different selectivity, a report page, an Action Line page and the API's report list.
Every page is measured twice: *cached* (the same address again: the page's part comes from the
cache) and *uncached* (a new address each time, so the search, counts and rendering run). The
reference is a small cached page: ``/action-lines/`` served from the cache.

Goals (issue 16): query counts the same at both sizes; each cached median within 10× of the
reference; an uncached search within 30×. Prints a table, then the same figures as one JSON line.

Uses ``DATABASE_URL`` when set (PostgreSQL; a scratch database: it is filled); otherwise starts a
throwaway PostgreSQL cluster (and a Redis server) like the test suite does.

    .venv/bin/python bench/public.py [--sizes 1000,10000] [--runs 20]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHED_FACTOR = 10  # each cached page's median at most this many times the reference's
SEARCH_FACTOR = 30  # an uncached search's median at most this many times the reference's
REFERENCE = "action lines (reference, cached)"
sys.path.insert(0, str(ROOT))

from _stack import servers  # noqa: E402 - bench/ is the script's folder


def address(url: str, variant: str, n: int) -> str:
    """The page's address; for the uncached variant with a parameter the page ignores, new each
    time, so that the page's cached part is never found."""
    if variant == "cached":
        return url
    return f"{url}{'&' if '?' in url else '?'}bench={n}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="published reports to measure at (ascending)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page and variant")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    url, cache_url, started = servers("bench/public.py")
    os.environ["DATABASE_URL"] = url
    if cache_url:
        os.environ["CACHE_URL"] = cache_url
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="wsis-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsis_portal.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    try:
        run(sizes, args.runs)
    finally:
        for server in started:
            server.stop()  # type: ignore[attr-defined]


def seed_published(target: int) -> None:
    """Demo reports until ``target`` are published (every submitted one is published)."""
    from django.db.models import Max

    from reports import demo, services
    from reports.models import Report

    S = Report.Status
    seed = 1
    while True:
        published = Report.objects.exclude(status=S.DRAFT).count()
        if published >= target:
            break
        missing = target - published
        demo.demo_seed(
            reports=int(missing / 0.7) + 10, seed=seed + (Report.objects.aggregate(m=Max("pk"))["m"] or 0)
        )
        seed += 1
    extra = Report.objects.exclude(status=S.DRAFT).order_by("-pk").values_list("pk", flat=True)[target:]
    Report.objects.filter(pk__in=list(extra)).update(status=S.SUBMITTED)  # exactly ``target`` published
    Report.objects.exclude(status=S.DRAFT).exclude(pk__in=list(extra)).update(status=S.PUBLISHED)
    services.published_versions_ensure()


def run(sizes: list[int], runs: int) -> None:
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from reports.models import Report

    call_command("migrate", run_syncdb=True, verbosity=0)
    results: dict[int, dict[str, dict[str, float | int]]] = {}
    for size in sizes:
        started = time.perf_counter()
        seed_published(size)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        published = Report.objects.filter(status=Report.Status.PUBLISHED).count()
        print(
            f"{published:,} published reports ({Report.objects.count():,} in all) "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        cache.clear()
        client = Client()
        report = Report.objects.filter(status=Report.Status.PUBLISHED).order_by("pk").first()
        assert report is not None
        pages = {
            REFERENCE: reverse("public:action_lines"),
            "list": reverse("public:reports"),
            "filtered list": reverse("public:reports")
            + "?region=africa&stakeholder_type=government&action_line=C5",
            "search: broad (digital)": reverse("public:reports") + "?q=digital",
            "search: medium (satellite)": reverse("public:reports") + "?q=satellite",
            "search: narrow (meteorological warning)": reverse("public:reports")
            + "?q=meteorological+early+warning",
            "report page": reverse("public:report", args=[report.pk]),
            "Action Line page": reverse("public:action_line", args=["C2"]),
        }
        try:
            pages["API report list"] = reverse("api:report-list")
        except NoReverseMatch:
            pages["API report list"] = "/api/v1/reports/"
        results[size] = {}
        counter = itertools.count()
        for name, url in pages.items():
            row: dict[str, float | int] = {}
            for variant in ("uncached", "cached"):
                for _ in range(2):  # warm-up: connections, prepared plans, the stamp
                    assert client.get(url).status_code == 200, (name, url)

                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    client.get(address(url, variant, next(counter)))
                timings = []
                for _ in range(runs):
                    target = address(url, variant, next(counter))
                    t0 = time.perf_counter()
                    response = client.get(target)
                    timings.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, (name, target)
                row[f"{variant}_median_ms"] = round(statistics.median(timings), 1)
                row[f"{variant}_p95_ms"] = round(percentile(timings, 0.95), 1)
                row[f"{variant}_queries"] = len(captured)
            results[size][name] = row

    print()
    head = f"{'page':<42}"
    print(head + "".join(f"{f'{s:,} published':>46}" for s in sizes))
    print(
        f"{'':<42}"
        + "".join(
            f"{'uncached ms':>12}{'q':>4}{'cached ms':>11}{'q':>4}{'×ref':>7}{'unc×ref':>8}" for _ in sizes
        )
    )
    for name in results[sizes[0]]:
        line = f"{name:<42}"
        for size in sizes:
            row = results[size][name]
            ref = float(results[size][REFERENCE]["cached_median_ms"])
            line += (
                f"{row['uncached_median_ms']:>12.1f}{row['uncached_queries']:>4}"
                f"{row['cached_median_ms']:>11.1f}{row['cached_queries']:>4}"
                f"{float(row['cached_median_ms']) / ref:>7.1f}{float(row['uncached_median_ms']) / ref:>8.1f}"
            )
        print(line)
    same_queries = all(
        results[sizes[0]][name][k] == results[size][name][k]
        for name in results[sizes[0]]
        for size in sizes
        for k in ("uncached_queries", "cached_queries")
    )
    cached_within = all(
        float(results[size][name]["cached_median_ms"])
        <= CACHED_FACTOR * float(results[size][REFERENCE]["cached_median_ms"])
        for size in sizes
        for name in results[size]
    )
    searches_within = all(
        float(results[size][name]["uncached_median_ms"])
        <= SEARCH_FACTOR * float(results[size][REFERENCE]["cached_median_ms"])
        for size in sizes
        for name in results[size]
        if name.startswith("search")
    )
    print()
    print(f"query counts the same at every size: {'yes' if same_queries else 'NO'}")
    print(f"every cached median within {CACHED_FACTOR}× the reference: {'yes' if cached_within else 'NO'}")
    print(
        f"every uncached search within {SEARCH_FACTOR}× the reference: {'yes' if searches_within else 'NO'}"
    )
    print(
        json.dumps(
            {
                "bench": "public",
                "database": connection.vendor,
                "cache": os.environ.get("CACHE_URL", "default").split(":")[0],
                "runs": runs,
                "sizes": {str(size): results[size] for size in sizes},
                "queries_constant": same_queries,
                f"cached_within_{CACHED_FACTOR}x": cached_within,
                f"uncached_search_within_{SEARCH_FACTOR}x": searches_within,
            }
        )
    )


if __name__ == "__main__":
    main()

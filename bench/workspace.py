"""Benchmark: the stakeholder's section page and its save request on a fully filled report.

Builds one report with every field filled (every Action Line with its three answers of
``--chars`` characters and ``--stories`` success stories, the maximum of indicator rows, all
narratives and the contact), logs in a member with Django's test client, and measures over
``--runs`` requests each: the section page of an Action Line (GET), the save of that section
without JavaScript (POST, answered by a redirect) and the autosave of it (POST, answered with
JSON), plus the overview and the preview. Each save changes the text, so every one writes.
Reports the median and 95th-percentile latency and the SQL query count.

SQLite in a temporary directory by default; ``--postgres`` starts a throwaway PostgreSQL cluster
like the test suite does (or uses ``DATABASE_URL`` when it is set). Prints a table, then the same
figures as one JSON line.

    .venv/bin/python bench/workspace.py [--runs 50] [--postgres]
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _stack import postgres_start  # noqa: E402 - bench/ is the script's folder


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed requests per measurement")
    parser.add_argument("--chars", type=int, default=3000, help="characters per long answer")
    parser.add_argument("--stories", type=int, default=5, help="success stories per Action Line")
    parser.add_argument("--postgres", action="store_true", help="run on a throwaway PostgreSQL")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="wsis-bench-workspace-")
    os.environ["VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsis_portal.settings")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["LOG_LEVEL"] = "WARNING"
    server = None
    if args.postgres and not os.environ.get("DATABASE_URL"):
        server = postgres_start("bench/workspace.py --postgres")
        os.environ["DATABASE_URL"] = server.url
    elif not args.postgres:
        os.environ.pop("DATABASE_URL", None)
    try:
        run(args)
    finally:
        if server is not None:
            server.stop()


def fill(report, user, *, chars: int, stories: int) -> None:
    """Every section of the report, through the same service the pages use."""
    from action_lines.models import ActionLine
    from reports import annex, services
    from reports.web import forms

    def text(label: str) -> str:
        sentence = f"{label}: broadband for schools, clinics and farmers in every region. "
        return (sentence * (chars // len(sentence) + 1))[:chars]

    data: dict[str, object]
    for spec in annex.SECTIONS:
        if spec.kind is annex.Kind.NARRATIVE:
            data = {q.name: text(q.name) for q in spec.questions}
        elif spec.kind is annex.Kind.INDICATORS:
            data = {
                "indicators_narrative": text("indicators"),
                "indicators": [
                    {
                        "indicator": str(annex.INDICATOR_EXAMPLES[i % len(annex.INDICATOR_EXAMPLES)]),
                        "value": str(10 + i),
                        "unit": "%",
                        "year": 2024,
                        "source": "ITU",
                        "note": "Estimate.",
                    }
                    for i in range(forms.MAX_INDICATORS)
                ],
            }
        elif spec.kind is annex.Kind.CONTACT:
            data = {"name": "Amina Diallo", "email": "focal.point@example.org", "position": "Focal Point"}
        else:
            continue
        services.report_save_section(report=report, key=spec.key, data=data, base_version=0, user=user)
    for line in ActionLine.objects.in_template_order():
        data = {
            "achievements": text(f"{line.code} achievements"),
            "challenges": text(f"{line.code} challenges"),
            "future_priorities": text(f"{line.code} priorities"),
            "success_stories": [
                {
                    "title": f"Story {i}",
                    "description": text("story"),
                    "url": "https://example.org",
                    "year": 2020,
                }
                for i in range(stories)
            ],
        }
        services.report_save_section(
            report=report, key=f"line-{line.code}", data=data, base_version=0, user=user
        )


def line_post(report, key: str, n: int) -> dict:
    from reports import services

    report.refresh_from_db()
    values = services.report_section_values(report=report, key=key)
    stories = values["success_stories"]
    data = {
        "base_version": services.report_section_version(report=report, key=key),
        "not_applicable": "",
        "achievements": f"{values['achievements']} ({n})",
        "challenges": values["challenges"],
        "future_priorities": values["future_priorities"],
        "stories-TOTAL_FORMS": len(stories),
        "stories-INITIAL_FORMS": len(stories),
        "stories-MIN_NUM_FORMS": 0,
        "stories-MAX_NUM_FORMS": 1000,
    }
    for i, story in enumerate(stories):
        data |= {f"stories-{i}-{k}": ("" if v is None else v) for k, v in story.items()}
    return data


def run(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from reports.demo import REFERENCE_FIXTURES
    from reports.models import Entity, Membership, Report, ReportingCycle
    from tests import factories

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("loaddata", *REFERENCE_FIXTURES, verbosity=0)
    cycle = ReportingCycle.objects.order_by("-opens_at").first()
    assert cycle, "no reporting cycle in the reference data"
    user = factories.UserFactory.create(email="bench@example.org")
    entity = Entity.objects.create(name="Bench Ministry", stakeholder_type="government", country_id="KE")
    Membership.objects.create(user=user, entity=entity, role="owner")
    report = Report.objects.create(entity=entity, cycle=cycle)
    started = time.perf_counter()
    fill(report, user, chars=args.chars, stories=args.stories)
    fill_seconds = time.perf_counter() - started

    client = Client()
    client.force_login(user)
    key = "line-C7.HEALTH"
    section = reverse("reports:section", kwargs={"report_id": report.pk, "key": key})
    measurements: dict[str, tuple[str, str, str | None, dict[str, Any]]] = {
        "section page (GET)": ("get", section, None, {}),
        "save (POST, no JavaScript)": ("post", section, "line", {}),
        "autosave (POST, JSON)": ("post", section, "line", {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}),
        "overview (GET)": ("get", reverse("reports:workspace", kwargs={"report_id": report.pk}), None, {}),
        "preview (GET)": ("get", reverse("reports:preview", kwargs={"report_id": report.pk}), None, {}),
    }
    results: list[dict[str, Any]] = []
    counter = 0
    for name, (method, url, body, headers) in measurements.items():
        timings: list[float] = []
        queries: set[int] = set()
        sizes: list[int] = []
        for run_number in range(args.runs + 2):  # two warm-up requests
            counter += 1
            data = line_post(report, key, counter) if body == "line" else None
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = (
                    getattr(client, method)(url, data, **headers) if data else client.get(url, **headers)
                )
                elapsed = time.perf_counter() - t0
            if response.status_code not in (200, 302):
                sys.exit(f"{name}: HTTP {response.status_code}")
            if run_number >= 2:
                timings.append(elapsed * 1000)
                queries.add(len(captured.captured_queries))
                sizes.append(len(response.content))
        results.append(
            {
                "name": name,
                "median_ms": round(statistics.median(timings), 2),
                "p95_ms": round(percentile(timings, 0.95), 2),
                "queries": sorted(queries),
                "bytes": int(statistics.median(sizes)),
            }
        )
    engine = connection.vendor
    print(
        f"Workspace benchmark on {engine}: one report, every field filled "
        f"({args.chars} characters per answer, {args.stories} stories per line), {args.runs} runs each; "
        f"filled in {fill_seconds:.1f} s"
    )
    print(f"{'request':<30} {'median ms':>10} {'p95 ms':>10} {'queries':>10} {'bytes':>10}")
    for r in results:
        counts = "/".join(str(q) for q in r["queries"])
        print(f"{r['name']:<30} {r['median_ms']:>10.2f} {r['p95_ms']:>10.2f} {counts:>10} {r['bytes']:>10}")
    print(
        json.dumps(
            {
                "bench": "workspace",
                "database": engine,
                "runs": args.runs,
                "chars_per_answer": args.chars,
                "stories_per_line": args.stories,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()

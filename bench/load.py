"""Benchmark: 50 people saving at a person's pace on the deployed tier.

Starts the deployed tier of the tests (as bench/burst.py does: gunicorn with two workers and DEBUG
off behind nginx with TLS, PostgreSQL, Redis, a worker and beat) and prepares ``--people`` members,
each with their own report, logged in. First one person alone saves ``--single`` times (the
baseline: a single person's p50); then every person saves their executive summary once every
``--every`` seconds (the workspace's autosave: a POST answered with JSON, each with the version the
previous answer gave) for ``--seconds``, starting at random moments of the first interval.

Checked: no error (every answer 200 with ``ok``), no lost save (each report's section version in
the database equals the number of saves answered, and its text is the last one sent). Goal: p95
save latency under load <= 8 x a single person's p50.

Prints a table, then the same figures as one JSON line. Compare figures within one run.

    .venv/bin/python bench/load.py [--people 50] [--every 5] [--seconds 120]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The portal's root, not bench/ (whose module names could hide installed packages).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

# The deployed tier's helpers and a person over HTTPS, shared with bench/burst.py.
_spec = importlib.util.spec_from_file_location("bench_burst", ROOT / "bench" / "burst.py")
assert _spec is not None
assert _spec.loader is not None
burst = importlib.util.module_from_spec(_spec)
sys.modules["bench_burst"] = burst  # its dataclasses look their module up
_spec.loader.exec_module(burst)
Person, percentile, prepare, tier_start = burst.Person, burst.percentile, burst.prepare, burst.tier_start

KEY = "executive-summary"


class Saver:
    """One person in their report's executive summary, saving as autosave does."""

    def __init__(self, tier: Any, row: dict[str, Any], index: int) -> None:
        self.person = Person(tier, row["session"])
        self.report_id = row["report_id"]
        self.index = index
        self.path = f"/reports/{self.report_id}/sections/{KEY}/"
        self.token = ""
        self.version = 0
        self.saves = 0
        self.last_text = ""
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def open(self) -> None:
        self.token = self.person.form_token(self.path)
        status, body, _ = self.person.request(self.path)
        found = re.search(rb'name="base_version" value="(\d+)"', body)
        if status != 200 or not found:
            sys.exit(f"{self.path}: {status}, no base_version")
        self.version = int(found.group(1))

    def save(self) -> None:
        text = f"Person {self.index}, save {self.saves + 1}: twenty years of WSIS implementation. " * 8
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": self.token, "base_version": self.version, "executive_summary": text}
        ).encode()
        status, answer, elapsed = self.person.request(
            self.path,
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Requested-With": "XMLHttpRequest",
                "Accept": "application/json",
            },
        )
        try:
            payload = json.loads(answer)
        except ValueError:
            payload = {}
        if status != 200 or not payload.get("ok"):
            self.errors.append(f"{status} {answer[:200]!r}")
            return
        self.latencies.append(elapsed)
        self.version = payload["version"]
        self.saves += 1
        self.last_text = text


def database_check(tier: Any, savers: list[Saver]) -> dict[str, int]:
    """Reports whose stored section does not match what their person's answered saves left."""
    expected = {s.report_id: (s.version, s.last_text) for s in savers}
    code = (
        "import django, json, sys; django.setup()\n"
        "from reports import services\n"
        "from reports.models import Report\n"
        "expected = json.loads(sys.stdin.read())\n"
        "wrong_version = wrong_text = 0\n"
        "for pk, (version, text) in expected.items():\n"
        "    report = Report.objects.get(pk=int(pk))\n"
        f"    v = services.report_section_version(report=report, key={KEY!r})\n"
        f"    t = services.report_section_values(report=report, key={KEY!r}).get('executive_summary', '')\n"
        "    wrong_version += v != version\n"
        "    wrong_text += t.strip() != text.strip()\n"
        "print(json.dumps({'wrong_version': wrong_version, 'wrong_text': wrong_text}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(expected),
        cwd=ROOT,
        env=tier.env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between one person's saves")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long everyone saves")
    parser.add_argument("--single", type=int, default=30, help="saves of the single person (baseline)")
    args = parser.parse_args()

    tier, stop = tier_start(processes=1)
    try:
        rows = prepare(tier, count=args.people + 1, tag=f"load-{int(time.time())}", full=False)
        alone = Saver(tier, rows[0], 0)
        alone.open()
        alone.save()  # warm
        alone.latencies.clear()
        for _ in range(args.single):
            alone.save()
            time.sleep(0.2)
        savers = [Saver(tier, row, i) for i, row in enumerate(rows[1:], start=1)]
        for saver in savers:
            saver.open()

        rng = random.Random(2025)
        started = time.monotonic()
        end = started + args.seconds

        def person(saver: Saver, offset: float) -> None:
            due = started + offset
            while due < end:
                time.sleep(max(0.0, due - time.monotonic()))
                saver.save()
                due += args.every

        threads = [
            threading.Thread(target=person, args=(s, rng.uniform(0, args.every)), daemon=True) for s in savers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 300)
        elapsed = time.monotonic() - started
        check = database_check(tier, [alone, *savers])
    finally:
        stop()

    under_load = [x for s in savers for x in s.latencies]
    errors = [e for s in savers for e in s.errors]
    single_p50 = statistics.median(alone.latencies)
    p50, p95, p99 = (percentile(under_load, q) for q in (0.5, 0.95, 0.99))
    result = {
        "people": args.people,
        "every_s": args.every,
        "seconds": round(elapsed, 1),
        "saves": len(under_load),
        "saves_per_s": round(len(under_load) / elapsed, 2),
        "errors": len(errors),
        "first_errors": errors[:3],
        "lost_saves": check["wrong_version"] + check["wrong_text"],
        "single_p50_ms": round(single_p50 * 1000, 1),
        "load_p50_ms": round(p50 * 1000, 1),
        "load_p95_ms": round(p95 * 1000, 1),
        "load_p99_ms": round(p99 * 1000, 1),
        "load_max_ms": round(max(under_load) * 1000, 1),
        "p95_over_single_p50": round(p95 / single_p50, 2),
        "goal_ok": p95 <= 8 * single_p50
        and not errors
        and not (check["wrong_version"] or check["wrong_text"]),
    }
    print(f"{'measure':<34} {'value':>10}")
    for label, key in [
        ("people saving", "people"),
        ("seconds between a person's saves", "every_s"),
        ("duration (s)", "seconds"),
        ("saves answered", "saves"),
        ("saves per second", "saves_per_s"),
        ("errors", "errors"),
        ("lost saves (database check)", "lost_saves"),
        ("single person p50 (ms)", "single_p50_ms"),
        ("under load p50 (ms)", "load_p50_ms"),
        ("under load p95 (ms)", "load_p95_ms"),
        ("under load p99 (ms)", "load_p99_ms"),
        ("under load max (ms)", "load_max_ms"),
        ("p95 / single p50 (goal <= 8)", "p95_over_single_p50"),
    ]:
        print(f"{label:<34} {result[key]!s:>10}")
    print(json.dumps({"bench": "load", "cpus": os.cpu_count(), **result}))


if __name__ == "__main__":
    main()

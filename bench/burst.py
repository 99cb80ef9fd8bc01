"""Benchmark: a deadline burst — N reports submitted within a few seconds through the deployed tier.

Starts the deployed tier of the tests (tests/deployed/conftest.py: PostgreSQL, Redis, gunicorn with
two workers and DEBUG off behind nginx with TLS, beat, an SMTP server) and, for each worker size
asked (``--workers 1 2``: processes of the Celery worker serving the render queue — each
submission's PDF, then its compilation edition — beside a worker of two processes for the mail and
other queues, as docker-compose.yml deploys them), prepares N complete reports of N entities (each
member logged in), measures the web's idle latency, then submits all N at once over HTTPS and waits
until every secretariat e-mail has arrived. Reported per size:

- drain time: from the first submit to the last secretariat e-mail;
- one render's time: the median of the worker's render_pdf task times in the run with the fewest
  processes (each run's own median is printed too: on a machine with fewer free cores than
  processes, renders slow each other down);
- the goal: drain <= 1.2 x N x (one render) / (worker processes);
- nothing lost (every entity's e-mail arrived), nothing sent twice (each exactly once, still after
  a few seconds more), every delivery row done (checked in the database);
- the web's p50/p95 latency (a member's workspace page, fetched every 0.2 s) while idle and during
  the burst; the goal: p95 during the burst <= 5 x idle p50.

Prints a table, then the same figures as one JSON line. Compare figures within one run.

    .venv/bin/python bench/burst.py [--reports 20] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The portal's root, not bench/ (whose module names could hide installed packages).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

SECRETARIAT = "wsis-info@itu.int"
# The render worker's niceness: about the share docker-compose.yml gives it beside the web (CPU
# weight 256 against 1,024; niceness 6 is weight 272 for Linux's scheduler).
RENDER_NICE = 6
SESSION_COOKIE = "__Host-sessionid"
CSRF_COOKIE = "__Host-csrftoken"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# --- The deployed tier (shared with bench/load.py) ----------------------------------------------------


def tier_start(*, processes: int | None = None):
    """The deployed tier, started as its tests start it; its own worker stopped when ``processes``
    is None (the bench starts the worker it measures), else left with that concurrency."""
    import django

    # This process only drives the tier over HTTP; Django is set up (on a throwaway VAR_DIR, no
    # database opened) because the tier's helpers import the portal's modules.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wsis_portal.settings")
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="wsis-bench-")
    django.setup()
    from tests import services

    if not services.POSTGRES.start():
        sys.exit(f"the deployed tier needs PostgreSQL: {services.POSTGRES.error}")
    if not services.REDIS.start():
        sys.exit(f"the deployed tier needs Redis: {services.REDIS.error}")
    from tests.deployed.conftest import Deployment
    from tests.smtp import SMTPServer

    cache = services.RedisServer()
    if not cache.start():
        sys.exit(f"the deployed tier needs a second Redis: {cache.error}")
    smtp = SMTPServer()
    smtp.start()
    tier = Deployment(smtp=smtp, cache=cache)
    tier.start()
    worker_stop(tier, "worker")
    if processes:
        worker_start(tier, processes, name="worker")

    def stop() -> None:
        tier.stop()
        smtp.stop()
        cache.stop()
        services.REDIS.stop()
        services.POSTGRES.stop()

    return tier, stop


def worker_start(tier: Any, processes: int, *, name: str, queues: str = "", nice: int = 0) -> None:
    """A Celery worker of ``processes`` pool processes consuming ``queues`` (comma-separated), or
    every queue as `make run` does; ``nice``: its CPU priority below the web's (Linux niceness)."""
    log = tier.dir / f"{name}.log"
    if log.exists():
        log.unlink()
    tier._spawn(  # noqa: SLF001 (the tier's own way to start a process with its environment and log)
        name,
        [
            *(["nice", "-n", str(nice)] if nice else []),
            sys.executable, "-m", "celery", "-A", "wsis_portal", "worker", "--loglevel", "INFO",
            "--concurrency", str(processes), "-n", f"{name}-{processes}@localhost",
            "--without-gossip", "--without-mingle", *(["-Q", queues] if queues else []),
        ],
    )  # fmt: skip
    tier._wait_for_log(name, " ready.")  # noqa: SLF001


def worker_stop(tier: Any, name: str) -> None:
    process = tier.processes.pop(name, None)
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def prepare(tier: Any, *, count: int, tag: str, full: bool) -> list[dict[str, Any]]:
    """``count`` entities, each with a member logged in and its report filled in (``full``: every
    Action Line answered, else the executive summary), made by this script in the tier's
    environment: ``[{report_id, entity, session}]``."""
    out = tier.dir / f"prepared-{tag}.json"
    done = subprocess.run(
        [sys.executable, __file__, "--prepare", str(count), "--tag", tag, "--out", str(out)]
        + (["--full"] if full else []),
        cwd=ROOT,
        env=tier.env(),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode:
        sys.exit(f"preparing the reports failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(out.read_text())


def _prepare_here(count: int, tag: str, out: str, full: bool) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.test import Client

    from action_lines.models import ActionLine
    from reports import services
    from reports.models import StakeholderType
    from tests import factories
    from tests.conftest import fill_narratives

    cycle = factories.CycleFactory.create(slug=f"bench-{tag}", name=f"Bench cycle {tag}")
    password = make_password("bench-password-not-used")  # hashed once: nobody logs in by password
    lines = list(ActionLine.objects.in_template_order())
    prepared = []
    paragraph = (
        "Our national broadband plan connected 1,200 schools and 300 clinics; community networks now "
        "reach 40 rural districts, and the digital skills programme trained 25,000 teachers. "
    )
    for i in range(count):
        entity = factories.EntityFactory.create(
            name=f"Bench {tag} entity {i:03d}", stakeholder_type=StakeholderType.GOVERNMENT
        )
        user = factories.MembershipFactory.create(
            entity=entity, user__email=f"bench-{tag}-{i}@example.org", user__password=None
        ).user
        user.password = password
        user.save(update_fields=["password"])
        report = services.report_get_or_create(entity=entity, cycle=cycle)
        save = services.report_save_section
        save(
            report=report,
            key="executive-summary",
            data={"executive_summary": paragraph * 3},
            base_version=0,
            user=user,
        )
        for n, line in enumerate(lines):
            data: dict[str, object]
            if full or n == 0:
                data = {
                    "achievements": paragraph * 2,
                    "challenges": paragraph,
                    "future_priorities": paragraph,
                }
            else:
                data = {"not_applicable": True}
            save(report=report, key=f"line-{line.code}", data=data, base_version=0, user=user)
        save(
            report=report,
            key="contact",
            data={"name": "Focal Point", "email": f"focal-{i}@example.org"},
            base_version=0,
            user=user,
        )
        fill_narratives(report, user)
        client = Client()
        client.force_login(user)
        prepared.append(
            {
                "report_id": report.pk,
                "entity": entity.name,
                "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
            }
        )
    Path(out).write_text(json.dumps(prepared))


# --- A person in a browser without JavaScript, over HTTPS ----------------------------------------------


@dataclass
class Person:
    tier: Any
    session: str
    csrf_cookie: str = ""
    cookies: dict[str, str] = field(default_factory=dict)

    def _cookie_header(self) -> str:
        jar = {SESSION_COOKIE: self.session, **self.cookies}
        return "; ".join(f"{k}={v}" for k, v in jar.items())

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, float]:
        """(status, body, seconds); redirects not followed."""
        url = self.tier.url + path
        sent = {"Cookie": self._cookie_header(), "Referer": url, **(headers or {})}
        request = urllib.request.Request(url, data=data, headers=sent)  # noqa: S310 (our own server)
        opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPSHandler(context=self.tier.tls())
        )
        started = time.perf_counter()
        try:
            with opener.open(request, timeout=120) as answer:
                status, body, got = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as error:
            status, body, got = error.code, error.read(), error.headers
        elapsed = time.perf_counter() - started
        for header in got.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if name == SESSION_COOKIE:
                self.session = value
            elif value:
                self.cookies[name] = value
        return status, body, elapsed

    def form_token(self, path: str) -> str:
        status, body, _ = self.request(path)
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not found:
            sys.exit(f"GET {path}: {status}, no form token:\n{body[-1500:].decode(errors='replace')}")
        return found.group(1).decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Prober:
    """Fetches one page every ``interval`` seconds in a thread; the latencies are kept."""

    def __init__(self, person: Person, path: str, interval: float = 0.2) -> None:
        self.person, self.path, self.interval = person, path, interval
        self.latencies: list[float] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            status, _body, elapsed = self.person.request(self.path)
            if status == 200:
                self.latencies.append(elapsed)
            else:
                self.errors += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def idle_latencies(person: Person, path: str, requests: int = 30) -> list[float]:
    person.request(path)  # warm
    return [person.request(path)[2] for _ in range(requests)]


# --- The burst ----------------------------------------------------------------------------------------


def task_times(log: str, task: str) -> list[float]:
    return [float(s) for s in re.findall(rf"Task {re.escape(task)}\[[^\]]+\] succeeded in ([0-9.]+)s", log)]


def task_ends(log: str, task: str) -> list[float]:
    """When each run of ``task`` ended (seconds since the epoch), from the worker log: JSON lines
    with a ``timestamp`` (the deployed tier's ``LOG_FORMAT``), or plain lines starting with their
    UTC time."""
    ends = []
    for line in log.splitlines():
        if f"Task {task}[" not in line or " succeeded in " not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict) and record.get("timestamp"):
            ends.append(datetime.fromisoformat(record["timestamp"]).timestamp())
        elif plain := re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z ", line):
            ends.append(
                datetime.strptime(plain.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC).timestamp()
            )
    return sorted(ends)


def database_check(tier: Any, report_ids: list[int]) -> dict[str, int]:
    """Rows of the burst's submissions: deliveries not done, secretariat e-mail rows per submission."""
    code = (
        "import django, json; django.setup()\n"
        "from reports.models import Delivery, Submission\n"
        f"subs = Submission.objects.filter(report_id__in={report_ids!r})\n"
        "rows = Delivery.objects.filter(submission__in=subs)\n"
        "sec = rows.filter(kind=Delivery.Kind.SECRETARIAT_EMAIL)\n"
        "print(json.dumps({'submissions': subs.count(), 'not_done': rows.exclude(status='done').count(),"
        " 'secretariat_rows': sec.count(), 'secretariat_sent': sec.filter(status='done').count()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=tier.env(), capture_output=True, text=True, timeout=120
    )
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def burst(tier: Any, *, processes: int, reports: int, full: bool) -> dict[str, Any]:
    tag = f"w{processes}-{int(time.time())}"
    people = prepare(tier, count=reports + 1, tag=tag, full=full)
    watcher_row, people = people[0], people[1:]  # the prober: a member who does not submit
    watcher = Person(tier, watcher_row["session"])
    watch_path = f"/reports/{watcher_row['report_id']}/"
    submitters = [(row, Person(tier, row["session"])) for row in people]
    tokens = [person.form_token(f"/reports/{row['report_id']}/submit/") for row, person in submitters]
    # As deployed (docker-compose.yml): the measured render worker on the render queue, at a lower
    # CPU priority (cpu_shares there), e-mails and the rest by a worker of their own, so that
    # renders take the CPU the web and the e-mails leave and never hold them up.
    worker_start(tier, processes, name=f"burst-{processes}", queues="render", nice=RENDER_NICE)
    worker_start(tier, 2, name=f"burst-mail-{processes}", queues="mail,default,celery,compile")
    idle = idle_latencies(watcher, watch_path)
    tier.smtp.reset()

    def submit(i: int) -> int:
        row, person = submitters[i]
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": tokens[i], "confirm": "on"}).encode()
        status, _body, _elapsed = person.request(
            f"/reports/{row['report_id']}/submit/",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return status

    names = [row["entity"] for row, _ in submitters]

    def arrived() -> dict[str, int]:
        counts = dict.fromkeys(names, 0)
        for message in tier.smtp.to(SECRETARIAT):
            for name in names:
                if name in message.subject:
                    counts[name] += 1
        return counts

    with Prober(watcher, watch_path) as prober:
        started_at = time.time()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=min(reports, 20)) as pool:
            statuses = list(pool.map(submit, range(reports)))
        submitted_in = time.monotonic() - started
        deadline = started + 1800
        while time.monotonic() < deadline and min(arrived().values()) < 1:
            time.sleep(0.1)
        drained = time.monotonic() - started
        during = list(prober.latencies)
    time.sleep(5)  # duplicates would arrive now
    counts = arrived()
    log = tier.log(f"burst-{processes}")
    renders = task_times(log, "reports.render_pdf")
    pdf_ends = task_ends(log, "reports.render_pdf")
    editions_before = sum(
        1 for end in task_ends(log, "reports.render_edition") if pdf_ends and end < pdf_ends[-1]
    )
    worker_stop(tier, f"burst-{processes}")
    worker_stop(tier, f"burst-mail-{processes}")
    rows = database_check(tier, [row["report_id"] for row, _ in submitters])
    one_render = statistics.median(renders) if renders else float("nan")
    idle_p50 = statistics.median(idle)
    during_p95 = percentile(during, 0.95) if during else float("nan")
    return {
        "worker_processes": processes,
        "reports": reports,
        "submit_statuses_ok": sum(1 for s in statuses if s == 302),
        "submitted_in_s": round(submitted_in, 2),
        "drain_s": round(drained, 2),
        # The last PDF rendered (the rest of the drain is its e-mail) and how many compilation
        # editions were rendered before it (none, when the render queue keeps its order).
        "last_pdf_s": round(pdf_ends[-1] - started_at, 2) if pdf_ends else None,
        "editions_before_last_pdf": editions_before,
        "one_render_s": round(one_render, 3),
        "lost": sum(1 for c in counts.values() if c == 0),
        "sent_twice": sum(1 for c in counts.values() if c > 1),
        "rows_not_done": rows["not_done"],
        "secretariat_rows": rows["secretariat_rows"],
        "idle_p50_ms": round(idle_p50 * 1000, 1),
        "burst_p50_ms": round(statistics.median(during) * 1000, 1) if during else None,
        "burst_p95_ms": round(during_p95 * 1000, 1),
        "web_ok": during_p95 <= 5 * idle_p50,
        "probe_errors": prober.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20, help="reports submitted in the burst")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker processes per run")
    parser.add_argument("--short", action="store_true", help="reports with one Action Line (smaller PDFs)")
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tag", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        _prepare_here(args.prepare, args.tag, args.out, args.full)
        return

    tier, stop = tier_start()
    try:
        results = [burst(tier, processes=n, reports=args.reports, full=not args.short) for n in args.workers]
    finally:
        stop()
    # One render's time: the median render of the run with the fewest processes (the least
    # contended for the CPU); each run's own median is reported beside it.
    reference = min(results, key=lambda r: r["worker_processes"])["one_render_s"]
    for r in results:
        r["reference_render_s"] = reference
        r["goal_drain_s"] = round(1.2 * r["reports"] * reference / r["worker_processes"], 2)
        r["drain_ok"] = r["drain_s"] <= r["goal_drain_s"]
        r["drain_within_own_render_goal"] = (
            r["drain_s"] <= 1.2 * r["reports"] * r["one_render_s"] / r["worker_processes"]
        )

    header = (
        f"{'workers':>7} {'reports':>7} {'drain s':>8} {'render s':>8} {'goal s':>7} {'ok':>3} "
        f"{'lost':>4} {'twice':>5} {'idle p50':>8} {'burst p95':>9} {'web ok':>6}"
    )
    print(header)
    for r in results:
        drain = "yes" if r["drain_ok"] else "no"
        web = "yes" if r["web_ok"] else "no"
        print(
            f"{r['worker_processes']:>7} {r['reports']:>7} {r['drain_s']:>8} {r['one_render_s']:>8} "
            f"{r['goal_drain_s']:>7} {drain:>3} {r['lost']:>4} {r['sent_twice']:>5} "
            f"{r['idle_p50_ms']:>6}ms {r['burst_p95_ms']:>7}ms {web:>6}"
        )
    print(f"one render's time (goal's reference): {results[0]['reference_render_s']} s")
    if len(results) > 1 and results[-1]["drain_s"]:
        speedup = results[0]["drain_s"] / results[-1]["drain_s"]
        first, last = results[0]["worker_processes"], results[-1]["worker_processes"]
        print(f"drain speed-up from {first} to {last} worker processes: {speedup:.2f}x")
    print(json.dumps({"bench": "burst", "cpus": os.cpu_count(), "runs": results}))


if __name__ == "__main__":
    main()

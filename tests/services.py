"""Throwaway PostgreSQL and Redis servers for the test run (a pytest plugin).

Loaded with ``-p tests.services`` (see ``pyproject.toml``). Before Django is set up it
starts, once per test session, a PostgreSQL cluster and a Redis server from Debian's
binaries on free loopback ports, with their data in a temporary directory, and points
``DATABASE_URL`` at that cluster, so the whole suite runs on PostgreSQL. Both are
stopped and deleted at the end.

Where a binary is missing the suite falls back to SQLite, and tests marked ``postgres``
or ``redis`` are skipped with the reason; with ``REQUIRE_SERVICES=1`` (CI) such a skip
is a failure. ``TEST_DATABASE=sqlite`` forces the SQLite fallback for a quick local run.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") not in {"", "0", "false", "no"}


def _find_pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, trust auth, loopback only."""

    def __init__(self) -> None:
        self.initdb = _find_pg_bin("initdb")
        self.pg_ctl = _find_pg_bin("pg_ctl")
        self.port = 0
        self.dir: Path | None = None
        self.error = ""
        self._as_user: list[str] = []

    @property
    def available(self) -> bool:
        return bool(self.initdb and self.pg_ctl)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/wsis"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as_user, *args], capture_output=True, text=True, timeout=120)

    def start(self) -> bool:
        if not (self.initdb and self.pg_ctl):
            self.error = "PostgreSQL binaries (initdb, pg_ctl) not found; install Debian's postgresql package"
            return False
        self.dir = Path(tempfile.mkdtemp(prefix="wsis-test-pg-"))
        if os.geteuid() == 0:  # initdb refuses to run as root: use the postgres system user
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                self.error = "running as root and no 'postgres' user exists to own the cluster"
                return False
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        data = self.dir / "data"
        done = self._run(
            self.initdb,
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if done.returncode:
            self.error = f"initdb failed: {done.stderr.strip()[-500:]}"
            return False
        self.port = free_port()
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        done = self._run(
            self.pg_ctl,
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        if done.returncode:
            log = (self.dir / "server.log").read_text(errors="replace")[-800:]
            self.error = f"pg_ctl start failed: {done.stderr.strip()[-300:]} {log}"
            return False
        return True

    def stop(self) -> None:
        if self.dir and self.dir.exists():
            if self.port and self.pg_ctl:
                self._run(self.pg_ctl, "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


class RedisServer:
    """A Redis server without persistence, loopback only. Can be stopped and restarted
    on the same port by fault tests (a broker outage)."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
        )
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.error = ""

    @property
    def available(self) -> bool:
        return self.binary is not None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> bool:
        if self.binary is None:
            self.error = "redis-server not found; install Debian's redis-server package"
            return False
        if self.running:
            return True
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port(self.port):
            self.error = "redis-server did not start listening"
            self.stop()
            return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None


POSTGRES = PostgresServer()
REDIS = RedisServer()


def _stop_all() -> None:
    REDIS.stop()
    POSTGRES.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Runs before pytest-django configures Django: start the servers, then point the
    settings at PostgreSQL through the environment."""
    if os.environ.get("TEST_DATABASE", "postgres") != "sqlite" and POSTGRES.start():
        os.environ["DATABASE_URL"] = POSTGRES.url
    else:
        os.environ["DATABASE_URL"] = "sqlite://:memory:"
    REDIS.start()
    # The tests decide per test whether tasks go through a broker; by default they run inline.
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="wsis-test-var-"))
    atexit.register(_stop_all)
    yield


def pytest_unconfigure(config):
    _stop_all()


def pytest_report_header(config):
    pg = (
        f"postgresql on 127.0.0.1:{POSTGRES.port}"
        if POSTGRES.dir
        else f"sqlite ({POSTGRES.error or 'forced'})"
    )
    rd = f"redis on 127.0.0.1:{REDIS.port}" if REDIS.running else f"no redis ({REDIS.error})"
    return [f"test services: {pg}; {rd}; REQUIRE_SERVICES={'1' if services_required() else '0'}"]


def missing_service(reason: str) -> None:
    """Skip the current test for a missing server, or fail it when services are required."""
    if services_required():
        pytest.fail(f"required test service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and not POSTGRES.dir:
        missing_service(f"needs PostgreSQL: {POSTGRES.error or 'TEST_DATABASE=sqlite'}")
    if item.get_closest_marker("redis") and not REDIS.running:
        missing_service(f"needs Redis: {REDIS.error or 'not running'}")

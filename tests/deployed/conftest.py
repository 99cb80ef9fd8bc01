"""The deployed tier: the portal run as production runs it, and driven over HTTPS.

Once per test session (and only when a test of this folder runs) it starts, on loopback:
- a database of its own on the test run's PostgreSQL cluster, migrated, with demo data;
- static files collected with the production storage (hashed names, compressed);
- gunicorn with two workers, ``DEBUG`` off, behind **nginx terminating TLS** with a throwaway
  certificate and passing ``X-Forwarded-Proto`` / ``X-Forwarded-For`` (``BEHIND_PROXY=true``);
- Redis as the broker (the test run's server) and, separately, a Redis of its own as the cache,
  which a test can stop and start again;
- a Celery worker and Celery beat;
- an SMTP server (aiosmtpd) receiving every e-mail.

Tests talk to it only over HTTP(S) — urllib or Chromium — never through Django in this process.
Every test here is marked ``deployed`` (``make test-deployed`` runs them alone).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pyotp
import pytest

from tests.accounts import TOTP_CODES
from tests.chromium import chromium
from tests.services import POSTGRES, REDIS, RedisServer, free_port, missing_service, wait_for_port
from tests.smtp import Received, SMTPServer

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
DEMO_PASSWORD = "wsis-demo-2025"
SECRETARIAT = "secretariat@example.org"
STAKEHOLDER = "stakeholder@example.org"


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.deployed)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Deployment:
    smtp: SMTPServer
    cache: RedisServer
    dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="wsis-deployed-")))
    app_port: int = field(default_factory=free_port)
    proxy_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    # --- Where it answers ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The public address: nginx, HTTPS."""
        return f"https://127.0.0.1:{self.proxy_port}"

    @property
    def app_url(self) -> str:
        """gunicorn itself, plain HTTP (what the proxy talks to)."""
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{POSTGRES.port}/wsis_deployed"

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_", "CELERY_"))}
        keep.update(
            {
                "DJANGO_SETTINGS_MODULE": "wsis_portal.settings",
                "DEBUG": "false",
                "SECRET_KEY": self.secret_key,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "CSRF_TRUSTED_ORIGINS": self.url,
                "SITE_URL": self.url,
                "BEHIND_PROXY": "true",
                # nginx, one hop, connects from 127.0.0.1: a request from another address (straight
                # to gunicorn) has its X-Forwarded-For ignored (tests/deployed/test_limits.py).
                "TRUSTED_PROXY_ADDRESSES": "127.0.0.1",
                "DATABASE_URL": self.database_url,
                "CONN_MAX_AGE": "60",
                "CELERY_BROKER_URL": REDIS.url(2),
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "CACHE_URL": self.cache.url(0),
                "EMAIL_URL": self.smtp.url,
                "SECRETARIAT_EMAIL": "wsis-info@itu.int",
                "VAR_DIR": str(self.dir / "var"),
                "DELIVERY_RETRY_DELAY": "2",
                # Public PDFs laid out per client address: fewer than the demo's published reports,
                # as a deployer may set it (tests/deployed/test_limits.py).
                "PUBLIC_PDF_LIMIT": "5/m/ip,100/h/ip",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return keep

    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    # The secretariat member the tests log in as. With DEBUG off seed_demo gives the demo
    # secretariat no usable password: the tier sets this one and an authenticator app.
    staff_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    staff_totp_secret: str = field(default_factory=pyotp.random_base32)

    # --- Starting and stopping ---------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def _spawn(self, name: str, command: list[str]) -> None:
        log = (self.dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self, name: str) -> str:
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        """The tail of every process's log, for a failing assertion's message."""
        return "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in [*self.processes, "nginx-error"])

    def _wait_for_log(self, name: str, text: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log(name):
                return
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited:\n{self.log(name)[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"{name} not ready after {timeout}s:\n{self.log(name)[-3000:]}")

    def _create_database(self) -> None:
        admin = f"postgresql://postgres@127.0.0.1:{POSTGRES.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS wsis_deployed")
            conn.execute("CREATE DATABASE wsis_deployed")

    def _certificate(self) -> tuple[Path, Path]:
        cert, key = self.dir / "tls.crt", self.dir / "tls.key"
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        return cert, key

    def _nginx_conf(self) -> Path:
        cert, key = self._certificate()
        temp = self.dir / "nginx"
        temp.mkdir(exist_ok=True)
        conf = self.dir / "nginx.conf"
        conf.write_text(
            (HERE / "nginx.conf")
            .read_text()
            .format(
                dir=self.dir,
                temp=temp,
                user="user root;" if os.geteuid() == 0 else "",
                proxy_port=self.proxy_port,
                app_port=self.app_port,
                cert=cert,
                key=key,
            )
        )
        return conf

    def start(self) -> None:
        self._create_database()
        self.manage("migrate", "--noinput")
        self.manage("createcachetable")  # the limits' table, should the cache be the database
        self.manage("collectstatic", "--noinput")
        self.manage("seed_demo", "--reports", "24", "--allow-production-data")
        self.manage(
            "shell",
            "-c",
            "from tests.accounts import staff_member_prepare; "
            f"staff_member_prepare({SECRETARIAT!r}, {self.staff_password!r}, {self.staff_totp_secret!r})",
        )
        self._spawn(
            "gunicorn",
            [
                sys.executable, "-m", "gunicorn", "wsis_portal.wsgi:application",
                "--bind", f"127.0.0.1:{self.app_port}", "--workers", "2", "--timeout", "60",
                "--forwarded-allow-ips", "127.0.0.1", "--access-logfile", "-",
            ],
        )  # fmt: skip
        self._spawn(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "wsis_portal", "worker", "--loglevel", "INFO",
                "--concurrency", "2", "-n", f"deployed-{self.app_port}@localhost",
                "--without-gossip", "--without-mingle",
            ],
        )  # fmt: skip
        self._spawn(
            "beat",
            [
                sys.executable, "-m", "celery", "-A", "wsis_portal", "beat", "--loglevel", "INFO",
                "--schedule", str(self.dir / "celerybeat-schedule"),
            ],
        )  # fmt: skip
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self._spawn("nginx", [nginx, "-c", str(self._nginx_conf()), "-p", str(self.dir)])
        if not wait_for_port(self.app_port, timeout=60):
            raise RuntimeError(f"gunicorn does not listen:\n{self.log('gunicorn')}")
        if not wait_for_port(self.proxy_port, timeout=30):
            raise RuntimeError(f"nginx does not listen:\n{self.log('nginx')}\n{self.log('nginx-error')}")
        self._wait_for_log("worker", " ready.")
        self._wait_for_log("beat", "beat: Starting")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- Talking to it ---------------------------------------------------------------------------

    def tls(self) -> ssl.SSLContext:
        """Verifies the proxy's certificate: the throwaway one made for this run."""
        return ssl.create_default_context(cafile=str(self.dir / "tls.crt"))

    def opener(self, jar) -> urllib.request.OpenerDirector:
        """Follows redirects and keeps cookies in ``jar``, like a browser without JavaScript."""
        return urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=self.tls())
        )

    def get(self, path: str, *, headers: dict[str, str] | None = None, direct: bool = False) -> Response:
        """One request through the proxy (or straight to gunicorn), redirects not followed."""
        url = (self.app_url if direct else self.url) + path
        request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (our own server)
        opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=self.tls()))
        try:
            with opener.open(request, timeout=30) as answer:
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())

    def staff_code(self) -> str:
        """The code the secretariat member's authenticator app shows now (each used once)."""
        return TOTP_CODES.code(self.staff_totp_secret)

    def staff_login(self, jar) -> None:
        """The secretariat member logs in over the proxy as a browser without JavaScript would:
        the admin's login sends to the portal's, then password, then the app's code; the
        session's cookies end up in ``jar``."""
        opener = self.opener(jar)

        def form(answer) -> tuple[str, str]:
            page = answer.read().decode()
            found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert found, page[-2000:]
            return answer.url, found.group(1)

        url, token = form(opener.open(self.url + "/admin/login/?next=/admin/", timeout=30))
        assert url.startswith(self.url + "/accounts/login/"), url
        fields = {"csrfmiddlewaretoken": token, "login": SECRETARIAT, "password": self.staff_password}
        answer = opener.open(self._post(url, fields), timeout=30)
        url, token = form(answer)
        assert url == self.url + "/accounts/2fa/authenticate/", url
        answer = opener.open(
            self._post(url, {"csrfmiddlewaretoken": token, "code": self.staff_code()}), timeout=30
        )
        assert answer.url == self.url + "/admin/", answer.url

    @staticmethod
    def _post(url: str, fields: dict[str, str]) -> urllib.request.Request:
        data = urllib.parse.urlencode(fields).encode()
        return urllib.request.Request(url, data=data, headers={"Referer": url})  # noqa: S310 (ours)

    def wait_for_mail(self, address: str, *, subject: str = "", timeout: float = 60) -> Received:
        """The newest e-mail to ``address`` whose subject contains ``subject``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.smtp.to(address) if subject in m.subject]
            if found:
                return found[-1]
            time.sleep(0.2)
        seen = [(m.envelope_to, m.subject) for m in self.smtp.messages]
        raise AssertionError(f"no e-mail to {address} about {subject!r}; received {seen}\n{self.logs()}")

    def healthz(self) -> dict:
        return json.loads(self.get("/healthz").text)


@pytest.fixture(scope="session")
def deployment() -> Iterator[Deployment]:
    if not POSTGRES.dir:
        missing_service(f"the deployed tier needs PostgreSQL: {POSTGRES.error or 'TEST_DATABASE=sqlite'}")
    if not REDIS.running:
        missing_service(f"the deployed tier needs Redis: {REDIS.error or 'not running'}")
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        missing_service("the deployed tier needs nginx as its TLS proxy (Debian package nginx)")
    cache = RedisServer()
    if not cache.start():
        missing_service(f"the deployed tier needs a second Redis for its cache: {cache.error}")
    smtp = SMTPServer()
    smtp.start()
    deployed = Deployment(smtp=smtp, cache=cache)
    try:
        deployed.start()
        yield deployed
    finally:
        deployed.stop()
        smtp.stop()
        cache.stop()


@pytest.fixture(scope="package")
def deployed_browser():
    with chromium(orm_between_steps=False) as browser:
        yield browser


@dataclass
class Watched:
    """A browser page whose every response and console message is recorded."""

    page: object
    failures: list[str]

    def assert_clean(self) -> None:
        assert not self.failures, self.failures


@pytest.fixture
def open_page(deployed_browser, deployment):
    """``open_page(language="en-GB", width=1280)`` — a page in a new browser context that trusts the
    throwaway certificate and records every answer of 400 or more from the portal, every console
    error (CSP violations included) and every script error. Checked when the test ends."""
    contexts = []
    watched: list[Watched] = []

    def make(*, language: str = "en-GB", width: int = 1280, javascript: bool = True) -> Watched:
        context = deployed_browser.new_context(
            viewport={"width": width, "height": 900},
            locale=language,
            ignore_https_errors=True,
            java_script_enabled=javascript,
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        failures: list[str] = []
        page.on(
            "response",
            lambda r: (
                failures.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 400 and r.url.startswith(deployment.url)
                else None
            ),
        )
        page.on(
            "console",
            lambda m: failures.append(f"console on {page.url}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda error: failures.append(f"script error: {error}"))
        item = Watched(page=page, failures=failures)
        watched.append(item)
        return item

    yield make
    for context in contexts:
        context.close()
    for item in watched:
        item.assert_clean()

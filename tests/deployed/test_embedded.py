"""The embedded default as `make run` starts it (scripts/run-embedded.sh): SQLite, the
development server, and a real Celery worker on the filesystem broker. A submission made over
HTTP is rendered and e-mailed by that worker, and the e-mail's links use the HOST it was given."""

from __future__ import annotations

import email
import email.policy
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.services import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
STAKEHOLDER = "stakeholder@example.org"
DEMO_PASSWORD = "wsis-demo-2025"


@pytest.fixture(scope="module")
def embedded():
    folder = Path(tempfile.mkdtemp(prefix="wsis-embedded-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_", "CELERY_"))}
    env.pop("DATABASE_URL", None)
    env.pop("CACHE_URL", None)
    env.update(
        {
            "VAR_DIR": str(folder / "var"),
            "VENV": str(Path(sys.executable).parent.parent),
            "EMAIL_URL": "filemail://",  # the files under VAR_DIR/mail, instead of the terminal
            "PYTHONUNBUFFERED": "1",
        }
    )
    for command in (["migrate", "--noinput"], ["seed_demo", "--if-empty"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    log = (folder / "run.log").open("ab")
    process = subprocess.Popen(
        ["scripts/run-embedded.sh", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert wait_for_port(port, timeout=60), (folder / "run.log").read_text()
        yield {"url": f"http://127.0.0.1:{port}", "var": folder / "var", "log": folder / "run.log"}
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal: the whole group
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            raise AssertionError(  # noqa: B904 (the log says more than the timeout)
                f"make run did not stop on SIGTERM:\n{(folder / 'run.log').read_text()[-3000:]}"
            )


def mails(var: Path) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted((var / "mail").glob("*.log")) if (var / "mail").exists() else []:
        # The file back end writes each message followed by a line of dashes.
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk.strip() + b"\n", policy=email.policy.default))
    return found


def test_a_submission_is_rendered_and_mailed_by_the_embedded_worker(embedded):
    base = embedded["url"]
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def form_post(url: str, fields: dict[str, str]):
        page = browser.open(url, timeout=30).read().decode()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found, page[-2000:]
        token = found.group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        return browser.open(urllib.request.Request(url, data=data, headers={"Referer": url}), timeout=30)  # noqa: S310

    assert browser.open(base + "/", timeout=30).status == 200
    landed = form_post(base + "/accounts/login/", {"login": STAKEHOLDER, "password": DEMO_PASSWORD})
    found = re.search(r"/reports/(\d+)/$", landed.url)
    assert found, landed.url
    report_id = found.group(1)
    # The demo stakeholder's report for the current cycle is empty: it starts from the entity's
    # report for 2025 (the button on the workspace), which is complete, then is submitted.
    workspace = browser.open(f"{base}/reports/{report_id}/", timeout=30).read().decode()
    assert "Start from our report for WSIS+20 review 2025" in workspace
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', workspace)
    assert token
    started = browser.open(
        urllib.request.Request(  # noqa: S310 (the portal's own http:// address)
            f"{base}/reports/{report_id}/start-from-previous/",
            data=urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1)}).encode(),
            headers={"Referer": f"{base}/reports/{report_id}/"},
        ),
        timeout=30,
    )
    assert "Started from your report for WSIS+20 review 2025." in started.read().decode()
    submitted = form_post(f"{base}/reports/{report_id}/submit/", {"confirm": "on"})
    assert "/submissions/" in submitted.url

    # The web server answered at once; the worker renders the PDF and writes the e-mails.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(mails(embedded["var"])) < 2:
        time.sleep(0.2)
    received = mails(embedded["var"])
    to_secretariat = [m for m in received if "wsis-info@itu.int" in m["To"]]
    receipts = [m for m in received if STAKEHOLDER in m["To"]]
    assert len(to_secretariat) == 1, embedded["log"].read_text()[-3000:]
    assert len(receipts) == 1, embedded["log"].read_text()[-3000:]
    receipt = receipts[0]
    [attachment] = list(receipt.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    plain = receipt.get_body(preferencelist=("plain",))
    assert plain is not None
    body = plain.get_content()
    assert f"{base}/submissions/" in body  # SITE_URL follows the HOST given to `make run`

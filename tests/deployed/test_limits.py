"""The limits as production runs them (see conftest.py): two gunicorn workers sharing the Redis
cache behind nginx, which appends the client's address to X-Forwarded-For (one trusted hop).

Failed logins block at the configured count whichever worker answers and whatever allowed Host the
client names; a client's own X-Forwarded-For changes nothing, through nginx or straight to
gunicorn (from another loopback address, as a machine that bypasses the proxy would); the owner
still logs in from another address; an abuse limit answers 429 in the person's language."""

from __future__ import annotations

import html
import http.client
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.utils import translation

from tests.deployed.conftest import Deployment
from wsis_portal.limits import limit_message

WRONG = "The email address and/or password you specified are not correct."
LOCKED = "Too many failed login attempts"
PASSWORD = "a-Long-passphrase-2025"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str


@dataclass
class Visitor:
    """A browser without JavaScript, over a new connection per request (so the requests spread
    over gunicorn's workers): through nginx over HTTPS, or straight to gunicorn from ``source``."""

    deployment: Deployment
    host: str = ""
    direct: bool = False
    source: str = "127.0.0.1"
    language: str = "en"
    cookies: dict[str, str] = field(default_factory=dict)

    def _connection(self) -> http.client.HTTPConnection:
        if self.direct:
            return http.client.HTTPConnection(
                "127.0.0.1", self.deployment.app_port, timeout=30, source_address=(self.source, 0)
            )
        return http.client.HTTPSConnection(
            "127.0.0.1", self.deployment.proxy_port, timeout=30, context=self.deployment.tls()
        )

    def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None
    ) -> Answer:
        host = self.host or f"127.0.0.1:{self.deployment.proxy_port}"
        sent = {
            "Host": host,
            "Accept-Language": self.language,
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **({"X-Forwarded-Proto": "https"} if self.direct else {}),  # as nginx says
            **(headers or {}),
        }
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            sent |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{host}",
                "Referer": f"https://{host}{path}",
            }
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie, _, _rest = value.partition(";")
                    key, _, val = cookie.partition("=")
                    self.cookies[key.strip()] = val.strip()
            return Answer(
                response.status, dict(response.getheaders()), response.read().decode(errors="replace")
            )
        finally:
            connection.close()

    def form_post(self, path: str, data: dict, headers: dict | None = None) -> Answer:
        page = self.request("GET", path)
        assert page.status == 200, (page.status, self.deployment.logs())
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text[-2000:]
        return self.request("POST", path, {**data, "csrfmiddlewaretoken": token.group(1)}, headers)

    def login(self, email: str, password: str, headers: dict | None = None) -> str:
        answer = self.form_post("/accounts/login/", {"login": email, "password": password}, headers)
        if answer.status == 302:
            return "in"
        assert answer.status == 200, (answer.status, answer.text[-2000:], self.deployment.logs())
        if LOCKED in answer.text:
            return "locked"
        assert WRONG in answer.text, answer.text[-3000:]
        return "wrong"


@pytest.fixture
def account(deployment):
    """A new person with a verified address and a password of their own."""
    email = f"limits-{secrets.token_hex(4)}@example.org"
    deployment.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; from allauth.account.models import EmailAddress; "
        f"u = User.objects.create_user({email!r}, {email!r}, {PASSWORD!r}); "
        f"EmailAddress.objects.create(user=u, email={email!r}, verified=True, primary=True)",
    )
    return email


def test_wrong_passwords_block_at_five_across_workers_and_host_headers(deployment, account):
    port = deployment.proxy_port
    hosts = [
        f"127.0.0.1:{port}",
        f"localhost:{port}",
        f"LOCALHOST:{port}",
        "127.0.0.1",
        "localhost:1",
        "LocalHost",
    ]
    seen = [Visitor(deployment, host=host).login(account, "wrong") for host in hosts]
    assert seen == ["wrong"] * 5 + ["locked"], deployment.logs()
    # The right password from the same address waits too, whatever the host.
    assert Visitor(deployment, host=f"localhost:{port}").login(account, PASSWORD) == "locked"
    # The admin's login is this same form, with these same counters.
    admin = Visitor(deployment).request("GET", "/admin/login/")
    assert admin.status == 302
    assert admin.headers["Location"].startswith("/accounts/login/")


def test_a_forwarded_for_sent_by_the_client_through_nginx_changes_nothing(deployment, account):
    seen = [
        Visitor(deployment).login(account, "wrong", {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(7)
    ]
    assert seen == ["wrong"] * 5 + ["locked"] * 2


def test_straight_to_gunicorn_a_client_forwarded_for_is_ignored(deployment, account):
    """Not from nginx's address: the header is the client's own and is not believed."""
    seen = [
        Visitor(deployment, direct=True, source="127.0.0.2").login(
            account, "wrong", {"X-Forwarded-For": f"203.0.113.{n}"}
        )
        for n in range(6)
    ]
    assert seen == ["wrong"] * 5 + ["locked"]


def test_the_owner_logs_in_from_another_address_after_an_attacker_used_up_theirs(deployment, account):
    attacker = [Visitor(deployment).login(account, "wrong") for _ in range(7)]
    assert attacker == ["wrong"] * 5 + ["locked"] * 2
    owner = Visitor(deployment, direct=True, source="127.0.0.3")
    assert owner.login(account, PASSWORD) == "in"
    start = owner.request("GET", "/start/")
    assert start.status == 302
    assert "/accounts/login/" not in start.headers["Location"]


def test_too_many_new_entities_answer_429_in_french_keeping_the_form(deployment, account):
    person = Visitor(deployment, language="fr")
    assert person.login(account, PASSWORD) == "in"
    form = person.request("GET", "/entities/new/")
    country = re.search(r'<option value="([A-Z]{2})"', form.text)
    assert country, form.text[-2000:]
    statuses = []
    for n in range(6):
        name = f"Limits test body {n} {account}"
        answer = person.form_post(
            "/entities/new/", {"name": name, "stakeholder_type": "government", "country": country.group(1)}
        )
        statuses.append(answer.status)
    assert statuses == [302] * 5 + [429], deployment.logs()
    assert '<html lang="fr"' in answer.text
    with translation.override("fr"):
        assert html.escape(limit_message("entity_create")) in answer.text
    assert f'value="{html.escape(name)}"' in answer.text  # nothing to type again


FORGET_PUBLIC_PDFS = """
from reports.models import PublishedVersion
print(PublishedVersion.objects.filter(report_id__in={ids!r}, is_current=True).update(pdf=""))
"""


def test_public_pdfs_laid_out_for_one_address_stop_at_the_limit_whatever_it_forwards(deployment):
    """PUBLIC_PDF_LIMIT (5 a minute in this tier) counts the PDFs an address has laid out. Straight
    to gunicorn from addresses that are not the proxy's, as in the login tests, so that the
    proxy's own count (every visitor through nginx is 127.0.0.1 here) is left to the other tests:
    the client's X-Forwarded-For does not give it a new count; another address has its own."""
    listing = Visitor(deployment).request("GET", "/published/")
    ids = list(dict.fromkeys(int(i) for i in re.findall(r'href="/published/(\d+)/"', listing.text)))
    assert len(ids) >= 6, listing.text[-2000:]
    ids = ids[:6]
    assert deployment.manage("shell", "-c", FORGET_PUBLIC_PDFS.format(ids=ids)).strip().endswith("6")
    statuses = []
    for n, report_id in enumerate(ids):
        visitor = Visitor(deployment, direct=True, source="127.0.0.4")
        answer = visitor.request(
            "GET", f"/published/{report_id}/pdf", headers={"X-Forwarded-For": f"203.0.113.{n}"}
        )
        statuses.append(answer.status)
    assert statuses == [200] * 5 + [429], deployment.logs()
    assert answer.headers["Retry-After"] == "60"
    assert html.escape(limit_message("public_pdf")) in answer.text
    elsewhere = Visitor(deployment, direct=True, source="127.0.0.5").request(
        "GET", f"/published/{ids[-1]}/pdf"
    )
    assert elsewhere.status == 200
    assert elsewhere.headers["Content-Type"] == "application/pdf"
    stored = Visitor(deployment, direct=True, source="127.0.0.4").request("GET", f"/published/{ids[0]}/pdf")
    assert stored.status == 200  # laid out already: served without counting

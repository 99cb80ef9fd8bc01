"""Limits that hold: failed logins per account and client address (whatever the Host header), the
client's address behind a proxy, and the abuse limits' 429 answers (wsis_portal/limits.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from reports.models import Compilation, Entity, SecurityEvent, Submission
from reports.permissions import secretariat_group_ensure
from tests import factories
from tests.accounts import staff_client
from tests.services import POSTGRES, missing_service
from wsis_portal import limits

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
WRONG = "The email address and/or password you specified are not correct."
LOCKED = "Too many failed login attempts"


def login(client, email, password, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def outcome(response) -> str:
    if response.status_code == 302:
        return "in"
    page = response.content.decode()
    if LOCKED in page:
        return "locked"
    assert WRONG in page, page[-2000:]
    return "wrong"


@pytest.fixture
def person(reference_data):
    return factories.UserFactory.create(email="owner@example.org")


# --- Failed logins ------------------------------------------------------------------------------


def test_varying_the_host_header_does_not_give_more_guesses(client, person, settings):
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    hosts = ["testserver", "127.0.0.1:8000", "localhost:8443", "LOCALHOST", "127.0.0.1:9", "localhost"]
    seen = [outcome(login(client, person.email, "wrong", HTTP_HOST=host)) for host in hosts]
    assert seen == ["wrong"] * 5 + ["locked"]
    assert outcome(login(client, person.email, factories.PASSWORD, HTTP_HOST="localhost:1")) == "locked"
    refusals = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOCKED_OUT)
    assert [(e.actor_email, e.detail) for e in refusals] == [
        ("owner@example.org", {"limit": "login_failed"})
    ] * 2


def test_the_address_typed_in_capitals_is_the_same_account(client, person):
    for email in ["owner@example.org", "OWNER@example.org", " Owner@Example.org", "owner@EXAMPLE.ORG"] * 2:
        last = outcome(login(client, email, "wrong"))
    assert last == "locked"


def test_without_a_trusted_proxy_a_client_sent_forwarded_for_is_ignored(client, person, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    seen = [
        outcome(login(client, person.email, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")) for n in range(6)
    ]
    assert seen == ["wrong"] * 5 + ["locked"]


def test_behind_one_proxy_the_address_it_appended_is_the_clients(client, person, settings):
    """nginx appends the address it sees: whatever the client sent before it is not believed."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    spoofed = [
        outcome(login(client, person.email, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7"))
        for n in range(6)
    ]
    assert spoofed == ["wrong"] * 5 + ["locked"]
    # The owner, from another address, still gets in.
    other = login(client, person.email, factories.PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert outcome(other) == "in"
    assert SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOCKED_OUT).client_ip == "203.0.113.7"


def test_forwarded_for_counts_only_from_the_trusted_proxys_address(rf, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.0/24"]
    adapter = limits.AccountAdapter()
    through_proxy = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    straight = rf.get("/", REMOTE_ADDR="192.0.2.8", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert adapter.get_client_ip(through_proxy) == "203.0.113.7"
    assert adapter.get_client_ip(straight) == "192.0.2.8"


def test_one_address_cannot_lock_the_owner_out_but_many_addresses_can_for_a_while(client, person, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    def attempt(address: str, password: str = "wrong") -> str:  # noqa: S107 (a wrong one)
        return outcome(login(client, person.email, password, HTTP_X_FORWARDED_FOR=address))

    # The attacker's address is stuck after five; its further tries use up nothing else.
    assert [attempt("203.0.113.7") for _ in range(12)] == ["wrong"] * 5 + ["locked"] * 7
    assert attempt("192.0.2.1", factories.PASSWORD) == "in"
    client.logout()
    # Many addresses: the account's own, looser limit (20 in 15 minutes) holds.
    seen = [attempt(f"198.51.100.{n // 5}") for n in range(20)]
    assert seen == ["wrong"] * 15 + ["locked"] * 5  # 5 above + 15 = 20 failures counted
    assert attempt("192.0.2.1", factories.PASSWORD) == "locked"
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.LOCKED_OUT, detail__limit="login_failed_account"
    ).exists()


def test_logging_in_forgets_the_failures_from_that_address(client, person):
    assert [outcome(login(client, person.email, "wrong")) for _ in range(4)] == ["wrong"] * 4
    assert outcome(login(client, person.email, factories.PASSWORD)) == "in"
    client.logout()
    seen = [outcome(login(client, person.email, "wrong")) for _ in range(6)]
    assert seen == ["wrong"] * 5 + ["locked"]


def test_the_admin_login_shares_the_portals_buckets(client, person):
    admin = client.get("/admin/login/")
    assert (admin.status_code, admin["Location"].split("?")[0]) == (302, reverse("account_login"))
    for _ in range(5):
        login(client, person.email, "wrong")
    assert outcome(client.post(admin["Location"], {"login": person.email, "password": "x"})) == "locked"


def test_allauths_own_limits_answer_with_the_portals_429_page(client, settings, reference_data):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/m/ip"}
    signup = {"email": "a@example.org", "password1": "a-Long-passphrase-2025", "password2": "x"}
    client.post(reverse("account_signup"), signup)
    response = client.post(reverse("account_signup"), signup, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 429
    page = response.content.decode()
    assert 'lang="fr"' in page
    with translation.override("fr"):
        assert escape(str(limits.GENERIC_MESSAGE)) in page
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.RATE_LIMITED, detail__limit="account"
    ).exists()


# --- Abuse limits ---------------------------------------------------------------------------------


def test_too_many_entities_in_a_day_are_refused_keeping_what_was_typed(client, person, settings):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "entity_create": "1/d/user"}
    client.force_login(person)
    country = factories.EntityFactory.build().country
    url = reverse("reports:entity_create")
    first = {"name": "First Ministry", "stakeholder_type": "government", "country": country.pk}
    assert client.post(url, first).status_code == 302
    second = {**first, "name": "Second Ministry", "acronym": "SM", "website": "https://sm.example.org"}
    response = client.post(url, second, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 429
    page = response.content.decode()
    assert 'value="Second Ministry"' in page
    assert 'value="https://sm.example.org"' in page
    with translation.override("fr"):
        assert escape(limits.limit_message("entity_create")) in page
    assert list(Entity.objects.filter(memberships__user=person).values_list("name", flat=True)) == [
        "First Ministry"
    ]
    created = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ENTITY, actor=person)
    assert (created.object_repr.startswith("First Ministry"), created.detail) == (True, {"action": "created"})
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.RATE_LIMITED, actor=person).count() == 1


@pytest.fixture
def submission(report, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    row = Submission.objects.create(report=report, number=1, submitted_at=timezone.now(), content={})
    row.pdf.save("receipt.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"))
    return row


def test_too_many_pdf_downloads_answer_429_and_each_download_is_recorded(client, submission, settings):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "download": "2/m/user,300/h/user"}
    member = factories.MembershipFactory.create(entity=submission.report.entity).user
    client.force_login(member)
    url = reverse("reports:submission_pdf", kwargs={"pk": submission.pk})
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    refused = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    with translation.override("fr"):
        assert escape(limits.limit_message("download")) in refused.content.decode()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DOWNLOAD, actor=member).count() == 2
    assert SecurityEvent.objects.get(kind=SecurityEvent.Kind.RATE_LIMITED).detail == {"limit": "download"}
    # The workspace's scripts get the message as JSON.
    answer = client.get(url, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert answer.status_code == 429
    assert answer.json() == {"ok": False, "rate_limited": True, "message": limits.limit_message("download")}


def test_too_many_compilations_are_refused_next_to_the_form(client, cycle):
    staff = factories.UserFactory.create(email="reviewer@wsis.example.org", is_staff=True)
    staff.groups.add(secretariat_group_ensure())
    staff_client(client, staff)
    url = reverse("admin:reports_compilation_add")
    choices = {"cycle": cycle.pk, "layout": "full", "regions": ["cis"]}
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(limits.settings.PORTAL_RATE_LIMITS, "compilation", "1/h/user")
        assert client.post(url, choices).status_code == 200  # nothing to compile: counted all the same
        response = client.post(url, choices)
    assert response.status_code == 429
    page = response.content.decode()
    assert escape(limits.limit_message("compilation")) in page
    assert re.search(r'<input[^>]*value="cis"[^>]*checked', page)  # the choices stay ticked
    assert SecurityEvent.objects.get(kind=SecurityEvent.Kind.RATE_LIMITED).detail == {"limit": "compilation"}


def test_a_compilations_download_is_recorded_and_limited(client, cycle, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "download": "1/m/user"}
    staff = factories.UserFactory.create(email="reviewer@wsis.example.org", is_staff=True)
    staff.groups.add(secretariat_group_ensure())
    staff_client(client, staff)
    job = Compilation.objects.create(cycle=cycle, status=Compilation.Status.DONE, requested_by=staff)
    job.file.save("all.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"))
    url = reverse("admin:reports_compilation_download", args=[job.pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 429
    (event,) = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DOWNLOAD)
    assert (event.object_type, event.object_id, event.actor) == ("compilation", str(job.pk), staff)


# --- The database cache, shared by several processes ---------------------------------------------

COUNTER = textwrap.dedent(
    """
    import django, sys
    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory
    from wsis_portal import limits
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.1")
    request.user = AnonymousUser()
    allowed = 0
    for _ in range(int(sys.argv[1])):
        allowed += not limits.limit_reached(request, "invitation", key="entity:1")
    print(allowed)
    """
)


@pytest.mark.postgres
def test_the_database_cache_counts_for_every_process(settings):
    """DEBUG off without CACHE_URL: the limits live in the database, which two processes share."""
    if not POSTGRES.dir:
        missing_service(f"needs PostgreSQL: {POSTGRES.error or 'TEST_DATABASE=sqlite'}")
    admin = f"postgresql://postgres@127.0.0.1:{POSTGRES.port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS wsis_dbcache")
        conn.execute("CREATE DATABASE wsis_dbcache")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_", "CACHE_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "wsis_portal.settings",
            "INVITATION_LIMIT": "10/h/key",
            "DEBUG": "false",
            "SECRET_KEY": "a-test-key-" + "x1y2z3" * 10,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{POSTGRES.port}/wsis_dbcache",
        }
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
        )

    run(sys.executable, "manage.py", "migrate", "--noinput", "reports")
    run(sys.executable, "manage.py", "createcachetable")
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTER, "15"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    allowed = [int(p.communicate(timeout=120)[0].strip()) for p in processes]
    assert sum(allowed) == 10, allowed  # "10/h/key": ten in all, however the two processes shared them


def test_addresses_of_one_ipv6_network_count_as_one(client, person):
    seen = [
        outcome(login(client, person.email, "wrong", REMOTE_ADDR=f"2001:db8:1:2::{n:x}")) for n in range(6)
    ]
    assert seen == ["wrong"] * 5 + ["locked"]
    other_network = login(client, person.email, factories.PASSWORD, REMOTE_ADDR="2001:db8:9:9::1")
    assert outcome(other_network) == "in"

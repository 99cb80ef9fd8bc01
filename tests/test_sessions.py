"""A logged-in session ends after SESSION_IDLE_MINUTES without activity and SESSION_MAX_HOURS
after logging in (wsis_portal/sessions.py); autosave counts as activity; text posted after the
end is kept for the person. Time passes by moving the times the session stores back.
Also the headers of logged-in pages and the production cookies' names."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories
from wsis_portal.sessions import ACTIVE_AT_KEY, LOGIN_AT_KEY, SESSION_SIGNED_OUT_USER_KEY

pytestmark = pytest.mark.django_db

AJAX = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ACCEPT": "application/json"}
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def owner(entity):
    return factories.MembershipFactory.create(entity=entity, user__email="owner@example.org").user


@pytest.fixture
def member(client, owner, report):
    client.force_login(owner)
    assert client.get(workspace(report)).status_code == 200  # the session's times are recorded
    return client


def workspace(report) -> str:
    return reverse("reports:workspace", kwargs={"report_id": report.pk})


def section(report, key: str = "executive-summary") -> str:
    return reverse("reports:section", kwargs={"report_id": report.pk, "key": key})


def time_passes(client, *, minutes: float) -> None:
    """As if ``minutes`` had passed since the session's last request."""
    session = client.session
    session[LOGIN_AT_KEY] -= minutes * 60
    session[ACTIVE_AT_KEY] -= minutes * 60
    session.save()


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return match.group(1).strip()


def test_the_session_records_when_the_person_logged_in(client, owner):
    before = time.time()
    response = client.post(reverse("account_login"), {"login": owner.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    session = client.session
    assert before <= session[LOGIN_AT_KEY] == session[ACTIVE_AT_KEY] <= time.time()


def test_an_idle_session_ends_and_says_why(member, owner, report):
    time_passes(member, minutes=settings.SESSION_IDLE_MINUTES - 1)
    assert member.get(workspace(report)).status_code == 200  # still within the limit
    time_passes(member, minutes=settings.SESSION_IDLE_MINUTES + 1)
    response = member.get(workspace(report), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("account_login"))
    page = response.content.decode()
    assert f"You were logged out after {settings.SESSION_IDLE_MINUTES} minutes without activity" in page
    assert "_auth_user_id" not in member.session
    assert member.session[SESSION_SIGNED_OUT_USER_KEY] == owner.pk


def test_a_session_ends_after_the_absolute_limit_even_when_active(member, owner, report):
    session = member.session
    session[LOGIN_AT_KEY] -= settings.SESSION_MAX_HOURS * 3600 + 60
    session.save()
    response = member.get(workspace(report), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("account_login"))
    assert f"a session lasts at most {settings.SESSION_MAX_HOURS} hours" in response.content.decode()
    assert member.session[SESSION_SIGNED_OUT_USER_KEY] == owner.pk


def test_autosave_keeps_a_person_typing_logged_in(member, report):
    time_passes(member, minutes=settings.SESSION_IDLE_MINUTES - 1)
    saved = member.post(section(report), {"base_version": 0, "executive_summary": "First lines."}, **AJAX)
    assert saved.status_code == 200
    assert saved.json()["ok"]
    # Two more minutes: over the limit counted from the page's load, not from the autosave.
    time_passes(member, minutes=2)
    saved = member.post(
        section(report),
        {"base_version": saved.json()["version"], "executive_summary": "First lines. More."},
        **AJAX,
    )
    assert saved.status_code == 200
    assert member.get(workspace(report)).status_code == 200
    report.refresh_from_db()
    assert report.executive_summary == "First lines. More."


def test_a_section_posted_after_the_idle_limit_is_kept_through_logging_in(member, owner, report):
    time_passes(member, minutes=settings.SESSION_IDLE_MINUTES + 1)
    text = "Typed for an hour and a half before pressing Save."
    response = member.post(section(report), {"base_version": 0, "executive_summary": text})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    report.refresh_from_db()
    assert report.executive_summary != text
    assert member.session[SESSION_SIGNED_OUT_USER_KEY] == owner.pk

    login = member.post(response["Location"], {"login": owner.email, "password": factories.PASSWORD})
    assert login["Location"] == section(report)
    page = member.get(section(report)).content.decode()
    assert textarea(page, "executive_summary") == text
    assert "when your session expired" in page


def test_logged_in_pages_are_not_stored_and_unused_browser_features_are_denied(member, report, client):
    for path in (workspace(report), section(report), reverse("reports:preview", args=[report.pk])):
        response = member.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
        policy = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy
    member.logout()
    public = client.get(reverse("reports:home"))
    assert "no-store" not in public.get("Cache-Control", "")
    assert "camera=()" in public["Permissions-Policy"]


def test_production_cookies_carry_the_host_prefix_and_outlive_the_session_limits():
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "wsis_portal.settings",
    }
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_AGE, s.SESSION_MAX_HOURS)"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    session_cookie, csrf_cookie, age, hours = done.stdout.split()
    assert (session_cookie, csrf_cookie) == ("__Host-sessionid", "__Host-csrftoken")
    assert int(age) > int(hours) * 3600

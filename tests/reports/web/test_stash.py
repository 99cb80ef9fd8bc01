"""Text posted after the session expired is kept in the browser's session through logging in,
only for a session that belonged to someone, and what one browser can have kept is small and
expires."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from reports.web import stash
from tests import factories
from wsis_portal.sessions import SESSION_SIGNED_OUT_USER_KEY

pytestmark = pytest.mark.django_db

RESTORED = "when your session expired"


@pytest.fixture
def owner(entity):
    return factories.MembershipFactory(entity=entity, user__email="owner@example.org").user


@pytest.fixture
def signed_out(client, owner):
    """The browser's session as the session limits leave it when they log the owner out."""
    session = client.session
    session[SESSION_SIGNED_OUT_USER_KEY] = owner.pk
    session.save()
    return client


def section_url(report, key):
    return reverse("reports:section", kwargs={"report_id": report.pk, "key": key})


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return match.group(1).strip()


def test_kept_text_survives_logging_in_with_the_password(signed_out, client, owner, report):
    url = section_url(report, "vision")
    client.post(url, {"base_version": 0, "future_vision": "Typed after the session ended"})
    assert (
        client.post(
            reverse("account_login"), {"login": owner.email, "password": factories.PASSWORD}
        ).status_code
        == 302
    )
    page = client.get(url).content.decode()
    assert RESTORED in page
    assert textarea(page, "future_vision") == "Typed after the session ended"


def test_the_newest_five_sections_are_kept(signed_out, client, owner, report):
    keys = {
        "executive-summary": "executive_summary",
        "strategies": "digital_strategy",
        "challenges": "challenges_gaps",
        "vision": "future_vision",
        "contact": "name",
        "line-c1": "achievements",
    }
    for key, field in keys.items():
        client.post(section_url(report, key), {"base_version": 0, field: f"Text of {key}"})
    assert [ref.split(":")[1] for ref in client.session[stash.SESSION_KEY]] == list(keys)[1:]
    client.force_login(owner)
    shown = {key: RESTORED in client.get(section_url(report, key)).content.decode() for key in list(keys)[:4]}
    assert shown == {"executive-summary": False, "strategies": True, "challenges": True, "vision": True}


def test_a_post_from_a_browser_that_was_never_logged_in_is_not_kept(client, owner, report):
    sessions = Session.objects.count()
    url = section_url(report, "vision")
    for _ in range(3):
        response = client.post(url, {"base_version": 0, "future_vision": "y" * 20_000})
        assert response.status_code == 302
    assert Session.objects.count() == sessions  # no session row stored for it
    answer = client.post(
        url, {"base_version": 0, "future_vision": "Typed"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    ).json()
    assert (answer["kept"], answer["expired"]) == (False, True)
    assert "could not be saved or kept" in answer["message"]
    client.force_login(owner)
    assert RESTORED not in client.get(url).content.decode()


def test_an_autosave_from_a_tab_left_open_after_logging_out_is_kept_for_that_person(client, owner, report):
    client.force_login(owner)
    client.post(reverse("account_logout"))
    url = section_url(report, "vision")
    answer = client.post(
        url,
        {"base_version": 0, "future_vision": "From the other tab"},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    ).json()
    assert answer["kept"] is True
    client.force_login(owner)
    assert textarea(client.get(url).content.decode(), "future_vision") == "From the other tab"


def test_a_post_larger_than_its_own_section_form_is_not_kept(signed_out, client, owner, report):
    url = section_url(report, "vision")  # one answer: far below the largest section's form
    text = "x" * (stash.kept_chars_limit("vision") + 1)
    assert len(text) < stash.kept_chars_limit()
    client.post(url, {"base_version": 0, "future_vision": text})
    assert stash.SESSION_KEY not in client.session


def test_what_one_session_keeps_in_all_is_capped(signed_out, client, owner, report, settings):
    settings.REPORT_TEXT_MAX_LENGTH = 1_000  # six answers at most: 6,000 characters
    for key in ("line-c1", "line-c2", "line-c3"):
        client.post(section_url(report, key), {"base_version": 0, "achievements": "z" * 2_500})
    assert [ref.split(":")[1] for ref in client.session[stash.SESSION_KEY]] == ["line-c2", "line-c3"]


def test_a_post_larger_than_any_section_form_is_not_kept(signed_out, client, owner, report):
    url = section_url(report, "vision")
    client.post(url, {"base_version": 0, "future_vision": "x" * (stash.kept_chars_limit() + 1)})
    assert stash.SESSION_KEY not in client.session
    client.force_login(owner)
    assert RESTORED not in client.get(url).content.decode()


def test_a_post_with_more_fields_than_any_section_form_is_not_kept(signed_out, client, report):
    fields = {f"field-{n}": "x" for n in range(1, stash.forms.SectionEditor.max_field_count() + 2)}
    client.post(section_url(report, "vision"), {"base_version": 0, **fields})
    assert stash.SESSION_KEY not in client.session


def test_kept_text_is_forgotten_after_a_day(signed_out, client, owner, report):
    url = section_url(report, "vision")
    client.post(url, {"base_version": 0, "future_vision": "Yesterday's text"})
    session = client.session
    assert session.get_expiry_age() == stash.MAX_AGE  # the anonymous session goes then too
    kept = session[stash.SESSION_KEY]
    kept[f"{report.pk}:vision"]["at"] = int(time.time()) - stash.MAX_AGE - 1
    session[stash.SESSION_KEY] = kept
    session.save()
    client.force_login(owner)
    assert RESTORED not in client.get(url).content.decode()


def test_kept_text_comes_back_only_to_the_person_who_typed_it(signed_out, client, owner, entity, report):
    url = section_url(report, "vision")
    client.post(url, {"base_version": 0, "future_vision": "My draft"})
    colleague = factories.MembershipFactory(entity=entity).user  # next at the same computer
    client.force_login(colleague)
    page = client.get(url).content.decode()
    assert RESTORED not in page
    assert "My draft" not in page

"""Text posted after the session expired is kept in the browser's session through logging in,
and what one browser can have kept is small and expires."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from reports.web import stash
from tests import factories

pytestmark = pytest.mark.django_db

RESTORED = "when your session expired"


@pytest.fixture
def owner(entity):
    return factories.MembershipFactory(entity=entity, user__email="owner@example.org").user


def section_url(report, key):
    return reverse("reports:section", kwargs={"report_id": report.pk, "key": key})


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return match.group(1).strip()


def test_kept_text_survives_logging_in_with_the_password(client, owner, report):
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


def test_the_newest_three_sections_are_kept(client, owner, report):
    keys = {
        "executive-summary": "executive_summary",
        "strategies": "digital_strategy",
        "challenges": "challenges_gaps",
        "vision": "future_vision",
    }
    for key, field in keys.items():
        client.post(section_url(report, key), {"base_version": 0, field: f"Text of {key}"})
    client.force_login(owner)
    shown = {key: RESTORED in client.get(section_url(report, key)).content.decode() for key in keys}
    assert shown == {"executive-summary": False, "strategies": True, "challenges": True, "vision": True}


def test_a_post_larger_than_any_section_form_is_not_kept(client, owner, report):
    url = section_url(report, "vision")
    client.post(url, {"base_version": 0, "future_vision": "x" * (stash.kept_chars_limit() + 1)})
    assert stash.SESSION_KEY not in client.session
    client.force_login(owner)
    assert RESTORED not in client.get(url).content.decode()


def test_a_post_with_more_fields_than_any_section_form_is_not_kept(client, report):
    fields = {f"field-{n}": "x" for n in range(1, stash.forms.SectionEditor.max_field_count() + 2)}
    client.post(section_url(report, "vision"), {"base_version": 0, **fields})
    assert stash.SESSION_KEY not in client.session


def test_kept_text_is_forgotten_after_a_day(client, owner, report):
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

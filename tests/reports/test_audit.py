"""The security audit log: each event a person causes leaves a row (``SecurityEvent``) or a model
history entry (django-auditlog's ``LogEntry``) with the actor, the client address and the object;
no password, code or report text ever lands in either; log lines are JSON with UTC times."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from logging.config import DictConfigurator
from typing import Any, cast

import pyotp
import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import User
from django.forms.models import model_to_dict
from django.test import override_settings
from django.urls import reverse

from reports import annex, audit
from reports.models import Entity, Invitation, Membership, SecurityEvent
from reports.web import invitations
from tests import factories
from tests.accounts import TOTP_CODES, totp_enrol

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
SENTINEL = "Zebra-quartz sentinel 7731"


@pytest.fixture
def owner(entity):
    return factories.MembershipFactory.create(entity=entity, user__email="owner@example.org").user


@pytest.fixture
def colleague(entity):
    return factories.MembershipFactory.create(
        entity=entity, role=Membership.Role.EDITOR, user__email="colleague@example.org"
    ).user


def events(kind: SecurityEvent.Kind) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind).order_by("pk"))


def only(kind: SecurityEvent.Kind) -> SecurityEvent:
    rows = events(kind)
    assert len(rows) == 1, rows
    return rows[0]


def row_text(row: SecurityEvent | LogEntry) -> str:
    """Everything stored in a row, as one string to search."""
    return json.dumps(model_to_dict(row), default=str, ensure_ascii=False)


def password_login(client, email: str, password: str = factories.PASSWORD, **headers):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **headers)


# --- Logins, failures, logouts, passwords ---------------------------------------------------------


def test_a_login_is_recorded_with_the_person_the_time_in_utc_and_the_address(client, owner):
    before = datetime.now(UTC)
    response = password_login(client, owner.email)
    assert response.status_code == 302
    row = only(Kind.LOGIN)
    assert row.actor == owner
    assert row.actor_email == "owner@example.org"
    assert row.client_ip == "127.0.0.1"
    assert row.path == reverse("account_login")
    assert row.created_at.utcoffset() == timedelta(0)
    assert before <= row.created_at <= datetime.now(UTC)


def test_a_failed_login_records_the_typed_address_and_never_the_password(client, owner, caplog):
    typed_password = "Typed-Wrong-Passw0rd-991"
    with caplog.at_level(logging.INFO, logger="wsis_portal.security"):
        response = password_login(client, "Nobody.Here@example.org", typed_password)
        assert response.status_code == 200  # the form again, with its message
        password_login(client, owner.email, typed_password)
    first, second = events(Kind.LOGIN_FAILED)
    # The address as allauth's form cleaned it (lower case); it names no account.
    assert (first.actor, first.actor_email) == (None, "nobody.here@example.org")
    assert (second.actor, second.actor_email) == (None, "owner@example.org")
    assert first.client_ip == "127.0.0.1"
    assert not events(Kind.LOGIN)
    for row in SecurityEvent.objects.all():
        assert typed_password not in row_text(row)
        assert factories.PASSWORD not in row_text(row)
    logged = [r for r in caplog.records if r.name == "wsis_portal.security"]
    assert [r.event for r in logged] == [Kind.LOGIN_FAILED, Kind.LOGIN_FAILED]
    assert typed_password not in caplog.text


def test_a_logout_is_recorded(client, owner):
    password_login(client, owner.email)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    row = only(Kind.LOGOUT)
    assert row.actor == owner
    assert row.client_ip == "127.0.0.1"


def test_a_password_change_is_recorded_without_either_password(client, owner):
    password_login(client, owner.email)
    new_password = "A-new-Passphrase-4417"
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": factories.PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    row = only(Kind.PASSWORD_CHANGED)
    assert row.actor == owner
    assert new_password not in row_text(row)
    assert factories.PASSWORD not in row_text(row)


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_the_client_address_is_the_one_the_trusted_proxy_saw_not_the_one_the_client_wrote(
    client, owner, entity
):
    # The client wrote the first address itself; the proxy (one hop, trusted) appended the real one.
    spoofed = {"HTTP_X_FORWARDED_FOR": "203.0.113.66, 198.51.100.23"}
    password_login(client, owner.email, **spoofed)
    assert only(Kind.LOGIN).client_ip == "198.51.100.23"
    # Model history takes the address the same way (auditlog's middleware with audit.client_ip).
    client.post(
        reverse("reports:entity_edit", kwargs={"entity_id": entity.pk}),
        {"name": "Ministry of Digital Affairs", "stakeholder_type": entity.stakeholder_type, "country": "KE"},
        **spoofed,
    )
    change = LogEntry.objects.get_for_object(entity).get(action=LogEntry.Action.UPDATE)
    assert change.remote_addr == "198.51.100.23"


# --- Second factor ----------------------------------------------------------------------------------


def test_adding_and_removing_an_authenticator_app_is_recorded(
    client, owner, django_capture_on_commit_callbacks
):
    password_login(client, owner.email)
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302:  # allauth asks for the password again before a change of factor
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        client.post(response["Location"], {"password": factories.PASSWORD})
        response = client.get(reverse("mfa_activate_totp"))
    page = response.content.decode()
    found = re.search(r'<code id="totp-secret"[^>]*>([A-Z2-7]+)</code>', page)
    assert found, page
    code = pyotp.TOTP(found.group(1)).now()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    added = events(Kind.MFA_ADDED)
    assert [row.detail["factor"] for row in added] == ["totp", "recovery_codes"]
    assert {row.actor for row in added} == {owner}
    for row in added:
        assert found.group(1) not in row_text(row)
        assert code not in row_text(row)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    removed = events(Kind.MFA_REMOVED)
    assert [row.detail["factor"] for row in removed] == ["totp", "recovery_codes"]
    assert removed[0].actor == owner


def test_a_refused_second_factor_code_is_recorded_without_the_code(client, reference_data):
    staff = factories.UserFactory.create(email="staff@wsis.example.org", is_staff=True)
    secret = totp_enrol(staff)
    client.force_login(staff)
    good = TOTP_CODES.code(secret)
    wrong = "000000" if good != "000000" else "111111"
    response = client.post(reverse("mfa_reauthenticate"), {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    row = only(Kind.MFA_FAILED)
    assert row.actor == staff
    assert row.detail["factor"] == "totp"
    assert wrong not in json.dumps(row.detail)


# --- Denied access, members, invitations, entities -------------------------------------------------------


def test_another_entitys_report_and_entity_answer_404_and_the_attempt_is_recorded(client, owner, cycle):
    other = factories.ReportFactory.create(cycle=cycle)
    client.force_login(owner)
    response = client.get(reverse("reports:workspace", kwargs={"report_id": other.pk}))
    assert response.status_code == 404
    row = only(Kind.ACCESS_DENIED)
    assert (row.object_type, row.object_id) == ("report", str(other.pk))
    assert row.actor == owner
    assert row.client_ip == "127.0.0.1"
    assert row.path == reverse("reports:workspace", kwargs={"report_id": other.pk})

    response = client.get(reverse("reports:entity_edit", kwargs={"entity_id": other.entity_id}))
    assert response.status_code == 404
    assert [(r.object_type, r.object_id) for r in events(Kind.ACCESS_DENIED)] == [
        ("report", str(other.pk)),
        ("entity", str(other.entity_id)),
    ]


def test_removing_a_member_is_recorded_as_an_event_and_in_the_model_history(client, entity, owner, colleague):
    membership = Membership.objects.get(entity=entity, user=colleague)
    client.force_login(owner)
    response = client.post(
        reverse("reports:member_remove", kwargs={"entity_id": entity.pk, "user_id": colleague.pk})
    )
    assert response.status_code == 302
    row = only(Kind.MEMBER)
    assert row.actor == owner
    assert (row.object_type, row.object_id) == ("entity", str(entity.pk))
    assert row.detail == {"action": "removed", "member": "colleague@example.org", "role": "editor"}
    deleted = LogEntry.objects.get(
        content_type__model="membership", object_pk=str(membership.pk), action=LogEntry.Action.DELETE
    )
    assert deleted.actor == owner


def test_withdrawing_an_invitation_is_recorded(client, entity, owner):
    row = invitations.invitation_send(entity=entity, email="new.colleague@example.org", inviter=owner)
    client.force_login(owner)
    response = client.post(
        reverse("reports:invitation_withdraw", kwargs={"entity_id": entity.pk, "invitation_id": row.pk})
    )
    assert response.status_code == 302
    event = only(Kind.INVITATION)
    assert (event.object_type, event.object_id) == ("invitation", str(row.pk))
    assert event.detail == {"action": "withdrawn", "invited": "new.colleague@example.org"}
    assert event.actor == owner
    change = LogEntry.objects.get_for_object(Invitation.objects.get(pk=row.pk)).get(
        action=LogEntry.Action.UPDATE
    )
    assert set(change.changes_dict) == {"revoked_at", "revoked_by"}
    assert change.actor == owner


def test_an_entity_rename_is_in_the_model_history_with_old_and_new_name_and_the_actor(client, entity, owner):
    old_name = entity.name
    client.force_login(owner)
    response = client.post(
        reverse("reports:entity_edit", kwargs={"entity_id": entity.pk}),
        {"name": "Ministry of Digital Affairs", "stakeholder_type": entity.stakeholder_type, "country": "KE"},
    )
    assert response.status_code == 302
    change = LogEntry.objects.get_for_object(Entity.objects.get(pk=entity.pk)).get(
        action=LogEntry.Action.UPDATE
    )
    assert change.changes_dict["name"] == [old_name, "Ministry of Digital Affairs"]
    assert change.actor == owner
    assert change.remote_addr == "127.0.0.1"
    assert "updated_at" not in change.changes_dict


# --- No report text ------------------------------------------------------------------------------------


def test_no_report_text_enters_the_audit_log_when_sections_are_saved(client, owner, report):
    client.force_login(owner)
    summary = annex.SECTIONS[0]
    assert summary.key == "executive-summary"
    response = client.post(
        reverse("reports:section", kwargs={"report_id": report.pk, "key": "strategies"}),
        {"base_version": 0, "digital_strategy": SENTINEL, "strategic_documents": "", "wsis_mandates": ""},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("reports:section", kwargs={"report_id": report.pk, "key": summary.key}),
        {"base_version": 0, "executive_summary": f"{SENTINEL} in the summary"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert SENTINEL in report.digital_strategy  # the text was saved…
    assert SENTINEL in report.executive_summary
    rows = [*SecurityEvent.objects.all(), *LogEntry.objects.all()]
    assert rows  # …the login and the model history are there…
    for row in rows:
        assert SENTINEL not in row_text(row)  # …and the text is in neither


# --- Log lines --------------------------------------------------------------------------------------------


def configured_formatter(name: str) -> logging.Formatter:
    """The formatter ``settings.LOGGING`` names, built as Django's logging configuration builds it."""
    configurator = DictConfigurator({"version": 1})
    formatters = cast(dict[str, dict[str, Any]], settings.LOGGING["formatters"])
    return configurator.configure_formatter(dict(formatters[name]))


def test_a_security_event_log_line_is_json_with_the_events_fields_and_a_utc_time(rf, owner):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(configured_formatter("json"))
    security_logger = logging.getLogger("wsis_portal.security")
    security_logger.addHandler(handler)
    request = rf.get("/reports/41/", REMOTE_ADDR="192.0.2.44")
    request.user = owner
    try:
        event = audit.record(request, Kind.ACCESS_DENIED, object_type="report", object_id=41, method="GET")
    finally:
        security_logger.removeHandler(handler)
    line = json.loads(stream.getvalue().strip())
    assert line["name"] == "wsis_portal.security"
    assert line["event"] == "access_denied"
    assert line["actor_id"] == owner.pk
    assert line["actor_email"] == "owner@example.org"
    assert line["client_ip"] == "192.0.2.44"
    assert line["object"] == "report:41"
    assert line["path"] == "/reports/41/"
    assert line["detail"] == {"method": "GET"}
    logged_at = datetime.fromisoformat(line["timestamp"])
    assert logged_at.utcoffset() == timedelta(0)
    assert abs((logged_at - event.created_at).total_seconds()) < 5


def test_plain_log_lines_carry_utc_times_marked_z():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.created = datetime(2026, 12, 3, 11, 20, 5, 250_000, tzinfo=UTC).timestamp()
    record.msecs = 250.0
    assert configured_formatter("plain").format(record) == "2026-12-03T11:20:05.250Z INFO x: hello"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"DEBUG": "false"}, "json"),
        ({"DEBUG": "true"}, "plain"),
        ({"DEBUG": "true", "LOG_FORMAT": "json"}, "json"),
    ],
)
def test_json_lines_are_the_default_when_debug_is_off(environment, expected, tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "k3Jd9-vQ2mZx7Lp0Rt5Yw8Nb4Hc6Fg1Ua3Se2Dq9Wo7Ik5",
        **environment,
    }
    code = "import wsis_portal.settings as s; print(s.LOGGING['handlers']['console']['formatter'])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == expected


@pytest.mark.django_db(transaction=True)  # the foreign keys are checked when the deletion commits
def test_a_deleted_account_leaves_its_events_and_history_with_the_address_it_had(client, owner, colleague):
    password_login(client, owner.email)
    response = client.post(reverse("reports:account_delete"), {"password": factories.PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=owner.pk).exists()
    row = only(Kind.LOGIN)
    assert (row.actor, row.actor_email) == (None, "owner@example.org")
    # Its membership's deletion is in the model history, by the account that was deleted.
    deleted = LogEntry.objects.get(content_type__model="membership", action=LogEntry.Action.DELETE)
    assert deleted.actor is None
    assert deleted.actor_email == "owner@example.org"

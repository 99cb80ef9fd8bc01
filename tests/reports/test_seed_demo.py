"""`manage.py seed_demo`: realistic, complete and deterministic demo data."""

import hashlib
import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from reports import demo
from reports.models import ActionLineProgress, Entity, Region, Report, StakeholderType, Submission

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def embedded_default(settings):
    """``make run``'s settings: DEBUG on (pytest-django turns it off)."""
    settings.DEBUG = True


def signature() -> str:
    """A digest of everything a user would see of the demo data (not the clock-based dates)."""
    h = hashlib.sha256()
    for row in Report.objects.order_by("entity__name").values_list(
        "entity__name",
        "entity__stakeholder_type",
        "entity__country_id",
        "status",
        "executive_summary",
        "future_vision",
    ):
        h.update(repr(row).encode())
    lines = ActionLineProgress.objects.order_by("report__entity__name", "action_line__order")
    for line in lines.values_list("action_line__code", "achievements", "not_applicable"):
        h.update(repr(line).encode())
    return h.hexdigest()


def seed(**kwargs) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **kwargs)
    return out.getvalue()


def wipe() -> None:
    Submission.objects.all().delete()
    Report.objects.all().delete()
    Entity.objects.all().delete()


def test_demo_covers_every_stakeholder_type_region_and_status(reference_data):
    output = seed(reports=48, seed=7)
    assert Report.objects.count() == 48
    assert set(Entity.objects.values_list("stakeholder_type", flat=True)) == set(StakeholderType.values)
    assert set(Entity.objects.values_list("country__region", flat=True)) == set(
        Region.objects.values_list("code", flat=True)
    )
    assert set(Report.objects.values_list("status", flat=True)) == set(Report.Status.values)
    # Every report that left the draft stage has its numbered snapshot.
    assert Submission.objects.count() == Report.objects.exclude(status=Report.Status.DRAFT).count()
    # Real text from the source documents, not lorem ipsum.
    c2 = ActionLineProgress.objects.filter(action_line__code="C2", not_applicable=False).first()
    assert c2 is not None
    assert "Global expansion in mobile networks 2G/3G/4G/5G." in c2.achievements
    assert "stakeholder@example.org" in output
    assert "secretariat@example.org" in output
    assert "wsis-demo-2025" in output


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not(reference_data):
    seed(reports=24, seed=11)
    first = signature()
    wipe()
    seed(reports=24, seed=11)
    assert signature() == first
    wipe()
    seed(reports=24, seed=12)
    assert signature() != first


def test_demo_logins_work(client, reference_data):
    output = seed(reports=6, seed=1)
    assert client.login(username="stakeholder@example.org", password="wsis-demo-2025")
    client.logout()
    # The secretariat: password, then a code from an app that was given the printed key.
    assert f"authenticator app key {demo.DEMO_TOTP_SECRET}" in output
    uri = f"otpauth://totp/secretariat%40example.org?secret={demo.DEMO_TOTP_SECRET}&issuer=WSIS%2B20%20reporting%20portal"
    assert uri in output
    assert pyotp.parse_uri(uri).secret == demo.DEMO_TOTP_SECRET
    login = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": "secretariat@example.org", "password": "wsis-demo-2025"},
    )
    assert login["Location"] == reverse("mfa_authenticate")
    done = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(demo.DEMO_TOTP_SECRET).now()})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_with_debug_off_it_refuses_without_being_told(settings, reference_data):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production-data"):
        seed(reports=2, seed=1)
    assert not Report.objects.exists()


def test_told_to_with_debug_off_no_staff_account_has_a_known_password(client, settings, reference_data):
    settings.DEBUG = False
    output = seed(reports=2, seed=1, allow_production_data=True)
    assert Report.objects.count() == 2
    secretariat = User.objects.get(username="secretariat@example.org")
    assert secretariat.is_staff
    assert not secretariat.has_usable_password()
    assert not Authenticator.objects.filter(user=secretariat).exists()
    assert demo.DEMO_TOTP_SECRET not in output
    assert "has no usable password" in output
    assert not client.login(username="secretariat@example.org", password="wsis-demo-2025")
    assert not User.objects.filter(is_staff=True).exclude(password__startswith="!").exists()


def test_a_demo_secretariat_seeded_with_debug_on_loses_the_known_password_with_debug_off(
    settings, reference_data
):
    seed(reports=2, seed=1)
    settings.DEBUG = False
    seed(reports=2, seed=2, allow_production_data=True)
    assert not User.objects.get(username="secretariat@example.org").has_usable_password()


def test_the_command_refuses_with_debug_off_in_a_real_process(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--reports", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "DEBUG is off" in done.stderr
    assert "--allow-production-data" in done.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # refused before touching the database


def test_if_empty_does_not_add_a_second_batch(reference_data):
    seed(reports=6, seed=1)
    output = seed(reports=6, seed=1, if_empty=True)
    assert Report.objects.count() == 6
    assert "already present" in output

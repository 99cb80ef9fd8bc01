"""`manage.py seed_demo`: realistic, complete and deterministic demo data."""

import hashlib
import os
import re
import secrets
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from reports import demo, selectors, services
from reports.models import (
    ActionLineProgress,
    Entity,
    KeyIndicator,
    Region,
    Report,
    StakeholderType,
    Submission,
    SuccessStory,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def embedded_default(settings):
    """``make run``'s settings: DEBUG on (pytest-django turns it off)."""
    settings.DEBUG = True


def signature() -> str:
    """A digest of everything a user would see of the demo data (not the clock-based dates)."""
    h = hashlib.sha256()
    for row in Report.objects.order_by("entity__name", "entity__country_id", "cycle__opens_at").values_list(
        "entity__name",
        "entity__stakeholder_type",
        "entity__country_id",
        "status",
        "executive_summary",
        "future_vision",
    ):
        h.update(repr(row).encode())
    lines = ActionLineProgress.objects.order_by(
        "report__entity__name", "report__entity__country_id", "report__cycle__opens_at", "action_line__order"
    )
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
    # Real text from the source documents, each line's own: every achievement of a line is one the
    # documents give for that line.
    seeds = demo.load_demo_text()["action_lines"]
    rows = ActionLineProgress.objects.filter(not_applicable=False).exclude(achievements="")
    assert rows.filter(action_line__code="C2").exists()
    for row in rows.select_related("action_line"):
        own = {f"- {item.strip().rstrip('.')}." for item in seeds[row.action_line.code]["achievements"]}
        original = row.achievements.split("\n")[:2]  # later cycles may add a line of their own
        assert set(original) <= own, (row.action_line.code, original)
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


# --- Data that reads as real -------------------------------------------------------------------


@pytest.fixture
def seeded(reference_data):
    seed(reports=120, seed=2025)


def test_two_cycles_a_closed_one_with_published_reports_and_the_current_one(seeded):
    previous = Report.objects.filter(cycle__slug="wsis20-2025")
    current = Report.objects.filter(cycle__slug=demo.DEMO_CYCLE_SLUG)
    assert previous.count() == 30
    assert current.count() == 90
    assert set(previous.values_list("status", flat=True)) == {Report.Status.PUBLISHED}
    assert Submission.objects.filter(report__in=previous).count() == 30
    now_open = selectors.cycle_current()
    assert now_open is not None
    assert now_open.slug == demo.DEMO_CYCLE_SLUG
    # The demo stakeholder's report for the current cycle is empty, and offers to start from 2025's.
    mine = current.get(entity__memberships__user__email=demo.STAKEHOLDER_EMAIL)
    offer = selectors.report_start_offer(report=mine)
    assert offer is not None
    assert offer.cycle.slug == "wsis20-2025"
    # Other entities that reported in 2025 started from it and kept part of it.
    started = current.exclude(started_from=None).select_related("started_from")
    assert started.count() >= 20
    kept = sum(
        r.started_from is not None and r.digital_strategy == r.started_from.digital_strategy
        for r in started
        if r.digital_strategy
    )
    assert 0 < kept < started.exclude(digital_strategy="").count()


def test_names_and_acronyms_fit_the_stakeholder_type(seeded):
    for entity in Entity.objects.select_related("country"):
        if entity.acronym:
            assert entity.acronym.isupper()
            assert 2 <= len(entity.acronym) <= 6
        names: dict[str, tuple[str, ...]] = {
            StakeholderType.GOVERNMENT: ("Ministry", "Authority", "Agency", "Office"),
            StakeholderType.ACADEMIA: ("Institute", "University", "Centre", "School"),
            StakeholderType.TECHNICAL_COMMUNITY: ("Internet", "Network", "Emergency"),
        }
        words = names.get(str(entity.stakeholder_type))
        if words:
            assert any(word in entity.name for word in words), entity.name
        assert "(" not in entity.name.replace(f"({entity.country_id}-", "")  # no "Bolivia (Plurinational…"


def test_no_story_is_titled_for_another_line(seeded):
    stories = SuccessStory.objects.select_related("action_line")
    assert stories.count() > 30
    for story in stories:
        codes = set(re.findall(r"\bC\d{1,2}(?:\.[A-Z]+)?\b", story.title))
        assert codes <= {story.action_line.code}, story.title
        templates = [
            re.escape(t).replace(r"\{n\}", r"\d+").replace(r"\{k:,\}", r"[\d,]+").replace(r"\{m\}", r"\d+")
            for t in demo.STORY_TITLES[story.action_line.code]
        ]
        assert any(re.fullmatch(t, story.title) for t in templates), (story.action_line.code, story.title)


def test_coverage_varies_by_line_and_by_stakeholder_type(seeded):
    current = ActionLineProgress.objects.filter(addressed=True, report__cycle__slug=demo.DEMO_CYCLE_SLUG)
    per_line = Counter(current.values_list("action_line__code", flat=True))
    assert max(per_line.values()) >= 2 * min(per_line.values()), per_line

    def share(stype: str, code: str) -> float:
        reports = Report.objects.filter(entity__stakeholder_type=stype).exclude(status=Report.Status.DRAFT)
        return current.filter(report__in=reports, action_line__code=code).count() / reports.count()

    assert share(StakeholderType.GOVERNMENT, "C7.GOV") > 2 * share(StakeholderType.CIVIL_SOCIETY, "C7.GOV")
    assert share(StakeholderType.ACADEMIA, "C7.SCI") > 2 * share(StakeholderType.PRIVATE_SECTOR, "C7.SCI")
    assert share(StakeholderType.CIVIL_SOCIETY, "C9") > 2 * share(StakeholderType.TECHNICAL_COMMUNITY, "C9")


def test_no_named_person_is_quoted(seeded):
    honorifics = re.compile(r"\b(H\.E\.|Mr\.|Mrs\.|Ms\.|Dr\.|Prof\.)|[“”\"]")
    for report in Report.objects.all():
        for name in (
            "executive_summary",
            "digital_strategy",
            "wsis_mandates",
            "challenges_gaps",
            "future_vision",
        ):
            assert not honorifics.search(getattr(report, name)), (report.entity.name, name)


def test_indicator_values_are_plausible(seeded):
    this_year = timezone.now().year
    rows = KeyIndicator.objects.select_related("report__cycle")
    assert rows.count() > 100
    for row in rows:
        value = float(row.value.replace(",", ""))
        assert row.unit
        assert row.source
        assert row.year is not None
        assert 2015 <= row.year <= max(this_year, 2025)
        if row.report.cycle.slug == "wsis20-2025":
            assert row.year <= 2025
        if row.unit.startswith("%"):
            assert 0 < value <= 100, row
        else:
            assert value > 0, row
    # No "112,944 cybersecurity initiatives": counts of initiatives, exercises or networks stay small.
    for row in rows.filter(unit__in=["exercises per year", "networks", "countries"]):
        assert float(row.value) <= 60, row


def test_the_demo_stakeholder_can_start_from_2025_and_submit_at_once(reference_data):
    """What the deployed tier's `make run` journey does: start from the 2025 report, then submit."""
    seed(reports=12, seed=2025)
    user = User.objects.get(username=demo.STAKEHOLDER_EMAIL)
    report = Report.objects.get(cycle__slug=demo.DEMO_CYCLE_SLUG, entity__memberships__user=user)
    assert selectors.report_missing_items(report=report)  # empty until it starts from 2025's
    started = services.report_start_from_previous(report=report, user=user)
    assert selectors.report_missing_items(report=started) == []
    assert started.started_from is not None
    assert started.started_from.cycle.slug == "wsis20-2025"

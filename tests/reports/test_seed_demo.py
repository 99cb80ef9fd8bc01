"""`manage.py seed_demo`: realistic, complete and deterministic demo data."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command

from reports.models import ActionLineProgress, Entity, Region, Report, StakeholderType, Submission

pytestmark = pytest.mark.django_db


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
    seed(reports=6, seed=1)
    assert client.login(username="stakeholder@example.org", password="wsis-demo-2025")
    client.logout()
    assert client.login(username="secretariat@example.org", password="wsis-demo-2025")
    assert client.get("/admin/").status_code == 200


def test_if_empty_does_not_add_a_second_batch(reference_data):
    seed(reports=6, seed=1)
    output = seed(reports=6, seed=1, if_empty=True)
    assert Report.objects.count() == 6
    assert "already present" in output

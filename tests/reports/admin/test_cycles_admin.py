"""The Secretariat opens a cycle in admin: a new cycle carries the latest one's settings over, the
required sections are ticked by title, and a wrong date says what is wrong, next to the field."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reports import selectors
from reports.models import ReportingCycle
from tests import factories

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "WSIS+25 review 2030",
        "slug": "wsis25",
        "opens_at_0": "2030-01-15",
        "opens_at_1": "00:00:00",
        "deadline_0": "2030-05-31",
        "deadline_1": "23:59:00",
        "time_zone": "Europe/Zurich",
        "late_policy": "refuse",
        "required_sections": ["executive-summary", "contact"],
        "reminder_offsets": "21, 7, -2",
        "secretariat_email": "wsis-info@itu.int",
        "secretariat_address": "Place des Nations, Geneva",
    }
    data.update(overrides)
    return data


def test_a_new_cycle_starts_from_the_latest_cycles_settings(secretariat_client, reference_data):
    factories.CycleFactory.create(
        name="WSIS+20 review 2025",
        time_zone="America/New_York",
        reminder_offsets=[10, 3],
        required_sections=["executive-summary", "vision"],
        late_policy=ReportingCycle.LatePolicy.REFUSE,
    )
    page = secretariat_client.get(reverse("admin:reports_reportingcycle_add")).content.decode()
    assert '<option value="America/New_York" selected>' in page
    assert 'name="reminder_offsets" value="10, 3"' in page
    ticked = re.findall(r'type="checkbox" name="required_sections" value="([^"]+)"[^>]*checked', page)
    assert ticked == ["executive-summary", "vision"]
    assert '<option value="refuse" selected>' in page


def test_the_secretariat_opens_wsis25_without_a_code_change(secretariat_client, reference_data):
    response = secretariat_client.post(reverse("admin:reports_reportingcycle_add"), form_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    cycle = ReportingCycle.objects.get(slug="wsis25")
    assert cycle.required_sections == ["executive-summary", "contact"]
    assert cycle.reminder_offsets == [21, 7, -2]
    assert cycle.late_policy == "refuse"
    assert str(cycle.deadline.tzinfo) in {"Europe/Zurich", "UTC"}
    # Stakeholders report in it once it opens.
    assert selectors.cycle_current(at=cycle.opens_at + timedelta(days=1)) == cycle
    listing = secretariat_client.get(reverse("admin:reports_reportingcycle_changelist")).content.decode()
    assert "WSIS+25 review 2030" in listing


def test_a_deadline_before_the_opening_is_explained_and_nothing_typed_is_lost(
    secretariat_client, reference_data
):
    response = secretariat_client.post(
        reverse("admin:reports_reportingcycle_add"), form_data(deadline_0="2029-12-31")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The deadline must come after the opening date" in page
    assert 'value="WSIS+25 review 2030"' in page
    assert 'name="reminder_offsets" value="21, 7, -2"' in page
    assert not ReportingCycle.objects.filter(slug="wsis25").exists()


def test_a_cycle_opening_while_another_runs_is_refused_with_that_cycles_name(
    secretariat_client, reference_data
):
    now = timezone.now()
    factories.CycleFactory.create(
        name="WSIS+20 review 2025", opens_at=now - timedelta(days=3), deadline=now + timedelta(days=30)
    )
    opens = timezone.localdate() + timedelta(days=10)
    response = secretariat_client.post(
        reverse("admin:reports_reportingcycle_add"),
        form_data(opens_at_0=opens.isoformat(), deadline_0=(opens + timedelta(days=90)).isoformat()),
    )
    assert response.status_code == 200
    assert "“WSIS+20 review 2025” runs until" in response.content.decode()
    assert not ReportingCycle.objects.filter(slug="wsis25").exists()


def test_bad_reminder_days_are_explained(secretariat_client, reference_data):
    response = secretariat_client.post(
        reverse("admin:reports_reportingcycle_add"), form_data(reminder_offsets="14, soon")
    )
    assert response.status_code == 200
    assert "“soon” is not a whole number of days" in response.content.decode()


def test_the_report_page_compares_with_the_entitys_previous_cycle(secretariat_client, entity, owner):
    from reports import services  # noqa: PLC0415

    from .conftest import fill, submit_directly  # noqa: PLC0415

    now = timezone.now()
    old = factories.CycleFactory.create(
        name="WSIS+20 review 2025", opens_at=now - timedelta(days=800), deadline=now - timedelta(days=700)
    )
    new = factories.CycleFactory.create(
        name="WSIS+25 review 2027", opens_at=now - timedelta(days=5), deadline=now + timedelta(days=50)
    )
    before = factories.ReportFactory.create(entity=entity, cycle=old, executive_summary="Schools first.")
    fill(before, codes=("C2",), achievements="Fibre to 300 towns.")
    submit_directly(before, user=owner)
    report = services.report_get_or_create(entity=entity, cycle=new)
    services.report_start_from_previous(report=report, user=owner)
    services.report_save_section(
        report=report,
        key="executive-summary",
        data={"executive_summary": "Schools first, then clinics."},
        base_version=1,
        user=owner,
    )
    submit_directly(report, user=owner)

    page = secretariat_client.get(reverse("admin:reports_report_change", args=[report.pk])).content.decode()
    assert "Compare with the entity's report for WSIS+20 review 2025</a>" in page
    url = reverse("admin:reports_report_diff", args=[report.pk]) + "?a=previous&b=1"
    diff = secretariat_client.get(url).content.decode()
    assert '<option value="previous" selected>WSIS+20 review 2025 (submission #1)</option>' in diff
    assert "1 section of" in diff
    assert "<ins>, then clinics</ins>" in diff
    # The history says where the report started from.
    assert "Started from the entity&#x27;s report for WSIS+20 review 2025 (submission no. 1)." in page

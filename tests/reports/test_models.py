"""Database constraints and derived values of the domain model."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from action_lines.models import ActionLine
from reports.models import (
    LINE_ADDRESSED,
    ActionLineProgress,
    Country,
    Entity,
    Region,
    Report,
    ReportingCycle,
    StakeholderType,
)
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_second_report_for_the_same_entity_and_cycle_is_refused(report):
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(entity=report.entity, cycle=report.cycle)
    other_cycle = factories.CycleFactory.create()
    assert Report.objects.create(entity=report.entity, cycle=other_cycle).pk


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("KE", "Africa"),
        ("EG", "Arab States"),
        ("BR", "Americas"),
        ("CN", "Asia and the Pacific"),
        ("KZ", "Commonwealth of Independent States"),
        ("CH", "Europe"),
        ("UA", "Europe"),
        ("TR", "Europe"),
    ],
)
def test_region_is_derived_from_the_country(reference_data, code, region):
    entity = factories.EntityFactory.create(country=Country.objects.get(code=code))
    assert entity.region.name == region


def test_every_un_member_state_has_a_region(reference_data):
    assert Region.objects.count() == 6
    assert Country.objects.filter(region__isnull=True).count() == 0
    assert Country.objects.count() >= 195  # 193 member states, Palestine, the Holy See


def test_entity_names_are_unique_per_country_whatever_the_case(entity):
    with pytest.raises(IntegrityError), transaction.atomic():
        Entity.objects.create(
            name=entity.name.upper(), stakeholder_type=StakeholderType.ACADEMIA, country=entity.country
        )
    other = Country.objects.get(code="GH")
    assert Entity.objects.create(
        name=entity.name, stakeholder_type=StakeholderType.ACADEMIA, country=other
    ).pk


def test_a_cycle_deadline_must_follow_its_opening(reference_data):
    cycle = factories.CycleFactory.build()
    cycle.deadline = cycle.opens_at - timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        cycle.save()


def test_a_submitted_report_must_have_a_submission_date(report):
    report.status = Report.Status.SUBMITTED
    with pytest.raises(IntegrityError), transaction.atomic():
        report.save()


def test_the_2025_cycle_is_loaded_with_the_letters_deadline(reference_data):
    cycle = ReportingCycle.objects.get(slug="wsis20-2025")
    assert cycle.deadline.date().isoformat() == "2025-05-30"
    assert cycle.secretariat_email == "wsis-info@itu.int"


def test_the_database_keeps_whether_an_action_line_is_addressed(report, reference_data):
    """``ActionLineProgress.addressed`` is a generated column: some answer, and not marked not
    applicable (what the admin's filter, the dashboard and compilations count)."""
    progress = ActionLineProgress.objects.create(report=report, action_line=ActionLine.objects.get(code="C3"))

    def addressed() -> bool:
        progress.refresh_from_db()
        return progress.addressed

    assert addressed() is False
    progress.challenges = "Rural coverage remains low."
    progress.save()
    assert addressed() is True
    progress.not_applicable = True
    progress.save()
    assert addressed() is False
    progress.not_applicable, progress.challenges = False, ""
    progress.future_priorities = "A national data strategy."
    progress.save()
    assert addressed() is True
    assert list(ActionLineProgress.objects.filter(LINE_ADDRESSED)) == [progress]
    ActionLineProgress.objects.filter(pk=progress.pk).update(future_priorities="")
    assert addressed() is False

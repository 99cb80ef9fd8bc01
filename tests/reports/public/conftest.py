"""Reports at every stage for the public pages' tests: only the published ones may ever show."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from action_lines.models import ActionLine
from reports import services
from reports.models import Country, Report, ReportingCycle, StakeholderType
from tests import factories

S = Report.Status


@pytest.fixture
def staff(reference_data) -> User:
    return factories.UserFactory.create(email="secretariat@itu.int", is_staff=True)


def make_report(
    *,
    cycle: ReportingCycle,
    name: str,
    summary: str,
    country: str = "KE",
    stakeholder_type: str = StakeholderType.GOVERNMENT,
    language: str = "en",
    lines: dict[str, str] | None = None,
    contact_email: str = "focal.point@example.org",
) -> Report:
    entity = factories.EntityFactory.create(
        name=name, acronym="", country=Country.objects.get(code=country), stakeholder_type=stakeholder_type
    )
    report = factories.ReportFactory.create(
        entity=entity, cycle=cycle, executive_summary=summary, language=language
    )
    for code, text in (lines or {}).items():
        factories.ProgressFactory.create(
            report=report,
            action_line=ActionLine.objects.get(code=code),
            achievements=text,
            challenges="",
            future_priorities="",
        )
    factories.ContactFactory.create(report=report, email=contact_email, name="Private Person Name")
    return report


def advance(report: Report, status: str, *, staff: User, capture: Any) -> Report:
    """Move a draft to ``status`` through the services (submitted, accepted, published)."""
    with capture(execute=True):
        if status == S.DRAFT:
            return report
        services.submission_record(report=report, user=staff, at=report.cycle.opens_at)
        if status == S.SUBMITTED:
            return Report.objects.get(pk=report.pk)
        report = Report.objects.get(pk=report.pk)
        services.report_transition(report=report, to_status=S.ACCEPTED, actor=staff)
        if status == S.ACCEPTED:
            return Report.objects.get(pk=report.pk)
        services.report_transition(
            report=Report.objects.get(pk=report.pk), to_status=S.PUBLISHED, actor=staff
        )
    return Report.objects.get(pk=report.pk)


@pytest.fixture
def publish(staff, django_capture_on_commit_callbacks):
    def go(report: Report, status: str = S.PUBLISHED) -> Report:
        return advance(report, status, staff=staff, capture=django_capture_on_commit_callbacks)

    return go

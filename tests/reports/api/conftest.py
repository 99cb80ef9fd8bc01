"""Published and unpublished reports side by side: whatever is not published must never show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from action_lines.models import ActionLine
from reports.models import Country, Report, ReportingCycle, StakeholderType, StatusChange
from tests import factories

# Text that exists only in reports that are not published, or in their follow-up contact.
SECRET_TEXT = "Unpublished-draft-marker-7f3a"
CONTACT_EMAIL = "private.focal.point@example.org"
CONTACT_NAME = "Zanele Private-Contact"
CONTACT_PHONE = "+41 22 999 1234"


def make_report(
    cycle: ReportingCycle,
    *,
    status: str,
    name: str,
    stype: str = StakeholderType.GOVERNMENT,
    country: str = "KE",
    language: str = "en",
    summary: str = "Twenty years of connecting schools.",
    lines: dict[str, str] | None = None,
) -> Report:
    """A report with content in every part and a follow-up contact, in ``status``."""
    entity = factories.EntityFactory.create(
        name=name, stakeholder_type=stype, country=Country.objects.get(code=country)
    )
    submitted = None if status == Report.Status.DRAFT else timezone.now() - timedelta(days=3)
    report = factories.ReportFactory.create(
        entity=entity,
        cycle=cycle,
        status=status,
        language=language,
        submitted_at=submitted,
        executive_summary=summary,
        digital_strategy=f"{name}: national digital strategy.",
        challenges_gaps="=SUM(A1:A9) rural connectivity",
    )
    for code, text in (lines or {"C2": "Fibre to 300 towns."}).items():
        factories.ProgressFactory.create(
            report=report, action_line=ActionLine.objects.get(code=code), achievements=text
        )
    factories.ProgressFactory.create(
        report=report,
        action_line=ActionLine.objects.get(code="C5"),
        achievements="",
        challenges="",
        future_priorities="",
        not_applicable=True,
    )
    factories.SuccessStoryFactory.create(
        report=report,
        action_line=ActionLine.objects.get(code="C2"),
        title=f"{name} story",
        description="Community networks in forty villages.",
        url="https://example.org/story",
        year=2021,
    )
    factories.IndicatorFactory.create(report=report)
    factories.ContactFactory.create(
        report=report, name=CONTACT_NAME, email=CONTACT_EMAIL, phone=CONTACT_PHONE
    )
    if status == Report.Status.PUBLISHED:
        StatusChange.objects.create(report=report, from_status="accepted", to_status="published")
    return report


@dataclass
class Reports:
    cycle: ReportingCycle
    kenya: Report  # published, English, government, C2 and C7.GOV
    egypt: Report  # published, Arabic, civil society
    draft: Report
    accepted: Report
    under_review: Report

    @property
    def hidden(self) -> list[Report]:
        return [self.draft, self.accepted, self.under_review]


@pytest.fixture
def reports(reference_data) -> Reports:
    cycle = factories.CycleFactory.create(slug="wsis20-api", name="WSIS+20 review (API)")
    return Reports(
        cycle=cycle,
        kenya=make_report(
            cycle,
            status=Report.Status.PUBLISHED,
            name="Kenya Ministry of ICT",
            lines={"C2": "Fibre to 300 towns.", "C7.GOV": "E-citizen portal with 5,000 services."},
        ),
        egypt=make_report(
            cycle,
            status=Report.Status.PUBLISHED,
            name="Cairo Digital Rights Forum",
            stype=StakeholderType.CIVIL_SOCIETY,
            country="EG",
            language="ar",
            summary="تحقيق التحول الرقمي الشامل",
            lines={"C3": "Open access to public information."},
        ),
        draft=make_report(
            cycle,
            status=Report.Status.DRAFT,
            name="Draft Entity",
            summary=SECRET_TEXT,
            lines={"C2": SECRET_TEXT},
        ),
        accepted=make_report(
            cycle, status=Report.Status.ACCEPTED, name="Accepted Entity", summary=SECRET_TEXT
        ),
        under_review=make_report(
            cycle, status=Report.Status.UNDER_REVIEW, name="Reviewed Entity", summary=SECRET_TEXT
        ),
    )

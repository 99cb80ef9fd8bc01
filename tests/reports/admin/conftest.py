"""Fixtures for the secretariat's admin: the Secretariat group (recreated after transactional
tests flushed it), people in every role, and submitted reports built without the delivery
pipeline (a submission row with its snapshot, as ``report_submit`` leaves it)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from action_lines.models import ActionLine
from reports import services
from reports.models import Report, Submission
from reports.permissions import secretariat_group_ensure
from tests import factories
from tests.accounts import staff_client


@pytest.fixture
def secretariat_group(reference_data):
    return secretariat_group_ensure()


@pytest.fixture
def secretariat_user(secretariat_group):
    user = factories.UserFactory.create(
        email="reviewer@wsis.example.org", first_name="Rita", last_name="Reviewer"
    )
    user.is_staff = True
    user.save()
    user.groups.add(secretariat_group)
    return user


@pytest.fixture
def secretariat_client(client, secretariat_user):
    """Logged in with the second factor, as staff must be for the admin (tests/accounts.py)."""
    return staff_client(client, secretariat_user)


@pytest.fixture
def staff_outsider(reference_data):
    """Staff, but not in the Secretariat group (e.g. IT support)."""
    user = factories.UserFactory.create(email="it.support@wsis.example.org")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def owner(entity):
    return factories.MembershipFactory.create(
        entity=entity, user__email="focal.point@ministry.example.org"
    ).user


def submit_directly(report: Report, *, user=None, at=None) -> Submission:
    """Mark ``report`` submitted with a numbered snapshot, through the service ``report_submit`` uses,
    without its checks, PDF or e-mails: the admin tests submit hundreds of deliberately incomplete
    reports (``fill`` answers three Action Lines), which ``report_submit`` refuses, and they add the
    delivery rows they need themselves (``add_deliveries``)."""
    return services.submission_record(report=report, user=user, at=at or timezone.now())


def fill(report: Report, *, codes=("C1", "C2", "C5"), achievements="Schools connected.") -> Report:
    for line in ActionLine.objects.filter(code__in=codes):
        factories.ProgressFactory.create(report=report, action_line=line, achievements=achievements)
    report.lines_covered = len(codes)
    report.save(update_fields=["lines_covered"])
    factories.ContactFactory.create(report=report)
    return report


@pytest.fixture
def submitted_report(report, owner):
    fill(report)
    submit_directly(report, user=owner)
    report.refresh_from_db()
    return report

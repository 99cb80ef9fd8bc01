"""What the entity sees of its deadline: in the cycle's time zone with the zone's name and offset,
a ``<time>`` for the reader's local time, one message, and no Submit button when submitting is refused;
an extension or an answer-by date lets that entity submit after the cycle's deadline."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from action_lines.models import ActionLine
from reports import deadlines, services
from reports.models import ReportingCycle, Submission
from tests import factories

pytestmark = pytest.mark.django_db


def page_of(client, name, report):
    response = client.get(reverse(name, kwargs={"report_id": report.pk}))
    assert response.status_code == 200
    return response.content.decode()


def complete(report, user):
    for line in ActionLine.objects.in_template_order():
        services.report_save_section(
            report=report,
            key=f"line-{line.code}",
            data={"achievements": f"Progress on {line.code}."},
            base_version=0,
            user=user,
        )
    sections: dict[str, dict[str, Any]] = {
        "strategies": {
            "digital_strategy": "A digital strategy.",
            "strategic_documents": "Plans.",
            "wsis_mandates": "Mandates.",
        },
        "indicators": {"indicators_narrative": "Indicators.", "indicators": []},
        "challenges": {"challenges_gaps": "Gaps."},
        "vision": {"future_vision": "Vision."},
        "contact": {"name": "Amina Diallo", "email": "focal.point@example.org"},
    }
    for key, data in sections.items():
        version = services.report_section_version(report=report, key=key)
        services.report_save_section(report=report, key=key, data=data, base_version=version, user=user)
    report.refresh_from_db()
    return report


@pytest.fixture
def geneva_cycle(reference_data):
    """A cycle announced in Geneva time whose deadline is a week away."""
    return factories.CycleFactory.create(
        time_zone="Europe/Zurich", deadline=timezone.now() + timedelta(days=7)
    )


@pytest.fixture
def refusing_cycle(reference_data):
    """A cycle that refuses late reports, its deadline passed yesterday."""
    return factories.CycleFactory.create(
        time_zone="America/New_York",
        opens_at=timezone.now() - timedelta(days=40),
        deadline=timezone.now() - timedelta(days=1),
        late_policy=ReportingCycle.LatePolicy.REFUSE,
    )


def test_the_workspace_shows_the_deadline_in_the_cycles_zone_once_with_a_local_time(
    member, entity, geneva_cycle
):
    report = factories.ReportFactory.create(entity=entity, cycle=geneva_cycle)
    page = page_of(member, "reports:workspace", report)
    written = deadlines.moment(geneva_cycle, geneva_cycle.deadline)
    assert re.search(r"\(Geneva time, UTC\+[12]\)", written.text)
    assert page.count(written.text) == 1  # one deadline, one format
    assert f'<time datetime="{written.iso}" data-local-time' in page
    assert "js/local-time.js" in page
    assert "has passed" not in page
    assert reverse("reports:submit", kwargs={"report_id": report.pk}) in page


def test_a_refused_report_shows_one_message_and_no_submit_button(member, entity, owner, refusing_cycle):
    report = complete(factories.ReportFactory.create(entity=entity, cycle=refusing_cycle), owner)
    submit_url = reverse("reports:submit", kwargs={"report_id": report.pk})
    workspace = page_of(member, "reports:workspace", report)
    assert workspace.count("no longer accepts submissions") == 1
    assert "(New York time, UTC-" in workspace
    main = workspace.split('class="col-lg-8 workspace-main"')[1]
    assert (
        f'href="{submit_url}"' not in main
    )  # no "Check and submit" button (the outline still lists the page)

    page = page_of(member, "reports:submit", report)
    assert page.count("no longer accepts submissions") == 1
    assert 'name="confirm"' not in page
    assert "Submit the report</button>" not in page
    assert page.count('class="alert') == 1

    forced = member.post(submit_url, {"confirm": "on"})
    assert forced.status_code == 400
    assert forced.content.decode().count("no longer accepts submissions") == 1
    assert not Submission.objects.filter(report=report).exists()


def test_an_extension_lets_that_entity_submit_and_not_another(client, member, entity, owner, refusing_cycle):
    extended = complete(factories.ReportFactory.create(entity=entity, cycle=refusing_cycle), owner)
    until = deadlines.end_of_day(refusing_cycle, (timezone.now() + timedelta(days=3)).date())
    deadlines.report_extend_deadline(report=extended, until=until, note="Elections.")
    page = page_of(member, "reports:workspace", extended)
    assert "your extended deadline:" in page
    assert deadlines.moment(refusing_cycle, until).text in page
    assert "no longer accepts submissions" not in page

    response = member.post(reverse("reports:submit", kwargs={"report_id": extended.pk}), {"confirm": "on"})
    assert response.status_code == 302
    assert not Submission.objects.get(report=extended).is_late

    other_owner = factories.MembershipFactory.create(user__email="other@example.org").user
    other = complete(
        factories.ReportFactory.create(entity=other_owner.entities.get(), cycle=refusing_cycle), other_owner
    )
    client.force_login(other_owner)
    refused = client.post(reverse("reports:submit", kwargs={"report_id": other.pk}), {"confirm": "on"})
    assert refused.status_code == 400
    assert "no longer accepts submissions" in refused.content.decode()
    assert not Submission.objects.filter(report=other).exists()


def test_a_changes_request_shows_its_answer_by_date_and_allows_resubmitting_after_the_deadline(
    member, entity, owner, refusing_cycle
):
    report = complete(factories.ReportFactory.create(entity=entity, cycle=refusing_cycle), owner)
    services.submission_record(report=report, user=owner, at=refusing_cycle.deadline - timedelta(days=2))
    due = deadlines.end_of_day(refusing_cycle, (timezone.now() + timedelta(days=5)).date())
    services.report_request_changes(
        report=report, actor=factories.UserFactory.create(is_staff=True), message="Add sources.", due_at=due
    )
    page = page_of(member, "reports:workspace", report)
    assert f"Please submit it again by {deadlines.moment(refusing_cycle, due).text}." in page
    assert "no longer accepts submissions" not in page

    response = member.post(reverse("reports:submit", kwargs={"report_id": report.pk}), {"confirm": "on"})
    assert response.status_code == 302
    latest = Submission.objects.get(report=report, number=2)
    assert not latest.is_late


def test_past_the_deadline_of_an_accepting_cycle_the_page_says_it_will_be_marked_late(member, entity):
    cycle = factories.CycleFactory.create(
        opens_at=timezone.now() - timedelta(days=40), deadline=timezone.now() - timedelta(hours=2)
    )
    report = factories.ReportFactory.create(entity=entity, cycle=cycle)
    page = page_of(member, "reports:submit", report)
    assert page.count("has passed. You can still submit; the report will be marked late.") == 1
    assert page.count(deadlines.moment(cycle, cycle.deadline).text) == 2  # the page head and the message


def test_the_deadline_speaks_the_readers_language(member, entity, geneva_cycle):
    report = factories.ReportFactory.create(entity=entity, cycle=geneva_cycle)
    member.cookies["django_language"] = "fr"
    page = page_of(member, "reports:workspace", report)
    local = geneva_cycle.deadline.astimezone(deadlines.cycle_zone(geneva_cycle))
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre"]  # fmt: skip
    assert f"{local.day} {months[local.month - 1]} {local.year}" in page
    assert f"{local:%H:%M} (" in page

"""The dashboard: the figures of one cycle, right, from a fixed number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from action_lines.models import ActionLine
from reports.admin import dashboard
from reports.models import Report, StakeholderType
from tests import factories

from .conftest import fill, submit_directly

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(cycle, reference_data):
    made = []
    for n, (stype, country, codes) in enumerate(
        [
            (StakeholderType.GOVERNMENT, "KE", ("C1", "C7.GOV")),
            (StakeholderType.GOVERNMENT, "FR", ("C1",)),
            (StakeholderType.ACADEMIA, "BR", ("C2", "C7.GOV", "C7.HEALTH")),
        ]
    ):
        entity = factories.EntityFactory.create(
            name=f"Entity {n}", stakeholder_type=stype, country_id=country
        )
        report = fill(factories.ReportFactory.create(cycle=cycle, entity=entity), codes=codes)
        submit_directly(report, at=timezone.now() - timedelta(days=n))
        made.append(report)
    draft = factories.ReportFactory.create(
        cycle=cycle, entity=factories.EntityFactory.create(name="Slow Starter University")
    )
    fill(draft, codes=("C3",))
    return made, draft


def test_the_figures_of_a_cycle(cycle, reports):
    _submitted, draft = reports
    data = dashboard.dashboard_data(cycle=cycle)
    assert data.status_counts[Report.Status.SUBMITTED] == 3
    assert data.status_counts[Report.Status.DRAFT] == 1
    assert data.total == 4
    assert data.submitted == 3
    assert dict((v, n) for v, _label, n in data.by_type)["government"] == 2
    assert dict((v, n) for v, _label, n in data.by_type)["academia"] == 1
    regions = {region.code: n for region, n in data.by_region}
    assert regions["africa"] == 1
    assert regions["europe"] == 1
    assert regions["americas"] == 1
    coverage = {c.line.code: c.addressed for c in data.coverage}
    assert coverage["C1"] == 2
    assert coverage["C7.GOV"] == 2
    assert coverage["C7.HEALTH"] == 1
    assert coverage["C3"] == 0  # the draft does not count
    assert len(data.coverage) == ActionLine.objects.count()
    assert sum(first for _day, first, _again in data.per_day) == 3
    assert [r.pk for r in data.waiting] == [draft.pk]


def test_the_dashboard_page_shows_charts_with_tables_and_who_to_chase(secretariat_client, cycle, reports):
    response = secretariat_client.get(reverse("admin:reports_report_dashboard") + f"?cycle={cycle.pk}")
    assert response.status_code == 200
    page = response.content.decode()
    for title in (
        "Reports submitted per day",
        "Submitted reports by stakeholder type",
        "Submitted reports by region",
        "Action Line coverage",
    ):
        assert title in page
    assert page.count('role="img"') == 6
    assert page.count("<table") >= 7  # a data table per chart, and the table of drafts
    assert "Slow Starter University" in page
    assert "E-Government" in page
    assert "Deadline" in page


def test_the_dashboard_defaults_to_the_current_cycle(secretariat_client, cycle, reports):
    later = factories.CycleFactory.create(name="WSIS+25 review", opens_at=timezone.now() - timedelta(days=1))
    page = secretariat_client.get(reverse("admin:reports_report_dashboard")).content.decode()
    assert f'<option value="{later.pk}" selected>' in page


def test_the_admin_index_and_the_list_link_to_the_dashboard(secretariat_client, reports):
    url = reverse("admin:reports_report_dashboard")
    assert url in secretariat_client.get(reverse("admin:index")).content.decode()
    assert url in secretariat_client.get(reverse("admin:reports_report_changelist")).content.decode()


def test_the_dashboard_shows_a_submission_at_once(secretariat_client, cycle, reports):
    """The figures are cached, keyed by the state of the cycle's reports: a report that
    moves is counted on the next visit."""
    _submitted, draft = reports
    url = reverse("admin:reports_report_dashboard") + f"?cycle={cycle.pk}"
    before = secretariat_client.get(url).context["board"].data
    assert before.submitted == 3
    assert [r.pk for r in before.waiting] == [draft.pk]

    submit_directly(draft)
    after = secretariat_client.get(url)
    assert after.context["board"].data.submitted == 4
    assert after.context["board"].data.waiting == []
    assert "Slow Starter University" not in after.content.decode()

"""The report list: its columns and filters find what the secretariat looks for."""

import re
from datetime import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from action_lines.models import ActionLine
from reports.admin.reports import ReportAdmin
from reports.models import Delivery, Entity, FollowUpContact
from tests import factories

from .conftest import fill, submit_directly

pytestmark = pytest.mark.django_db
LIST = reverse("admin:reports_report_changelist")


@pytest.fixture
def reports(cycle, reference_data):
    kenya = fill(
        factories.ReportFactory.create(
            cycle=cycle, entity=factories.EntityFactory.create(name="Kenya ICT Authority", country_id="KE")
        ),
        codes=("C1", "C7.HEALTH"),
    )
    submit_directly(kenya)
    Delivery.objects.create(report=kenya, kind=Delivery.Kind.RENDER_PDF, status=Delivery.Status.DONE)
    Delivery.objects.create(report=kenya, kind=Delivery.Kind.RECEIPT_EMAIL, status=Delivery.Status.FAILED)
    france = fill(
        factories.ReportFactory.create(
            cycle=cycle,
            entity=factories.EntityFactory.create(
                name="Institut du numérique", acronym="INUM", country_id="FR", stakeholder_type="academia"
            ),
        ),
        codes=("C2",),
    )
    france.contact.email = "wsis.focal@inum.example.fr"
    france.contact.save()
    ghana = factories.ReportFactory.create(
        cycle=cycle, entity=factories.EntityFactory.create(name="Ghana Digital Centre", country_id="GH")
    )
    factories.ProgressFactory.create(
        report=ghana, action_line=ActionLine.objects.get(code="C7.HEALTH"), not_applicable=True
    )
    return kenya, france, ghana


def names(client, query=""):
    response = client.get(LIST + query)
    assert response.status_code == 200
    return {str(r.entity) for r in response.context["cl"].result_list}


def test_the_list_shows_who_where_status_and_delivery(secretariat_client, reports):
    page = secretariat_client.get(LIST).content.decode()
    assert "Kenya ICT Authority (MDE)" in page
    assert "Government" in page
    assert "Kenya" in page
    assert "Africa" in page
    assert "Submitted" in page
    assert "PDF ok" in page
    assert "1 failed" in page


def test_action_line_filter_counts_answers_not_not_applicable_and_includes_sub_lines(
    secretariat_client, reports
):
    assert names(secretariat_client, "?line=C7.HEALTH") == {"Kenya ICT Authority (MDE)"}
    assert names(secretariat_client, "?line=C7") == {"Kenya ICT Authority (MDE)"}
    assert names(secretariat_client, "?line=C2") == {"Institut du numérique (INUM)"}
    assert names(secretariat_client, "?line=C11") == set()


def test_countries_are_offered_once_a_region_is_chosen(secretariat_client, reports):
    page = secretariat_client.get(LIST).content.decode()
    assert "Choose a region first." in page
    response = secretariat_client.get(LIST + "?entity__country__region__code__exact=africa")
    [countries] = [
        f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "country"
    ]
    offered = [code for code, _name in countries.lookup_choices]
    assert offered == ["GH", "KE"]
    assert names(secretariat_client, "?country=KE") == {"Kenya ICT Authority (MDE)"}


def test_filters_for_status_type_region_late_and_failed_delivery(secretariat_client, reports):
    assert names(secretariat_client, "?status__exact=draft") == {
        "Institut du numérique (INUM)",
        "Ghana Digital Centre (MDE)",
    }
    assert names(secretariat_client, "?entity__stakeholder_type__exact=academia") == {
        "Institut du numérique (INUM)"
    }
    assert names(secretariat_client, "?entity__country__region__code__exact=europe") == {
        "Institut du numérique (INUM)"
    }
    assert names(secretariat_client, "?delivery=failed") == {"Kenya ICT Authority (MDE)"}
    assert names(secretariat_client, "?is_late__exact=1") == set()


def test_search_by_name_acronym_and_contact_email(secretariat_client, reports):
    assert names(secretariat_client, "?q=ghana") == {"Ghana Digital Centre (MDE)"}
    assert names(secretariat_client, "?q=INUM") == {"Institut du numérique (INUM)"}
    assert names(secretariat_client, "?q=focal%40inum") == {"Institut du numérique (INUM)"}
    assert names(secretariat_client, '?q="digital centre" ghana') == {"Ghana Digital Centre (MDE)"}
    assert names(secretariat_client, "?q=nowhere") == set()


def test_search_finds_the_same_reports_when_the_matches_are_too_many_to_pass_as_values(
    secretariat_client, reports, monkeypatch
):
    queries = ["?q=ghana", "?q=INUM", "?q=focal%40inum", "?q=e", "?q=example"]
    as_values = [names(secretariat_client, q) for q in queries]
    monkeypatch.setattr(ReportAdmin, "SEARCH_MATCHES_AS_VALUES", 0)
    assert [names(secretariat_client, q) for q in queries] == as_values
    everyone = {"Kenya ICT Authority (MDE)", "Institut du numérique (INUM)", "Ghana Digital Centre (MDE)"}
    assert as_values[3] == everyone


def test_submitted_reports_come_first_newest_first(secretariat_client, reports, cycle):
    response = secretariat_client.get(LIST)
    statuses = [r.status for r in response.context["cl"].result_list]
    assert statuses[0] == "submitted"


def test_a_page_shows_25_reports_and_says_how_many_there_are(secretariat_client, cycle, reference_data):
    for n in range(30):
        factories.ReportFactory.create(
            cycle=cycle, entity=factories.EntityFactory.create(name=f"Agency {n:02}")
        )
    response = secretariat_client.get(LIST)
    assert len(response.context["cl"].result_list) == 25
    page = response.content.decode()
    assert "30 reports" in page
    assert 'href="?p=2"' in page
    second = secretariat_client.get(LIST + "?p=2")
    assert len(second.context["cl"].result_list) == 5


def test_the_month_filter_offers_the_cycles_months_and_filters_by_them(secretariat_client, reference_data):
    tz = timezone.get_current_timezone()
    cycle = factories.CycleFactory.create(
        slug="month-filter-2025",
        opens_at=datetime(2025, 4, 1, 9, 0, tzinfo=tz),
        deadline=datetime(2025, 6, 30, 23, 59, tzinfo=tz),
    )
    may = fill(
        factories.ReportFactory.create(
            cycle=cycle, entity=factories.EntityFactory.create(name="Early Bird Agency")
        )
    )
    submit_directly(may, at=datetime(2025, 5, 31, 23, 30, tzinfo=tz))  # the last half hour of May, locally
    june = fill(
        factories.ReportFactory.create(
            cycle=cycle, entity=factories.EntityFactory.create(name="Later Agency")
        )
    )
    submit_directly(june, at=datetime(2025, 6, 1, 0, 10, tzinfo=tz))
    factories.ReportFactory.create(cycle=cycle, entity=factories.EntityFactory.create(name="Draft Agency"))

    response = secretariat_client.get(LIST)
    page = response.content.decode()
    assert "3 reports" in page  # the drafts, without a date, are counted too
    [spec] = [
        f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "submitted"
    ]
    offered = [label for _value, label in spec.lookup_choices]
    # From the cycle's opening to three months past its deadline, newest first.
    assert offered == ["September 2025", "August 2025", "July 2025", "June 2025", "May 2025", "April 2025"]
    assert "?submitted=2025-05" in page

    assert names(secretariat_client, "?submitted=2025-05") == {"Early Bird Agency (MDE)"}
    assert names(secretariat_client, "?submitted=2025-06") == {"Later Agency (MDE)"}
    assert names(secretariat_client, "?submitted=2025-07") == set()


def test_a_month_that_is_not_one_is_refused_as_django_refuses_bad_filters(secretariat_client, reports):
    response = secretariat_client.get(LIST + "?submitted=May")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("?e=1")


def test_a_new_reporting_cycle_is_offered_by_the_cycle_filter_at_once(secretariat_client, reports, cycle):
    def cycles_offered():
        response = secretariat_client.get(LIST)
        [spec] = [f for f in response.context["cl"].filter_specs if getattr(f, "field_path", "") == "cycle"]
        return {name for _pk, name in spec.lookup_choices}

    assert cycle.name in cycles_offered()
    factories.CycleFactory.create(name="WSIS+25 review")
    assert {cycle.name, "WSIS+25 review"} <= cycles_offered()


@pytest.mark.postgres
def test_the_search_finds_entities_and_contacts_through_the_trigram_indexes(secretariat_client):
    """The indexes of migration 0005 fit the SQL the admin's search sends (``UPPER(col) LIKE``)."""
    entities = Entity.objects.filter(Q(name__icontains="telecom") | Q(acronym__icontains="telecom"))
    contacts = FollowUpContact.objects.filter(email__icontains="focal.point")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plans = {}
        for name, queryset in (
            ("entities", entities.values("pk")),
            ("contacts", contacts.values("report_id")),
        ):
            sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plans[name] = "\n".join(row[0] for row in cursor.fetchall())
    assert "entity_name_trgm" in plans["entities"]
    assert "entity_acronym_trgm" in plans["entities"]
    assert "contact_email_trgm" in plans["contacts"]


def test_each_address_shows_its_own_filter_selection(secretariat_client, reports):
    """The filters' markup is kept a minute per address (page number aside)."""

    def selected(query):
        page = secretariat_client.get(LIST + query).content.decode()
        nav = page[page.index('id="changelist-filter"') :]
        return re.findall(r'<li class="selected">\s*<a href="[^"]*"[^>]*>([^<]+)</a>', nav)

    assert "Submitted" in selected("?status__exact=submitted")
    assert "Draft" in selected("?status__exact=draft")
    assert "Submitted" in selected("?status__exact=submitted&p=1")
    assert "Africa" in selected("?status__exact=submitted&entity__country__region__code__exact=africa")

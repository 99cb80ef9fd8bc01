"""The admin's list of background deliveries: what each row is about and where it goes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.models import Compilation, Delivery, Invitation
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("admin:reports_delivery_changelist")


@pytest.fixture
def rows(report, secretariat_user):
    invitation = Invitation.objects.create(
        entity=report.entity,
        email="new.colleague@ministry.example.org",
        expires_at=timezone.now() + timedelta(days=7),
    )
    compilation = Compilation.objects.create(
        requested_by=secretariat_user, cycle=report.cycle, layout="full", title="All reports, 2026"
    )
    return {
        "report": Delivery.objects.create(
            report=report, kind=Delivery.Kind.SECRETARIAT_EMAIL, recipients=["wsis-info@itu.int"]
        ),
        "compilation": Delivery.objects.create(
            compilation=compilation, kind=Delivery.Kind.COMPILATION_EMAIL, recipients=[secretariat_user.email]
        ),
        "invitation": Delivery.objects.create(
            invitation=invitation,
            kind=Delivery.Kind.INVITATION_EMAIL,
            recipients=["new.colleague@ministry.example.org"],
            status=Delivery.Status.FAILED,
        ),
    }


def test_each_row_says_what_it_is_about_and_to_whom(secretariat_client, rows, report):
    page = secretariat_client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert str(report) in html
    assert "Compiled report: All reports, 2026" in html
    assert f"Invitation to join {report.entity.name}" in html
    assert "new.colleague@ministry.example.org" in html
    assert "wsis-info@itu.int" in html


def test_search_finds_a_row_by_recipient_or_by_the_invited_entity(secretariat_client, rows, report):
    found = secretariat_client.get(URL, {"q": "new.colleague@ministry"}).context["cl"].result_list
    assert [row.pk for row in found] == [rows["invitation"].pk]
    found = secretariat_client.get(URL, {"q": report.entity.name}).context["cl"].result_list
    assert {row.pk for row in found} == {rows["report"].pk, rows["invitation"].pk}


def test_the_list_reads_the_same_number_of_queries_for_more_rows(secretariat_client, rows, secretariat_user):
    with CaptureQueriesContext(connection) as few:
        assert secretariat_client.get(URL).status_code == 200
    for n in range(5):
        entity = factories.EntityFactory.create()
        invitation = Invitation.objects.create(
            entity=entity, email=f"person{n}@example.org", expires_at=timezone.now() + timedelta(days=7)
        )
        Delivery.objects.create(
            invitation=invitation, kind=Delivery.Kind.INVITATION_EMAIL, recipients=[invitation.email]
        )
        other = factories.ReportFactory.create(entity=entity, cycle=rows["report"].report.cycle)
        Delivery.objects.create(report=other, kind=Delivery.Kind.RENDER_PDF)
    with CaptureQueriesContext(connection) as many:
        assert secretariat_client.get(URL).status_code == 200
    assert len(many) == len(few)

"""The security audit log in the Secretariat's admin: events listed with UTC times, filtered by kind
and date, searched by e-mail, address or object id; model history (django-auditlog) by model and
actor; both view-only; exports and review moves leave their event rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import audit
from reports.models import Entity, Report, SecurityEvent
from tests import factories
from tests.accounts import staff_client

from .conftest import fill, submit_directly

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
S = Report.Status
EVENTS = reverse("admin:reports_securityevent_changelist")
HISTORY = reverse("admin:auditlog_logentry_changelist")
SENTINEL = "Narwhal-basalt sentinel 5520"


def event(kind, *, email="", ip="192.0.2.10", at=None, **kwargs) -> SecurityEvent:
    request = RequestFactory().get("/accounts/login/", REMOTE_ADDR=ip)
    row = audit.record(request, kind, email=email, **kwargs)
    if at is not None:
        SecurityEvent.objects.filter(pk=row.pk).update(created_at=at)
        row.refresh_from_db()
    return row


def row_text(row) -> str:
    return json.dumps(model_to_dict(row), default=str, ensure_ascii=False)


def test_the_secretariat_reads_the_events_with_utc_times_and_filters_them(secretariat_client):
    event(
        Kind.LOGIN_FAILED,
        email="intruder@example.net",
        ip="198.51.100.77",
        at=datetime(2026, 11, 28, 11, 20, 5, tzinfo=UTC),
    )
    event(Kind.ACCESS_DENIED, email="prober@example.org", object_type="report", object_id=4242)
    page = secretariat_client.get(EVENTS).content.decode()
    assert "2026-11-28 11:20:05 +00:00" in page
    assert "intruder@example.net" in page
    assert "198.51.100.77" in page
    assert "report #4242" in page

    by_kind = secretariat_client.get(EVENTS, {"kind__exact": "login_failed"}).content.decode()
    assert "intruder@example.net" in by_kind
    assert "prober@example.org" not in by_kind

    that_day = secretariat_client.get(
        EVENTS,
        {"created_at__gte": "2026-11-28 00:00:00+00:00", "created_at__lt": "2026-11-29 00:00:00+00:00"},
    ).content.decode()
    assert "intruder@example.net" in that_day
    assert "prober@example.org" not in that_day  # recorded now, not on that day

    for query in ("198.51.100.77", "intruder@example.net"):
        found = secretariat_client.get(EVENTS, {"q": query}).content.decode()
        assert "intruder@example.net" in found, query
        assert "prober@example.org" not in found, query
    by_id = secretariat_client.get(EVENTS, {"q": "4242"}).content.decode()
    assert "prober@example.org" in by_id
    assert "intruder@example.net" not in by_id


def test_a_stakeholder_or_staff_outside_the_secretariat_cannot_read_the_log(client, owner, staff_outsider):
    event(Kind.LOGIN_FAILED, email="intruder@example.net")
    client.force_login(owner)
    response = client.get(EVENTS, follow=True)
    assert response.status_code == 403
    assert "intruder@example.net" not in response.content.decode()

    outsider = staff_client(Client(), staff_outsider)
    response = outsider.get(EVENTS)
    assert response.status_code == 403
    assert "intruder@example.net" not in response.content.decode()
    # …and both refusals are themselves recorded.
    denied = SecurityEvent.objects.filter(kind=Kind.ACCESS_DENIED).order_by("pk")
    assert [row.actor for row in denied] == [owner, staff_outsider]
    assert denied[1].path == EVENTS


def test_nobody_adds_changes_or_deletes_an_event(secretariat_client, reference_data):
    row = event(Kind.LOGIN_FAILED, email="intruder@example.net")
    change = reverse("admin:reports_securityevent_change", args=[row.pk])
    assert secretariat_client.get(reverse("admin:reports_securityevent_add")).status_code == 403
    page = secretariat_client.get(change)
    assert page.status_code == 200  # viewable…
    assert 'name="_save"' not in page.content.decode()  # …without a save button
    assert (
        secretariat_client.post(change, {"kind": "login", "actor_email": "x@example.org"}).status_code == 403
    )
    assert (
        secretariat_client.post(reverse("admin:reports_securityevent_delete", args=[row.pk])).status_code
        == 403
    )
    row.refresh_from_db()
    assert (row.kind, row.actor_email) == (Kind.LOGIN_FAILED, "intruder@example.net")
    # Not even a superuser may.
    superuser = factories.UserFactory.create(email="root@wsis.example.org", is_staff=True, is_superuser=True)
    request = RequestFactory().get(EVENTS)
    request.user = superuser
    for model in (SecurityEvent, LogEntry):
        model_admin = admin.site.get_model_admin(model)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, None)
    assert not admin.site.get_model_admin(SecurityEvent).has_delete_permission(request, row)


def test_the_event_list_costs_the_same_queries_however_many_rows(secretariat_client):
    for n in range(3):
        event(Kind.LOGIN_FAILED, email=f"person{n}@example.net")
    secretariat_client.get(EVENTS)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        assert secretariat_client.get(EVENTS).status_code == 200
    for n in range(40):
        event(Kind.ACCESS_DENIED, email=f"other{n}@example.org", object_type="report", object_id=n)
    with CaptureQueriesContext(connection) as many:
        page = secretariat_client.get(EVENTS)
    assert "other39@example.org" in page.content.decode()
    assert len(many) == len(few), [q["sql"] for q in many]


# --- Model history (django-auditlog) ------------------------------------------------------------------


def test_model_history_shows_an_entity_rename_by_actor_and_model_and_no_report_text(
    secretariat_client, entity, owner, report
):
    stakeholder = Client()
    stakeholder.force_login(owner)
    stakeholder.post(
        reverse("reports:section", kwargs={"report_id": report.pk, "key": "executive-summary"}),
        {"base_version": 0, "executive_summary": SENTINEL},
    )
    report.refresh_from_db()
    assert report.executive_summary == SENTINEL
    old_name = entity.name
    response = stakeholder.post(
        reverse("reports:entity_edit", kwargs={"entity_id": entity.pk}),
        {"name": "Ministry of Digital Affairs", "stakeholder_type": entity.stakeholder_type, "country": "KE"},
    )
    assert response.status_code == 302
    rename = LogEntry.objects.get_for_object(Entity.objects.get(pk=entity.pk)).get(
        action=LogEntry.Action.UPDATE
    )

    page = secretariat_client.get(HISTORY).content.decode()
    assert "Ministry of Digital Affairs" in page
    assert f"{rename.timestamp.astimezone(UTC):%Y-%m-%d %H:%M:%S} +00:00" in page
    entity_type = ContentType.objects.get_for_model(Entity)
    by_model = secretariat_client.get(HISTORY, {"resource_type": entity_type.pk}).content.decode()
    assert "Ministry of Digital Affairs" in by_model
    by_actor = secretariat_client.get(HISTORY, {"actor__id__exact": owner.pk}).content.decode()
    assert "Ministry of Digital Affairs" in by_actor
    by_someone_else = secretariat_client.get(HISTORY, {"actor__id__exact": owner.pk + 1000})
    assert "Ministry of Digital Affairs" not in by_someone_else.content.decode()
    by_email = secretariat_client.get(HISTORY, {"q": owner.email}).content.decode()
    assert "Ministry of Digital Affairs" in by_email

    detail = secretariat_client.get(
        reverse("admin:auditlog_logentry_change", args=[rename.pk])
    ).content.decode()
    assert old_name in detail
    assert "Ministry of Digital Affairs" in detail
    assert SENTINEL not in page
    assert SENTINEL not in detail
    for row in LogEntry.objects.all():
        assert SENTINEL not in row_text(row)


# --- Exports and review moves ---------------------------------------------------------------------


def test_an_export_records_its_format_and_filters_not_the_data(secretariat_client, submitted_report):
    url = reverse("admin:reports_report_export", args=["csv"])
    response = secretariat_client.get(url, {"status__exact": "submitted", "q": "Ministry"})
    assert response.status_code == 200
    data = b"".join(response.streaming_content).decode()
    row = SecurityEvent.objects.get(kind=Kind.EXPORT)
    assert row.detail == {
        "format": "csv",
        "shape": "reports",
        "filters": {"status__exact": ["submitted"], "q": ["Ministry"]},
    }
    assert row.actor_email == "reviewer@wsis.example.org"
    assert row.client_ip == "127.0.0.1"
    assert str(submitted_report.entity.name) in data
    assert str(submitted_report.entity.name) not in row_text(row)


def test_review_moves_leave_an_event_each(secretariat_client, submitted_report, report_factory_submitted):
    response = secretariat_client.post(
        reverse("admin:reports_report_move", args=[submitted_report.pk, S.UNDER_REVIEW]), follow=True
    )
    assert response.status_code == 200
    secretariat_client.post(
        reverse("admin:reports_report_request_changes", args=[submitted_report.pk]),
        {"message": "Please add the indicators' sources."},
    )
    secretariat_client.post(
        reverse("admin:reports_report_changelist"),
        {"action": "start_review", "_selected_action": [report_factory_submitted.pk]},
    )
    moves = [
        (int(r.object_id), r.detail["from_status"], r.detail["to_status"])
        for r in SecurityEvent.objects.filter(kind=Kind.REVIEW).order_by("pk")
    ]
    assert moves == [
        (submitted_report.pk, S.SUBMITTED, S.UNDER_REVIEW),
        (submitted_report.pk, S.UNDER_REVIEW, S.CHANGES_REQUESTED),
        (report_factory_submitted.pk, S.SUBMITTED, S.UNDER_REVIEW),
    ]
    for row in SecurityEvent.objects.filter(kind=Kind.REVIEW):
        assert row.actor_email == "reviewer@wsis.example.org"
        assert "indicators' sources" not in row_text(row)


@pytest.fixture
def report_factory_submitted(cycle, owner):
    other = factories.ReportFactory.create(cycle=cycle)
    fill(other)
    submit_directly(other, user=owner)
    other.refresh_from_db()
    return other

"""The read-only open-data API: published reports only, full content, filters, pages, limits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.validation import validate_schema

from reports import services
from reports.models import Report, StakeholderType, StatusChange
from tests import factories

from .conftest import CONTACT_EMAIL, CONTACT_NAME, CONTACT_PHONE, SECRET_TEXT, make_report

pytestmark = pytest.mark.django_db


def get(client, path, **headers):
    return client.get(path, HTTP_ACCEPT="application/json", **headers)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:500]
    return {row["id"] for row in response.json()["results"]}


def test_the_list_shows_published_reports_only(client, reports):
    response = get(client, "/api/v1/reports/")
    assert ids(response) == {reports.kenya.pk, reports.egypt.pk}
    assert response.json()["count"] == 2
    assert SECRET_TEXT not in response.content.decode()


@pytest.mark.parametrize("which", ["draft", "accepted", "under_review"])
def test_a_report_that_is_not_published_answers_404(client, reports, which):
    report = getattr(reports, which)
    assert get(client, f"/api/v1/reports/{report.pk}/").status_code == 404
    assert get(client, f"/api/v1/entities/{report.entity_id}/").status_code == 404


def test_a_report_withdrawn_from_publication_disappears(client, reports):
    assert get(client, f"/api/v1/reports/{reports.kenya.pk}/").status_code == 200
    Report.objects.filter(pk=reports.kenya.pk).update(status=Report.Status.ACCEPTED)
    cache.clear()  # a change outside the services: seen once the cached state expires; here at once
    assert get(client, f"/api/v1/reports/{reports.kenya.pk}/").status_code == 404
    assert ids(get(client, "/api/v1/reports/")) == {reports.egypt.pk}


def test_a_report_has_its_whole_content(client, reports):
    data = get(client, f"/api/v1/reports/{reports.kenya.pk}/").json()
    assert data["cycle"] == "wsis20-api"
    assert data["entity"]["name"] == "Kenya Ministry of ICT"
    assert data["entity"]["country"] == {
        "code": "KE",
        "name": "Kenya",
        "region": data["entity"]["country"]["region"],
        "region_name": data["entity"]["country"]["region_name"],
    }
    assert data["entity"]["stakeholder_type"] == "government"
    assert data["language"] == "en"
    assert data["published_at"].endswith("Z")  # UTC, as in the bulk downloads
    assert data["submitted_at"].endswith("Z")
    assert data["url"] == f"http://testserver/api/v1/reports/{reports.kenya.pk}/"
    assert data["sections"]["executive_summary"] == "Twenty years of connecting schools."
    assert data["sections"]["digital_strategy"] == "Kenya Ministry of ICT: national digital strategy."
    progress = {row["action_line"]: row for row in data["progress"]}
    assert set(progress) == {"C2", "C5", "C7.GOV"}
    assert progress["C2"]["achievements"] == "Fibre to 300 towns."
    assert progress["C2"]["challenges"] == "Limited infrastructure in developing regions."
    assert progress["C2"]["future_priorities"] == "Affordable broadband for all."
    assert progress["C5"]["not_applicable"] is True
    assert data["action_lines"] == ["C2", "C7.GOV"]
    [story] = data["success_stories"]
    assert story == {
        "id": story["id"],
        "action_line": "C2",
        "title": "Kenya Ministry of ICT story",
        "description": "Community networks in forty villages.",
        "url": "https://example.org/story",
        "year": 2021,
    }
    [indicator] = data["indicators"]
    assert indicator["indicator"] == "Percentage of the population using the Internet"
    assert indicator["value"] == "67.4"
    assert data["html_url"].endswith(f"/published/{reports.kenya.pk}/")


def test_the_follow_up_contact_is_never_in_the_api(client, reports):
    paths = [
        "/api/v1/reports/",
        f"/api/v1/reports/{reports.kenya.pk}/",
        "/api/v1/entities/",
        f"/api/v1/entities/{reports.kenya.entity_id}/",
        "/api/v1/cycles/",
        "/api/v1/openapi.json",
    ]
    for path in paths:
        response = get(client, path)
        assert response.status_code == 200, path
        body = response.content.decode()
        for personal in (CONTACT_EMAIL, CONTACT_NAME, CONTACT_PHONE, "focal", "contact"):
            assert personal not in body, (path, personal)


def test_entities_are_those_with_a_published_report_and_list_only_those(client, reports):
    response = get(client, "/api/v1/entities/")
    names = [row["name"] for row in response.json()["results"]]
    assert names == ["Cairo Digital Rights Forum", "Kenya Ministry of ICT"]
    kenya = get(client, f"/api/v1/entities/{reports.kenya.entity_id}/").json()
    assert kenya["reports"] == [{"id": reports.kenya.pk, "cycle": "wsis20-api"}]
    assert kenya["verified"] is False
    filtered = get(client, "/api/v1/entities/?stakeholder_type=civil_society")
    assert [row["name"] for row in filtered.json()["results"]] == ["Cairo Digital Rights Forum"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cycle=wsis20-api", {"kenya", "egypt"}),
        ("action_line=C2", {"kenya"}),
        ("action_line=C7", {"kenya"}),  # C7.GOV counts for C7
        ("action_line=C7.GOV", {"kenya"}),
        ("action_line=C3", {"egypt"}),
        ("action_line=C5", set()),  # marked not applicable: not addressed
        ("stakeholder_type=civil_society", {"egypt"}),
        ("country=EG", {"egypt"}),
        ("language=ar", {"egypt"}),
        ("q=fibre", {"kenya"}),
        ("q=CAIRO forum", {"egypt"}),
        ("q=التحول", {"egypt"}),
        ("q=" + SECRET_TEXT, set()),
        ("stakeholder_type=government&language=en", {"kenya"}),
    ],
)
def test_filters(client, reports, query, expected):
    wanted = {getattr(reports, name).pk for name in expected}
    assert ids(get(client, f"/api/v1/reports/?{query}")) == wanted


def test_region_filter(client, reports):
    region = reports.egypt.entity.country.region_id
    assert reports.kenya.entity.country.region_id != region
    assert ids(get(client, f"/api/v1/reports/?region={region}")) == {reports.egypt.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("action_line=C99", "action_line"),
        ("country=XX", "country"),
        ("cycle=nope", "cycle"),
        ("language=de", "language"),
    ],
)
def test_a_filter_value_that_names_nothing_says_so(client, reports, query, field):
    response = get(client, f"/api/v1/reports/?{query}")
    assert response.status_code == 400
    assert "valid choice" in " ".join(response.json()[field])


def test_pages(client, reports):
    first = get(client, "/api/v1/reports/?page_size=1").json()
    assert first["count"] == 2
    assert len(first["results"]) == 1
    assert "page=2" in first["next"]
    second = get(client, first["next"].replace("http://testserver", "")).json()
    assert {first["results"][0]["id"], second["results"][0]["id"]} == {reports.kenya.pk, reports.egypt.pk}
    assert second["next"] is None
    assert get(client, "/api/v1/reports/?page=9").status_code == 404


def _list_queries(client, path: str) -> int:
    cache.clear()  # the answer computed, not the one kept from an earlier request
    with CaptureQueriesContext(connection) as queries:
        response = get(client, path)
    assert response.status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_the_list(client, reports):
    paths = [
        "/api/v1/reports/?page_size=100",
        "/api/v1/entities/?page_size=100",
        "/api/v1/cycles/",
        "/api/v1/action-lines/",
    ]
    small = {path: _list_queries(client, path) for path in paths}
    for n in range(10):
        make_report(
            reports.cycle,
            status=Report.Status.PUBLISHED,
            name=f"Entity {n}",
            stype=StakeholderType.ACADEMIA,
            lines={"C1": "Policy.", "C7.HEALTH": "Telemedicine.", "C9": "Media literacy."},
        )
    assert len(get(client, "/api/v1/reports/?page_size=100").json()["results"]) == 12
    large = {path: _list_queries(client, path) for path in paths}
    assert large == small
    assert small["/api/v1/reports/?page_size=100"] <= 7  # stamp (2), state (2), count, page, lines


def test_etag_and_last_modified_answer_304_until_something_is_published(client, reports):
    first = get(client, "/api/v1/reports/")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert get(client, "/api/v1/reports/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert get(client, "/api/v1/reports/", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert get(client, "/api/v1/reports/?language=ar", HTTP_IF_NONE_MATCH=etag).status_code == 200
    Report.objects.filter(pk=reports.accepted.pk).update(status=Report.Status.PUBLISHED)
    StatusChange.objects.create(
        report=reports.accepted,
        from_status="accepted",
        to_status="published",
        created_at=timezone.now() + timedelta(seconds=2),
    )
    cache.clear()  # what publishing does through the services (the public stamp is forgotten)
    again = get(client, "/api/v1/reports/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert again["ETag"] != etag
    assert reports.accepted.pk in ids(again)


def test_the_api_is_read_only(client, reports):
    for method in (client.post, client.put, client.patch, client.delete):
        response = method(f"/api/v1/reports/{reports.kenya.pk}/", data="{}", content_type="application/json")
        assert response.status_code == 405
    assert client.post("/api/v1/reports/", data="{}", content_type="application/json").status_code == 405


def test_staff_without_a_second_factor_read_it_as_anyone_does(client, reports):
    staff = factories.UserFactory.create(email="secretariat@example.org", is_staff=True)
    client.force_login(staff)
    response = get(client, "/api/v1/reports/")
    assert response.status_code == 200
    assert ids(response) == {reports.kenya.pk, reports.egypt.pk}
    assert "no-store" in response["Cache-Control"]  # a logged-in person's answers are never kept
    assert client.get("/data/").status_code == 200


def test_too_many_requests_answer_429_with_when_to_come_back(client, reports, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "3/min"}}
    for _ in range(3):
        assert get(client, "/api/v1/cycles/", REMOTE_ADDR="198.51.100.7").status_code == 200
    refused = get(client, "/api/v1/cycles/", REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert get(client, "/api/v1/cycles/", REMOTE_ADDR="198.51.100.8").status_code == 200


def test_action_lines_with_their_titles_in_six_languages_and_facilitators(client, reference_data):
    lines = get(client, "/api/v1/action-lines/").json()
    codes = [line["code"] for line in lines]
    assert codes[:2] == ["C1", "C2"]
    assert "C7.GOV" in codes
    assert "C11" in codes
    one = get(client, "/api/v1/action-lines/C7.GOV/").json()
    assert one["parent"] == "C7"
    c1 = get(client, "/api/v1/action-lines/C1/").json()
    assert set(c1["titles"]) == {"en", "fr", "es", "ar", "zh-hans", "ru"}
    assert c1["titles"]["en"] == c1["title"]
    assert c1["titles"]["fr"] != c1["titles"]["en"]
    assert {f["role"] for f in c1["facilitators"]} >= {"lead"}


def test_cycles_count_their_published_reports(client, reports):
    [cycle] = [c for c in get(client, "/api/v1/cycles/").json() if c["slug"] == "wsis20-api"]
    assert cycle["published_reports"] == 2
    assert cycle["data_download"].endswith("/data/wsis20-api/wsis-reports-wsis20-api.zip")


def test_the_openapi_document_is_valid_and_lists_every_endpoint(client, reports):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/reports/",
        "/api/v1/reports/{id}/",
        "/api/v1/entities/",
        "/api/v1/entities/{id}/",
        "/api/v1/action-lines/",
        "/api/v1/action-lines/{code}/",
        "/api/v1/cycles/",
        "/api/v1/cycles/{slug}/",
    }
    for path, item in schema["paths"].items():
        assert set(item) == {"get"}, path  # read-only
    parameters = {p["name"] for p in schema["paths"]["/api/v1/reports/"]["get"]["parameters"]}
    assert parameters >= {
        "cycle",
        "action_line",
        "stakeholder_type",
        "region",
        "country",
        "language",
        "q",
        "page",
    }
    detail = schema["components"]["schemas"]["ReportDetail"]["properties"]
    assert {"sections", "progress", "success_stories", "indicators"} <= set(detail)


def test_the_browsable_api_renders_for_a_browser(client, reports):
    response = client.get("/api/v1/reports/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "Kenya Ministry of ICT" in response.content.decode()
    assert SECRET_TEXT not in response.content.decode()


def test_the_same_address_is_answered_from_the_cache_until_something_is_published(
    client, reports, django_capture_on_commit_callbacks
):
    first = get(client, "/api/v1/reports/")
    with CaptureQueriesContext(connection) as queries:
        again = get(client, "/api/v1/reports/")
    assert len(queries) == 0  # the state and the answer both come from the cache
    assert again.json() == first.json()
    staff = factories.UserFactory.create(email="reviewer@example.org", is_staff=True)
    newcomer = make_report(reports.cycle, status=Report.Status.ACCEPTED, name="Newly Published Entity")
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transition(report=newcomer, to_status=Report.Status.PUBLISHED, actor=staff)
    assert newcomer.pk in ids(get(client, "/api/v1/reports/"))
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transition(report=newcomer, to_status=Report.Status.ACCEPTED, actor=staff)
    assert newcomer.pk not in ids(get(client, "/api/v1/reports/"))

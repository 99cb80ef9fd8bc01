"""Public pages answer conditional requests, and a publication makes every cached page stale."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports import published, services

from .conftest import make_report

pytestmark = pytest.mark.django_db


def test_etag_and_last_modified_give_304_until_something_is_published(client, cycle, publish):
    publish(make_report(cycle=cycle, name="First Ministry", summary="x"))
    first = client.get(reverse("public:reports"))
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    assert "must-revalidate" in first["Cache-Control"]
    again = client.get(reverse("public:reports"), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert client.get(reverse("public:reports"), HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    publish(make_report(cycle=cycle, name="Second Ministry", summary="x"))
    after = client.get(reverse("public:reports"), HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200
    assert "Second Ministry" in after.content.decode()
    assert after["ETag"] != etag


def test_a_cached_page_is_served_without_searching_again(
    client, cycle, publish, django_assert_max_num_queries
):
    publish(make_report(cycle=cycle, name="Cached Ministry", summary="broadband"))
    client.get(reverse("public:reports"), {"q": "broadband", "region": "africa"})
    with django_assert_max_num_queries(3):  # the session and user at most: no search, no counts
        body = client.get(reverse("public:reports"), {"q": "broadband", "region": "africa"}).content.decode()
    assert "Cached Ministry" in body


def test_entity_rename_reaches_the_pages(client, cycle, publish, staff):
    report = publish(make_report(cycle=cycle, name="Old Name Agency", summary="x"))
    client.get(reverse("public:reports"))
    services.entity_correct(entity=report.entity, actor=staff, name="New Name Agency")
    published.public_stamp_forget()  # the stamp is kept a few minutes; a new one sees the entity's change
    assert "New Name Agency" in client.get(reverse("public:reports")).content.decode()


def test_sitemap_lists_list_pages_reports_and_action_lines(client, cycle, publish):
    report = publish(make_report(cycle=cycle, name="Mapped Ministry", summary="x"))
    body = client.get("/sitemap.xml").content.decode()
    for path in (
        reverse("public:reports"),
        reverse("public:action_lines"),
        reverse("public:action_line", args=["C7.GOV"]),
    ):
        assert f"http://testserver{path}</loc>" in body
    assert f"http://testserver{reverse('public:report', args=[report.pk])}</loc>" in body


def test_pages_have_a_title_and_description(client, cycle, publish):
    report = publish(make_report(cycle=cycle, name="Described Ministry", summary="x"))
    body = client.get(reverse("public:report", args=[report.pk])).content.decode()
    assert "<title>Described Ministry — " in body
    assert '<meta name="description" content="The report of Described Ministry (Government, Kenya)' in body


def test_searches_and_filters_are_not_indexed_but_the_list_is(client, cycle, publish):
    publish(make_report(cycle=cycle, name="Indexed Ministry", summary="x"))
    robots = '<meta name="robots" content="noindex, follow">'
    assert robots not in client.get(reverse("public:reports")).content.decode()
    assert robots in client.get(reverse("public:reports"), {"q": "x"}).content.decode()
    assert robots in client.get(reverse("public:reports"), {"region": "africa"}).content.decode()

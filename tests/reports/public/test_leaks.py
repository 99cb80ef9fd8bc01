"""Only what is meant to be public: a report that is not published (draft, submitted, accepted,
or published and then taken back) is on no list, page, search result, sitemap or PDF, and the
follow-up contact of a published one is nowhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports import services
from reports.models import Report

from .conftest import make_report

pytestmark = pytest.mark.django_db
S = Report.Status
SECRET = "Zanzibarquokka"  # a word only the unpublished report contains


@pytest.fixture
def shown(cycle, publish):
    """A published report, so that every page has something to show."""
    return publish(make_report(cycle=cycle, name="Published Ministry", summary="Open data for all."))


def _withdrawn(report: Report, publish, staff, capture) -> Report:
    report = publish(report)
    with capture(execute=True):
        services.report_transition(report=report, to_status=S.ACCEPTED, actor=staff)
    return Report.objects.get(pk=report.pk)


@pytest.fixture(params=["draft", "submitted", "accepted", "withdrawn"])
def hidden(request, cycle, publish, staff, django_capture_on_commit_callbacks, shown):
    report = make_report(cycle=cycle, name=f"Hidden Agency {SECRET}", summary=f"Our {SECRET} programme.")
    if request.param == "withdrawn":
        return _withdrawn(report, publish, staff, django_capture_on_commit_callbacks)
    return publish(report, request.param)


def test_unpublished_report_is_not_listed(client, hidden):
    body = client.get(reverse("public:reports")).content.decode()
    assert "Published Ministry" in body
    assert SECRET not in body


def test_unpublished_report_is_not_found_by_search(client, hidden):
    page = reverse("public:report", args=[hidden.pk])
    for query in (SECRET, "Hidden Agency", "programme"):
        response = client.get(reverse("public:reports"), {"q": query})
        body = response.content.decode()
        assert response.status_code == 200
        assert "0 published reports" in body
        assert f'href="{page}"' not in body
    assert 'href="{page}"' not in client.get(reverse("public:reports"), {"q": "Open data"}).content.decode()


def test_unpublished_report_page_and_pdf_answer_404(client, hidden):
    assert client.get(reverse("public:report", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("public:report_pdf", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("public:version", args=[hidden.pk, 1])).status_code == 404


def test_unpublished_report_is_not_in_the_sitemap(client, hidden, shown):
    body = client.get("/sitemap.xml").content.decode()
    assert reverse("public:report", args=[shown.pk]) in body
    assert reverse("public:report", args=[hidden.pk]) not in body


def test_unpublished_report_is_not_among_an_action_lines_contributions(
    client, cycle, publish, staff, django_capture_on_commit_callbacks
):
    publish(make_report(cycle=cycle, name="Published Ministry", summary="x", lines={"C2": "Open fibre."}))
    for status in ("draft", "submitted", "accepted"):
        publish(
            make_report(cycle=cycle, name=f"Hidden {status} {SECRET}", summary="x", lines={"C2": SECRET}),
            status,
        )
    body = client.get(reverse("public:action_line", args=["C2"])).content.decode()
    assert "Open fibre." in body
    assert SECRET not in body
    assert "1 published report addresses this line." in body


def test_the_contact_is_never_public(client, shown):
    for page in (
        client.get(reverse("public:reports")),
        client.get(reverse("public:report", args=[shown.pk])),
    ):
        body = page.content.decode()
        assert "Published Ministry" in body
        assert "focal.point@example.org" not in body
        assert "Private Person Name" not in body
    for query in ("focal.point@example.org", "Private Person Name"):  # the contact is not searched either
        body = client.get(reverse("public:reports"), {"q": query}).content.decode()
        assert "0 published reports" in body
        assert "Published Ministry" not in body
    version = shown.published_versions.get()
    assert version.content["contact"] == {}
    assert "focal.point" not in version.search_text


def test_a_withdrawn_report_leaves_pages_that_were_cached(
    client, cycle, publish, staff, django_capture_on_commit_callbacks
):
    report = publish(make_report(cycle=cycle, name="Soon Withdrawn", summary=f"About {SECRET}."))
    assert "Soon Withdrawn" in client.get(reverse("public:reports")).content.decode()
    assert client.get(reverse("public:report", args=[report.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transition(report=report, to_status=S.ACCEPTED, actor=staff)
    assert "Soon Withdrawn" not in client.get(reverse("public:reports")).content.decode()
    assert client.get(reverse("public:report", args=[report.pk])).status_code == 404
    assert "0 published reports" in client.get(reverse("public:reports"), {"q": SECRET}).content.decode()

"""A report amended after publication: the new version is shown, the earlier one stays readable
with what changed; publishing again without a new submission makes no new version."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports import services
from reports.models import Report
from tests import factories

from .conftest import make_report

pytestmark = pytest.mark.django_db
S = Report.Status


def amend(report: Report, *, staff, capture, summary: str) -> Report:
    """Taken back for changes, resubmitted with a new summary, accepted and published again."""
    with capture(execute=True):
        services.report_transition(report=report, to_status=S.ACCEPTED, actor=staff)
        services.report_transition(
            report=Report.objects.get(pk=report.pk), to_status=S.UNDER_REVIEW, actor=staff
        )
        services.report_request_changes(
            report=Report.objects.get(pk=report.pk), actor=staff, message="Update it."
        )
        Report.objects.filter(pk=report.pk).update(executive_summary=summary)
        services.submission_record(
            report=Report.objects.get(pk=report.pk), user=staff, at=report.cycle.opens_at
        )
        services.report_transition(report=Report.objects.get(pk=report.pk), to_status=S.ACCEPTED, actor=staff)
        services.report_transition(
            report=Report.objects.get(pk=report.pk), to_status=S.PUBLISHED, actor=staff
        )
    return Report.objects.get(pk=report.pk)


def test_an_amended_report_shows_its_new_version_and_keeps_the_earlier_one(
    client, cycle, publish, staff, django_capture_on_commit_callbacks
):
    report = publish(make_report(cycle=cycle, name="Amending Ministry", summary="We connected 100 schools."))
    report = amend(
        report, staff=staff, capture=django_capture_on_commit_callbacks, summary="We connected 250 schools."
    )
    page = client.get(reverse("public:report", args=[report.pk])).content.decode()
    assert "We connected 250 schools." in page
    assert "We connected 100 schools." not in page
    assert reverse("public:version", args=[report.pk, 1]) in page
    earlier = client.get(reverse("public:version", args=[report.pk, 1]))
    body = earlier.content.decode()
    assert earlier.status_code == 200
    assert "We connected 100 schools." in body
    assert "What changed from version 1 to version 2" in body
    assert "<del>100</del>" in body
    assert "<ins>250</ins>" in body
    assert client.get(reverse("public:version", args=[report.pk, 3])).status_code == 404
    # Only the current version is searched.
    listing = client.get(reverse("public:reports"), {"q": "250"}).content.decode()
    assert "1 published report" in listing


def test_publishing_again_unchanged_makes_no_new_version(
    cycle, publish, staff, django_capture_on_commit_callbacks
):
    report = publish(make_report(cycle=cycle, name="Back and Forth", summary="Same."))
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transition(report=report, to_status=S.ACCEPTED, actor=staff)
        assert report.published_versions.get().withdrawn_at is not None
        services.report_transition(
            report=Report.objects.get(pk=report.pk), to_status=S.PUBLISHED, actor=staff
        )
    version = report.published_versions.get()
    assert (version.number, version.is_current, version.withdrawn_at) == (1, True, None)


def test_the_published_email_links_the_public_page(
    cycle, publish, staff, mailoutbox, django_capture_on_commit_callbacks
):
    report = make_report(cycle=cycle, name="Mailed Ministry", summary="x")
    factories.MembershipFactory.create(
        entity=report.entity, user=factories.UserFactory.create(email="member@example.org")
    )
    publish(report)
    published = [m for m in mailoutbox if "published" in m.subject.lower()]
    assert len(published) == 1
    assert "http://testserver" not in published[0].body
    assert reverse("public:report", args=[report.pk]) in published[0].body

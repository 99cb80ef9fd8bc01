"""The review workflow through the admin's buttons: each move calls the service, leaves an
audit entry, and says what happened; refused moves say why and change nothing."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from reports.models import Delivery, Report, StatusChange
from tests import factories

from .conftest import fill, submit_directly

pytestmark = pytest.mark.django_db
S = Report.Status


def move(client, report, to_status):
    return client.post(reverse("admin:reports_report_move", args=[report.pk, to_status]), follow=True)


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)] or [
        str(m) for m in response.context["messages"]
    ]


def test_start_review_accept_publish_and_back_leave_an_audit_trail(
    secretariat_client, secretariat_user, submitted_report
):
    for to_status in (S.UNDER_REVIEW, S.ACCEPTED, S.PUBLISHED, S.ACCEPTED):
        response = move(secretariat_client, submitted_report, to_status)
        assert response.status_code == 200
        submitted_report.refresh_from_db()
        assert submitted_report.status == to_status
    trail = list(
        StatusChange.objects.filter(report=submitted_report)
        .exclude(to_status=S.SUBMITTED)
        .order_by("created_at", "pk")
    )
    assert [(c.from_status, c.to_status) for c in trail] == [
        (S.SUBMITTED, S.UNDER_REVIEW),
        (S.UNDER_REVIEW, S.ACCEPTED),
        (S.ACCEPTED, S.PUBLISHED),
        (S.PUBLISHED, S.ACCEPTED),
    ]
    assert {c.actor for c in trail} == {secretariat_user}
    page = secretariat_client.get(reverse("admin:reports_report_change", args=[submitted_report.pk]))
    history = page.content.decode().split('id="history"')[1]
    assert "Published → Accepted" in history
    assert "Rita Reviewer" in history


def test_the_buttons_offer_only_the_moves_the_workflow_allows(secretariat_client, submitted_report):
    url = reverse("admin:reports_report_change", args=[submitted_report.pk])
    page = secretariat_client.get(url).content.decode()
    assert "Start review" in page
    assert "Accept" in page
    assert "Request changes" in page
    assert "Publish" not in page
    move(secretariat_client, submitted_report, S.UNDER_REVIEW)
    move(secretariat_client, submitted_report, S.ACCEPTED)
    page = secretariat_client.get(url).content.decode()
    assert "Publish" in page
    assert "Reopen review" in page
    assert "Request changes" not in page


def test_an_illegal_move_is_refused_with_the_services_message(secretariat_client, report):
    response = move(secretariat_client, report, S.ACCEPTED)
    assert response.status_code == 200
    assert "A report that is “Draft” cannot be moved to “Accepted”." in texts(response)
    report.refresh_from_db()
    assert report.status == S.DRAFT
    assert not StatusChange.objects.exclude(to_status=S.SUBMITTED).exists()  # only the submission's


def test_the_secretariat_cannot_submit_for_the_entity(secretariat_client, report):
    response = move(secretariat_client, report, S.SUBMITTED)
    assert "Only the entity can submit its report." in texts(response)
    report.refresh_from_db()
    assert report.status == S.DRAFT


def test_an_unknown_move_is_not_found(secretariat_client, submitted_report):
    url = reverse("admin:reports_report_move", args=[submitted_report.pk, "deleted"])
    assert secretariat_client.post(url).status_code == 404


def test_a_move_needs_a_post(secretariat_client, submitted_report):
    url = reverse("admin:reports_report_move", args=[submitted_report.pk, S.UNDER_REVIEW])
    assert secretariat_client.get(url).status_code == 302
    submitted_report.refresh_from_db()
    assert submitted_report.status == S.SUBMITTED


def test_requesting_changes_emails_the_members_reopens_the_report_and_is_audited(
    secretariat_client, submitted_report, owner, mailbox, django_capture_on_commit_callbacks
):
    colleague = factories.MembershipFactory.create(
        entity=submitted_report.entity, role="editor", user__email="colleague@ministry.example.org"
    ).user
    message = "Please add the sources of your indicators <and> expand C5."
    url = reverse("admin:reports_report_request_changes", args=[submitted_report.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = secretariat_client.post(url, {"message": message}, follow=True)
    assert response.status_code == 200
    submitted_report.refresh_from_db()
    assert submitted_report.status == S.CHANGES_REQUESTED
    assert submitted_report.changes_requested_message == message
    assert submitted_report.is_editable_by_stakeholders
    change = StatusChange.objects.get(report=submitted_report, to_status=S.CHANGES_REQUESTED)
    assert (change.to_status, change.message) == (S.CHANGES_REQUESTED, message)
    assert any("Changes requested" in t for t in texts(response))
    # The page shows the message, escaped.
    assert "&lt;and&gt;" in response.content.decode()
    # The e-mail reaches every member of the entity with the message.
    recipients = {address for m in mailbox.messages for address in m.envelope_to}
    assert {owner.email, colleague.email} <= recipients
    assert all(message in m.text for m in mailbox.messages)


def test_requesting_changes_without_a_message_is_refused_and_keeps_the_report(
    secretariat_client, submitted_report
):
    url = reverse("admin:reports_report_request_changes", args=[submitted_report.pk])
    response = secretariat_client.post(url, {"message": "   \n  "})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Say what should be changed: mark at least one section “Needs changes” with a comment" in page
    assert 'aria-invalid="true"' in page
    submitted_report.refresh_from_db()
    assert submitted_report.status == S.SUBMITTED
    assert not StatusChange.objects.exclude(to_status=S.SUBMITTED).exists()  # only the submission's
    assert not Delivery.objects.exists()


def test_requesting_changes_of_a_draft_is_refused_and_the_typed_message_is_kept(secretariat_client, report):
    url = reverse("admin:reports_report_request_changes", args=[report.pk])
    response = secretariat_client.post(url, {"message": "Complete section IV."})
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be moved to “Changes requested”" in page
    report.refresh_from_db()
    assert report.status == S.DRAFT


def test_bulk_start_review_moves_the_submitted_and_names_the_refused(
    secretariat_client, cycle, reference_data
):
    submitted = []
    for n in range(3):
        r = fill(
            factories.ReportFactory.create(
                cycle=cycle, entity=factories.EntityFactory.create(name=f"Submitted {n}")
            )
        )
        submit_directly(r)
        submitted.append(r)
    draft = factories.ReportFactory.create(
        cycle=cycle, entity=factories.EntityFactory.create(name="Still a draft")
    )
    response = secretariat_client.post(
        reverse("admin:reports_report_changelist"),
        {"action": "start_review", "_selected_action": [r.pk for r in [*submitted, draft]]},
        follow=True,
    )
    shown = texts(response)
    assert "3 reports moved to “Under review”." in shown
    assert any("1 report could not be moved to “Under review”" in t and "Still a draft" in t for t in shown)
    assert set(Report.objects.filter(status=S.UNDER_REVIEW).values_list("pk", flat=True)) == {
        r.pk for r in submitted
    }
    assert Report.objects.get(pk=draft.pk).status == S.DRAFT


def test_bulk_accept(secretariat_client, submitted_report):
    response = secretariat_client.post(
        reverse("admin:reports_report_changelist"),
        {"action": "accept", "_selected_action": [submitted_report.pk]},
        follow=True,
    )
    assert "1 report moved to “Accepted”." in texts(response)


def test_retrying_a_failed_delivery_hands_it_back_to_the_pipeline(secretariat_client, submitted_report):
    submission = submitted_report.submissions.get()
    delivery = Delivery.objects.create(
        report=submitted_report,
        submission=submission,
        kind=Delivery.Kind.SECRETARIAT_EMAIL,
        status=Delivery.Status.FAILED,
        attempts=5,
        last_error="550 5.1.1 Mailbox unavailable",
    )
    page = secretariat_client.get(reverse("admin:reports_report_change", args=[submitted_report.pk]))
    assert "550 5.1.1 Mailbox unavailable" in page.content.decode()
    url = reverse("admin:reports_report_retry_delivery", args=[submitted_report.pk, delivery.pk])
    response = secretariat_client.post(url, follow=True)
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status != Delivery.Status.FAILED
    assert delivery.last_error == ""
    assert any("queued again" in t for t in texts(response))


def test_a_delivery_of_another_report_cannot_be_retried_through_this_one(
    secretariat_client, submitted_report, cycle
):
    other = factories.ReportFactory.create(cycle=cycle)
    delivery = Delivery.objects.create(report=other, kind=Delivery.Kind.RENDER_PDF, status="failed")
    url = reverse("admin:reports_report_retry_delivery", args=[submitted_report.pk, delivery.pk])
    assert secretariat_client.post(url).status_code == 404

"""The entity recalls a submission before review starts; the entity's members are told by e-mail
when the secretariat accepts and publishes their report."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports import errors, services
from reports.models import Delivery, Membership, Report, SecurityEvent, StatusChange, Submission
from reports.permissions import secretariat_group_ensure
from tests import factories
from tests.accounts import staff_client

pytestmark = pytest.mark.django_db

S = Report.Status


@pytest.fixture
def owner(report):
    return factories.MembershipFactory.create(entity=report.entity, user__email="owner@example.org").user


@pytest.fixture
def editor(report):
    return factories.MembershipFactory.create(
        entity=report.entity, role=Membership.Role.EDITOR, user__email="editor@example.org"
    ).user


@pytest.fixture
def staff():
    return factories.UserFactory.create(email="secretariat@example.org", is_staff=True)


@pytest.fixture
def submitted(report, fill_report, owner):
    fill_report(report)
    return services.report_submit(report=report, user=owner)


# --- The service -------------------------------------------------------------------------------------


def test_an_editor_recalls_a_submitted_report_and_the_submission_is_kept(submitted, editor):
    report = services.report_recall(report=submitted.report, user=editor)
    assert report.status == S.DRAFT
    assert report.is_editable_by_stakeholders
    change = StatusChange.objects.filter(report=report).latest("created_at", "pk")
    assert (change.from_status, change.to_status, change.actor) == (S.SUBMITTED, S.DRAFT, editor)
    kept = Submission.objects.get(pk=submitted.pk)
    assert kept.content == submitted.content
    assert kept.number == 1


def test_resubmitting_after_a_recall_is_submission_2(submitted, owner):
    services.report_recall(report=submitted.report, user=owner)
    second = services.report_submit(report=submitted.report, user=owner)
    assert second.number == 2
    assert list(Submission.objects.filter(report=submitted.report).values_list("number", flat=True)) == [1, 2]


@pytest.mark.parametrize("status", [S.UNDER_REVIEW, S.ACCEPTED])
def test_a_report_under_review_cannot_be_recalled(submitted, owner, staff, status):
    services.report_transition(report=submitted.report, to_status=status, actor=staff)
    with pytest.raises(errors.NotEditable, match="already started reviewing"):
        services.report_recall(report=submitted.report, user=owner)
    submitted.report.refresh_from_db()
    assert submitted.report.status == status


def test_a_draft_has_nothing_to_recall(report, owner):
    with pytest.raises(errors.NotEditable, match="nothing to recall"):
        services.report_recall(report=report, user=owner)


def test_a_stranger_cannot_recall(submitted):
    with pytest.raises(errors.MembershipError):
        services.report_recall(report=submitted.report, user=factories.UserFactory.create())
    submitted.report.refresh_from_db()
    assert submitted.report.status == S.SUBMITTED


def test_the_secretariat_cannot_move_a_report_back_to_draft(submitted, staff):
    with pytest.raises(errors.IllegalTransition):
        services.report_transition(report=submitted.report, to_status=S.DRAFT, actor=staff)


def test_recalling_an_answer_to_a_changes_request_reopens_the_changes_request(submitted, owner, staff):
    services.report_request_changes(report=submitted.report, actor=staff, message="Add C7 stories.")
    due = Report.objects.get(pk=submitted.report_id).changes_due_at
    services.report_submit(report=submitted.report, user=owner)
    report = services.report_recall(report=submitted.report, user=owner)
    assert report.status == S.CHANGES_REQUESTED
    assert report.changes_requested_message == "Add C7 stories."
    assert report.changes_due_at == due
    assert services.report_submit(report=report, user=owner).number == 3


# --- The pages -----------------------------------------------------------------------------------------


def test_the_submission_page_offers_the_recall_and_the_confirmed_post_recalls(client, submitted, editor):
    client.force_login(editor)
    page = client.get(reverse("reports:submitted", args=[submitted.report_id]), follow=True)
    recall_url = reverse("reports:recall", args=[submitted.report_id])
    assert f'action="{recall_url}"' in page.content.decode()

    unconfirmed = client.post(recall_url, follow=True)
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    assert Report.objects.get(pk=submitted.report_id).status == S.SUBMITTED

    response = client.post(recall_url, {"confirm": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reports:workspace", args=[submitted.report_id])
    assert "Your submission is recalled" in response.content.decode()
    assert Report.objects.get(pk=submitted.report_id).status == S.DRAFT
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.REVIEW)
    assert event.actor == editor
    assert event.detail == {"from_status": S.SUBMITTED, "to_status": S.DRAFT, "recalled": True}


def test_once_review_started_the_page_offers_no_recall_and_a_post_is_refused(client, submitted, owner, staff):
    services.report_transition(report=submitted.report, to_status=S.UNDER_REVIEW, actor=staff)
    client.force_login(owner)
    recall_url = reverse("reports:recall", args=[submitted.report_id])
    page = client.get(reverse("reports:submission", args=[submitted.pk]))
    assert recall_url not in page.content.decode()
    response = client.post(recall_url, {"confirm": "yes"}, follow=True)
    assert "already started reviewing it" in response.content.decode()
    assert Report.objects.get(pk=submitted.report_id).status == S.UNDER_REVIEW


def test_the_secretariat_sees_the_recall_in_the_reports_history(client, submitted, editor):
    client.force_login(editor)
    client.post(
        reverse("reports:recall", args=[submitted.report_id]), {"confirm": "yes"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    client.logout()
    reviewer = factories.UserFactory.create(email="reviewer@wsis.example.org", is_staff=True)
    reviewer.groups.add(secretariat_group_ensure())
    staff_client(client, reviewer)
    page = client.get(reverse("admin:reports_report_change", args=[submitted.report_id]))
    history = page.content.decode().split('id="history"')[1]
    assert "Submitted → Draft" in history
    assert "editor@example.org" in history
    assert "Recalled by the entity before review." in history  # in the portal's language


def test_another_entity_cannot_recall(client, submitted):
    client.force_login(factories.MembershipFactory.create().user)
    response = client.post(reverse("reports:recall", args=[submitted.report_id]), {"confirm": "yes"})
    assert response.status_code == 404
    assert Report.objects.get(pk=submitted.report_id).status == S.SUBMITTED


# --- E-mails on acceptance and publication ------------------------------------------------------------


def test_acceptance_and_publication_each_email_the_members_once_in_the_reports_language(
    submitted, owner, editor, staff, mailbox, django_capture_on_commit_callbacks
):
    report = services.report_set_language(report=submitted.report, language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transition(report=report, to_status=S.ACCEPTED, actor=staff)
    [accepted] = mailbox.messages
    assert sorted(accepted.envelope_to) == ["editor@example.org", "owner@example.org"]
    # Words shared with the other notices, already translated (the new sentences are translated later).
    assert "Pour toute question\xa0: wsis-info@itu.int" in accepted.text
    mailbox.reset()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transition(report=report, to_status=S.PUBLISHED, actor=staff)
    [published] = mailbox.messages
    assert sorted(published.envelope_to) == ["editor@example.org", "owner@example.org"]
    assert "Pour toute question\xa0: wsis-info@itu.int" in published.text
    assert reverse("reports:submission_pdf", args=[submitted.pk]) in published.text
    notices = Delivery.objects.filter(kind=Delivery.Kind.NOTICE_EMAIL).order_by("pk")
    assert [(row.context, row.status) for row in notices] == [
        ({"status": S.ACCEPTED}, Delivery.Status.DONE),
        ({"status": S.PUBLISHED}, Delivery.Status.DONE),
    ]


def test_the_acceptance_email_in_english(
    submitted, owner, staff, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transition(report=submitted.report, to_status=S.ACCEPTED, actor=staff)
    [mail] = mailbox.messages
    assert mail.subject == f"Your WSIS+20 report is accepted — {submitted.report.entity.name}"
    assert "has accepted the report" in mail.text
    assert "(submission no. 1)" in mail.text


def test_publishing_again_after_unpublishing_does_not_email_twice(
    submitted, owner, staff, mailbox, django_capture_on_commit_callbacks
):
    report = submitted.report
    with django_capture_on_commit_callbacks(execute=True):
        for status in (S.ACCEPTED, S.PUBLISHED, S.ACCEPTED, S.PUBLISHED):
            report = services.report_transition(report=report, to_status=status, actor=staff)
    assert [mail.subject.split(" — ")[0] for mail in mailbox.messages] == [
        "Your WSIS+20 report is accepted",
        "Your WSIS+20 report is published",
    ]

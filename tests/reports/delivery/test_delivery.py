"""Delivery as data, in this process against the loopback SMTP server: rows created with the
submission, the PDF stored on it, e-mails after the PDF, retries, failures, the sweeper, the
download of the stored PDF. (The same through Redis and a worker process: tests/integration.)"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from reports import errors, services
from reports.delivery import runner as delivery
from reports.delivery import submission_pdf
from reports.delivery import tasks as delivery_tasks
from reports.delivery.runner import Outcome, deliveries_sweep, delivery_run
from reports.models import Delivery, Invitation, Membership, Submission
from tests import factories
from tests.accounts import staff_client
from tests.services import free_port

pytestmark = pytest.mark.django_db

K = Delivery.Kind
St = Delivery.Status


@pytest.fixture
def owner(report):
    return factories.MembershipFactory.create(entity=report.entity, user__email="owner@example.org").user


@pytest.fixture
def editor(report):
    return factories.MembershipFactory.create(
        entity=report.entity, role=Membership.Role.EDITOR, user__email="editor@example.org"
    ).user


@pytest.fixture
def submitted(report, fill_report, owner, editor, django_capture_on_commit_callbacks):
    """A submitted report whose delivery rows exist; nothing has been published yet."""
    fill_report(report)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = services.report_submit(report=report, user=editor)
    assert len(callbacks) == 1  # only the PDF is handed to the broker on commit
    return submission


def rows(submission):
    return {row.kind: row for row in Delivery.objects.filter(submission=submission)}


def run(row) -> delivery.RunResult:
    return delivery_run(delivery_id=row.pk)


# --- Rows -----------------------------------------------------------------------------------------------


def test_submit_creates_the_delivery_rows_in_the_same_transaction(submitted):
    by_kind = rows(submitted)
    assert set(by_kind) == {K.RENDER_PDF, K.SECRETARIAT_EMAIL, K.RECEIPT_EMAIL}
    assert all(row.status == St.QUEUED for row in by_kind.values())
    assert by_kind[K.RENDER_PDF].enqueued_at is not None
    assert by_kind[K.SECRETARIAT_EMAIL].enqueued_at is None  # waits for the PDF
    assert by_kind[K.SECRETARIAT_EMAIL].recipients == ["wsis-info@itu.int"]
    # The submitter (an editor here) and the entity's owners; other editors are not copied.
    assert by_kind[K.RECEIPT_EMAIL].recipients == ["editor@example.org", "owner@example.org"]


def test_the_secretariat_address_falls_back_to_the_setting(report, fill_report, owner, settings):
    settings.SECRETARIAT_EMAIL = "fallback@itu.example.org"
    report.cycle.secretariat_email = ""
    report.cycle.save()
    fill_report(report)
    submission = services.report_submit(report=report, user=owner)
    assert rows(submission)[K.SECRETARIAT_EMAIL].recipients == ["fallback@itu.example.org"]


def test_a_refused_submission_leaves_no_rows(report, owner):
    with pytest.raises(errors.SubmissionRefused):
        services.report_submit(report=report, user=owner)
    assert not Delivery.objects.exists()


def test_every_row_has_exactly_the_cause_its_kind_needs(report):
    invitation = Invitation.objects.create(
        entity=report.entity, email="new@example.org", expires_at=timezone.now() + timedelta(days=14)
    )
    Delivery.objects.create(invitation=invitation, kind=K.INVITATION_EMAIL, recipients=["new@example.org"])
    refused: list[dict[str, Any]] = [
        {"kind": K.INVITATION_EMAIL},  # no invitation
        {"kind": K.INVITATION_EMAIL, "invitation": invitation},  # a second e-mail for it
        {"kind": K.INVITATION_EMAIL, "invitation": invitation, "report": report},
        {"kind": K.COMPILATION_EMAIL, "report": report},  # no compilation
        {"kind": K.RECEIPT_EMAIL, "invitation": invitation},  # a submission's e-mail without its report
    ]
    for fields in refused:
        with pytest.raises(IntegrityError), transaction.atomic():
            Delivery.objects.create(**fields)


# --- The whole chain inline (no broker: the embedded default) --------------------------------------------


def test_without_a_broker_submit_renders_and_mails_inline(
    report, fill_report, owner, mailbox, django_capture_on_commit_callbacks, settings
):
    fill_report(report)
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.report_submit(report=report, user=owner)

    submission.refresh_from_db()
    assert submission.pdf.name.endswith(".pdf")
    assert submission.pdf_pages is not None
    assert submission.pdf_pages > 20
    assert submission.pdf_page_map["covered"]
    assert {row.status for row in Delivery.objects.all()} == {St.DONE}

    [to_secretariat] = mailbox.to("wsis-info@itu.int")
    assert report.entity.name in to_secretariat.subject
    assert "submission 1" in to_secretariat.subject
    text = to_secretariat.text
    for fact in ("Government", "Kenya", "Africa", "No. 1", "C7. E-Health", "Action Lines covered (19)"):
        assert fact in text
    assert f"{settings.SITE_URL}/admin/reports/report/{report.pk}/change/" in text
    [(name, mimetype, data)] = to_secretariat.attachments
    assert mimetype == "application/pdf"
    assert name == delivery.submission_pdf_filename(submission)
    assert len(PdfReader(io.BytesIO(data)).pages) == submission.pdf_pages
    assert to_secretariat.message["Reply-To"] == "focal.point@example.org"

    [receipt] = mailbox.to("owner@example.org")
    assert "received" in receipt.subject
    assert reverse("reports:submission_pdf", args=[submission.pk]) in receipt.text
    assert receipt.attachments[0][1] == "application/pdf"
    assert len(mailbox.messages) == 2


# --- Running rows ---------------------------------------------------------------------------------------


def test_an_email_waits_for_its_pdf_without_spending_attempts(submitted, mailbox):
    email = rows(submitted)[K.SECRETARIAT_EMAIL]
    assert run(email).outcome is Outcome.SKIPPED
    email.refresh_from_db()
    assert (email.status, email.attempts) == (St.QUEUED, 0)
    assert mailbox.messages == []


def test_the_receipt_speaks_the_reports_language_and_the_secretariat_gets_english(
    report, fill_report, owner, mailbox, django_capture_on_commit_callbacks
):
    fill_report(report)
    report.language = "fr"
    report.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=False):
        submission = services.report_submit(report=report, user=owner)
    for kind in (K.RENDER_PDF, K.SECRETARIAT_EMAIL, K.RECEIPT_EMAIL):
        assert run(rows(submission)[kind]).outcome is Outcome.DONE
    (receipt,) = mailbox.to("owner@example.org")
    assert receipt.subject == f"Votre rapport SMSI+20 a bien été reçu — {report.entity.name}"
    (to_secretariat,) = mailbox.to("wsis-info@itu.int")
    assert to_secretariat.subject.startswith("WSIS+20 report submitted: ")


def test_the_same_row_run_twice_sends_one_email(submitted, mailbox):
    by_kind = rows(submitted)
    assert run(by_kind[K.RENDER_PDF]).outcome is Outcome.DONE
    assert run(by_kind[K.RENDER_PDF]).outcome is Outcome.SKIPPED  # rendered once
    assert run(by_kind[K.SECRETARIAT_EMAIL]).outcome is Outcome.DONE
    assert run(by_kind[K.SECRETARIAT_EMAIL]).outcome is Outcome.SKIPPED
    assert len(mailbox.to("wsis-info@itu.int")) == 1


def test_a_running_row_is_left_to_the_task_that_claimed_it(submitted, mailbox):
    by_kind = rows(submitted)
    run(by_kind[K.RENDER_PDF])
    claimed = delivery.delivery_claim(delivery_id=by_kind[K.SECRETARIAT_EMAIL].pk)
    assert claimed is not None
    assert claimed.status == St.RUNNING
    assert run(claimed).outcome is Outcome.SKIPPED
    assert mailbox.messages == []


def test_smtp_451_is_retried_with_growing_delays_then_delivered(submitted, mailbox, settings):
    settings.DELIVERY_RETRY_DELAY = 30
    by_kind = rows(submitted)
    run(by_kind[K.RENDER_PDF])
    email = by_kind[K.SECRETARIAT_EMAIL]
    mailbox.fail_next("451 4.3.0 Try again later", "451 4.3.0 Try again later")

    first = run(email)
    email.refresh_from_db()
    assert (first.outcome, first.retry_in, email.status, email.attempts) == (Outcome.RETRY, 30, St.QUEUED, 1)
    assert "451" in email.last_error
    assert email.enqueued_at > timezone.now() + timedelta(seconds=25)  # due when the retry is
    assert run(email).retry_in == 60
    assert run(email).outcome is Outcome.DONE
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (St.DONE, 3, "")
    assert len(mailbox.to("wsis-info@itu.int")) == 1
    assert mailbox.attempts == 3


def test_smtp_550_fails_the_row_with_the_servers_reason(submitted, mailbox):
    by_kind = rows(submitted)
    run(by_kind[K.RENDER_PDF])
    mailbox.fail_next("550 5.1.1 Mailbox unavailable")
    result = run(by_kind[K.SECRETARIAT_EMAIL])
    email = Delivery.objects.get(pk=by_kind[K.SECRETARIAT_EMAIL].pk)
    assert result.outcome is Outcome.FAILED
    assert email.status == St.FAILED
    assert email.finished_at
    assert email.last_error == "SMTP 550 5.1.1 Mailbox unavailable"
    assert mailbox.messages == []


def test_connection_errors_are_retried_until_the_attempts_run_out(submitted, mailbox, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 2
    by_kind = rows(submitted)
    run(by_kind[K.RENDER_PDF])
    settings.EMAIL_PORT = free_port()  # nobody listens: connection refused
    email = by_kind[K.SECRETARIAT_EMAIL]
    assert run(email).outcome is Outcome.RETRY
    assert run(email).outcome is Outcome.FAILED
    email.refresh_from_db()
    assert email.last_error.startswith("gave up after 2 attempts; last: ConnectionRefusedError")


def test_a_pdf_that_cannot_be_rendered_fails_its_emails_until_staff_retry(
    submitted, mailbox, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.DELIVERY_MAX_ATTEMPTS = 1
    by_kind = rows(submitted)

    def broken(*args, **kwargs):
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(submission_pdf, "report_pdf", broken)
    assert run(by_kind[K.RENDER_PDF]).outcome is Outcome.FAILED
    states = {row.kind: (row.status, row.last_error) for row in Delivery.objects.all()}
    assert states[K.RENDER_PDF] == (
        St.FAILED,
        "gave up after 1 attempts; last: RuntimeError: layout exploded",
    )
    assert states[K.SECRETARIAT_EMAIL][0] == St.FAILED
    assert states[K.SECRETARIAT_EMAIL][1].startswith("the PDF could not be rendered")

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        delivery.delivery_retry(delivery=by_kind[K.RENDER_PDF])
    assert {row.status for row in Delivery.objects.all()} == {St.DONE}
    assert len(mailbox.messages) == 2


# --- The sweeper -----------------------------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    jobs: list[tuple[int, str]] = []

    def record(batch):
        batch = list(batch)
        jobs.extend(batch)
        return len(batch)

    monkeypatch.setattr(delivery, "deliveries_publish", record)
    return jobs


def test_the_emails_are_handed_over_before_the_compilation_edition_is_rendered(
    submitted, monkeypatch, django_capture_on_commit_callbacks
):
    """On a deadline day the e-mails waiting for a PDF do not wait for its compilation edition as
    well: the render stores the PDF, hands its e-mails to the broker, then queues the edition."""
    handed: list[tuple[str, int]] = []

    def publish(task, pk, model=""):
        handed.append((task.name, pk))
        return True

    monkeypatch.setattr(delivery_tasks, "publish", publish)
    by_kind = rows(submitted)
    with django_capture_on_commit_callbacks(execute=True):
        assert run(by_kind[K.RENDER_PDF]).outcome is Outcome.DONE
    emails = {by_kind[K.RECEIPT_EMAIL].pk, by_kind[K.SECRETARIAT_EMAIL].pk}
    assert [name for name, _pk in handed] == [
        "reports.send_email",
        "reports.send_email",
        "reports.render_edition",
    ]
    assert {pk for name, pk in handed if name == "reports.send_email"} == emails
    assert handed[-1][1] == submitted.pk
    stored = Submission.objects.get(pk=submitted.pk)
    assert stored.pdf
    assert not submission_pdf.edition_is_current(stored)  # not rendered yet

    assert delivery.edition_run(submission_id=submitted.pk) == "done"  # what the task runs
    stored = Submission.objects.get(pk=submitted.pk)
    assert submission_pdf.edition_is_current(stored)
    edition = PdfReader(submission_pdf.edition_file(stored).open("rb"))
    assert len(edition.pages) == stored.pdf_page_map["edition"]["pages"]
    assert submitted.report.entity.name in edition.pages[0].extract_text()


def test_the_sweeper_hands_over_overdue_rows_but_not_emails_without_their_pdf(submitted, published):
    by_kind = rows(submitted)
    now = timezone.now()
    assert deliveries_sweep(now=now).requeued == 0  # the PDF row was enqueued just now

    later = now + timedelta(minutes=3)
    result = deliveries_sweep(now=later)
    assert (result.requeued, published) == (1, [(by_kind[K.RENDER_PDF].pk, K.RENDER_PDF)])
    assert Delivery.objects.get(pk=by_kind[K.RENDER_PDF].pk).enqueued_at == later

    delivery.submission_pdf_ensure(submission=submitted)  # the PDF exists, its e-mails were lost
    published.clear()
    deliveries_sweep(now=later + timedelta(minutes=3))
    assert sorted(kind for _pk, kind in published) == sorted(
        [K.RENDER_PDF, K.RECEIPT_EMAIL, K.SECRETARIAT_EMAIL]
    )


def test_the_sweeper_recovers_rows_left_running_by_a_dead_worker(submitted, published, settings):
    by_kind = rows(submitted)
    claimed = delivery.delivery_claim(delivery_id=by_kind[K.RENDER_PDF].pk)
    assert claimed is not None
    now = timezone.now()
    assert deliveries_sweep(now=now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)).recovered == 0

    much_later = now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + settings.DELIVERY_SWEEP_AFTER + 1)
    result = deliveries_sweep(now=much_later)
    assert result.recovered == 1
    assert (claimed.pk, K.RENDER_PDF) in published
    row = Delivery.objects.get(pk=claimed.pk)
    assert row.status == St.QUEUED
    assert "the worker stopped" in row.last_error
    assert run(row).outcome is Outcome.DONE  # the re-run claims it normally


def test_a_row_that_keeps_killing_its_worker_is_failed(submitted, published, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 1
    by_kind = rows(submitted)
    delivery.delivery_claim(delivery_id=by_kind[K.RENDER_PDF].pk)
    result = deliveries_sweep(now=timezone.now() + timedelta(hours=1))
    assert result.failed == 1
    assert published == []
    assert {row.status for row in Delivery.objects.all()} == {St.FAILED}


# --- Publishing never hurts the request ----------------------------------------------------------------


@pytest.mark.redis
def test_publishing_to_a_dead_broker_returns_quickly_and_keeps_the_row(submitted, celery_broker):
    celery_broker(f"redis://127.0.0.1:{free_port()}/0")
    render = rows(submitted)[K.RENDER_PDF]
    assert delivery.deliveries_publish([(render.pk, render.kind)]) == 0
    render.refresh_from_db()
    assert render.status == St.QUEUED


# --- Changes requested ---------------------------------------------------------------------------------


def test_request_changes_emails_every_member_the_message_and_the_workspace_link(
    submitted, mailbox, django_capture_on_commit_callbacks
):
    staff = factories.UserFactory.create(email="secretariat@example.org", is_staff=True)
    message = "Please add the sources of your indicators <and> C7 success stories."
    with django_capture_on_commit_callbacks(execute=True):
        services.report_request_changes(report=submitted.report, actor=staff, message=message)
    notice = Delivery.objects.get(kind=K.NOTICE_EMAIL)
    assert notice.status == St.DONE
    assert notice.recipients == ["owner@example.org", "editor@example.org"]
    [mail] = mailbox.messages
    assert sorted(mail.envelope_to) == ["editor@example.org", "owner@example.org"]
    assert message in mail.text
    assert "&lt;and&gt;" in mail.html
    assert "<and>" not in mail.html
    assert reverse("reports:workspace", args=[submitted.report_id]) in mail.text


# --- The stored PDF --------------------------------------------------------------------------------------


def test_a_resubmission_renders_a_new_pdf_and_keeps_the_old_one(
    submitted, owner, django_capture_on_commit_callbacks, mailbox
):
    first = delivery.submission_pdf_ensure(submission=submitted)
    staff = factories.UserFactory.create(is_staff=True)
    services.report_request_changes(report=submitted.report, actor=staff, message="More on C2.")
    with django_capture_on_commit_callbacks(execute=True):
        second = services.report_submit(report=submitted.report, user=owner)
    second.refresh_from_db()
    assert second.number == 2
    assert second.pdf
    assert second.pdf.name != first.pdf.name
    assert Submission.objects.get(pk=first.pk).pdf.name == first.pdf.name
    assert "-2.pdf" in mailbox.to("wsis-info@itu.int")[0].attachments[0][0]


def test_members_and_the_secretariat_download_the_stored_pdf_others_get_404(submitted, owner, editor, client):
    url = reverse("reports:submission_pdf", args=[submitted.pk])
    client.force_login(owner)
    assert client.get(url).status_code == 503  # not rendered yet
    delivery.submission_pdf_ensure(submission=submitted)

    secretariat = factories.UserFactory.create(is_staff=True)
    secretariat.user_permissions.add(Permission.objects.get(codename="view_submission"))
    for user in (owner, editor, secretariat):
        if user.is_staff:
            staff_client(client, user)  # staff give their second factor for the portal's pages too
        else:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        filename = delivery.submission_pdf_filename(submitted)
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert b"".join(response.streaming_content).startswith(b"%PDF")

    for stranger in (
        factories.MembershipFactory.create().user,  # a member of another entity
        factories.UserFactory.create(is_staff=True),  # staff outside the secretariat
    ):
        if stranger.is_staff:
            staff_client(client, stranger)
        else:
            client.force_login(stranger)
        assert client.get(url).status_code == 404
    assert client.get(reverse("reports:submission_pdf", args=[submitted.pk + 1000])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_only_failed_rows_can_be_retried(submitted):
    with pytest.raises(errors.ReportError, match="Only a failed delivery"):
        delivery.delivery_retry(delivery=rows(submitted)[K.RENDER_PDF])

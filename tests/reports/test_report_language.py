"""The report's language: chosen by the entity in its workspace (the interface language by default),
followed by its PDF (headings, direction, document language, file name) and by the e-mails the
entity gets about it (receipt, changes requested)."""

from __future__ import annotations

import io

import pikepdf
import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from reports import annex, services
from reports.delivery.runner import delivery_run
from reports.models import Delivery, Report
from tests import factories

pytestmark = pytest.mark.django_db

K = Delivery.Kind
ARABIC_NAME = "وزارة الاتصالات وتكنولوجيا المعلومات"


@pytest.fixture
def owner(report):
    return factories.MembershipFactory.create(entity=report.entity, user__email="owner@example.org").user


@pytest.fixture
def member(client, owner):
    client.force_login(owner)
    return client


def headings_in(language: str) -> list[str]:
    with translation.override(language):
        return [str(section.heading) for section in annex.SECTIONS]


# --- Choosing it ------------------------------------------------------------------------------------


def test_a_new_report_is_written_in_the_language_of_whoever_opens_it_first(client, entity, cycle):
    person = factories.MembershipFactory.create(entity=entity).user
    client.force_login(person)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get(reverse("reports:start"))
    report = Report.objects.get(entity=entity, cycle=cycle)
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("reports:workspace", args=[report.pk]))
    assert report.language == "zh-hans"

    # A colleague working in Russian later opens the same report: its language stays.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    client.get(reverse("reports:start"))
    report.refresh_from_db()
    assert report.language == "zh-hans"


def test_the_workspace_offers_the_six_languages_each_in_its_own_name_with_the_reports_selected(
    member, report
):
    page = member.get(reverse("reports:workspace", args=[report.pk])).content.decode()
    assert 'for="report-language">Language of the report</label>' in page
    for code, name in [
        ("en", "English"),
        ("fr", "français"),
        ("es", "español"),
        ("ar", "العربيّة"),
        ("zh-hans", "简体中文"),
        ("ru", "Русский"),
    ]:
        selected = " selected" if code == report.language else ""
        assert f'<option value="{code}" lang="{code}"{selected}>{name}</option>' in page


def test_the_entity_sets_the_language_and_is_told_what_it_changes(member, report):
    response = member.post(
        reverse("reports:report_language", args=[report.pk]), {"language": "ar"}, follow=True
    )
    report.refresh_from_db()
    assert report.language == "ar"
    page = response.content.decode()
    assert "The report&#x27;s language is now العربيّة" in page
    assert '<option value="ar" lang="ar" selected>' in page


def test_a_language_the_portal_does_not_have_is_refused_with_a_message(member, report):
    response = member.post(
        reverse("reports:report_language", args=[report.pk]), {"language": "de"}, follow=True
    )
    report.refresh_from_db()
    assert report.language == "en"
    assert "Choose one of the portal&#x27;s six languages." in response.content.decode()


def test_another_entitys_member_cannot_set_the_language(client, report, cycle):
    stranger = factories.MembershipFactory.create(entity=factories.EntityFactory.create()).user
    client.force_login(stranger)
    response = client.post(reverse("reports:report_language", args=[report.pk]), {"language": "ar"})
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.language == "en"


def test_the_service_refuses_an_unknown_language(report):
    with pytest.raises(services.ReportError, match="one of the portal's languages"):
        services.report_set_language(report=report, language="xx")


# --- What follows it ---------------------------------------------------------------------------------


def submit_in(report, fill_report, owner, language, django_capture_on_commit_callbacks):
    fill_report(report, language=language)
    with django_capture_on_commit_callbacks(execute=False):
        submission = services.report_submit(report=report, user=owner)
    for row in Delivery.objects.filter(submission=submission).order_by("pk"):
        assert delivery_run(delivery_id=row.pk).outcome.name == "DONE"
    return submission


def test_an_arabic_report_gets_its_receipt_and_pdf_in_arabic_and_the_secretariat_english(
    report, fill_report, owner, mailbox, django_capture_on_commit_callbacks
):
    entity = report.entity
    entity.name, entity.acronym = ARABIC_NAME, "MCIT"
    entity.save()
    submit_in(report, fill_report, owner, "ar", django_capture_on_commit_callbacks)

    (receipt,) = mailbox.to("owner@example.org")
    with translation.override("ar"):
        subject = " ".join(
            render_to_string("emails/submission_receipt_subject.txt", {"entity": entity}).split()
        )
    assert receipt.subject == subject
    assert "WSIS+20 report has been received" not in receipt.subject
    [(filename, mimetype, data)] = receipt.attachments
    assert filename == f"mcit-{report.cycle.slug}-1.pdf"
    assert mimetype == "application/pdf"
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.Root.Lang) == "ar"
    outline = [item.title for item in PdfReader(io.BytesIO(data)).outline if not isinstance(item, list)]
    assert outline[1:] == headings_in("ar")

    (to_secretariat,) = mailbox.to("wsis-info@itu.int")
    assert to_secretariat.subject.startswith("WSIS+20 report submitted: ")


def test_changes_are_requested_in_the_reports_language(
    report, fill_report, owner, mailbox, django_capture_on_commit_callbacks
):
    staff = factories.UserFactory.create(is_staff=True, email="reviewer@example.org")
    submit_in(report, fill_report, owner, "zh-hans", django_capture_on_commit_callbacks)
    mailbox.reset()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_request_changes(report=report, actor=staff, message="Please add indicators.")
    (notice,) = mailbox.to("owner@example.org")
    with translation.override("zh-hans"):
        subject = " ".join(
            render_to_string("emails/changes_requested_subject.txt", {"entity": report.entity}).split()
        )
    assert notice.subject == subject
    assert "Changes requested" not in notice.subject
    assert "Please add indicators." in notice.text


def test_a_submission_keeps_the_language_it_was_made_in(
    report, fill_report, owner, mailbox, django_capture_on_commit_callbacks
):
    submission = submit_in(report, fill_report, owner, "fr", django_capture_on_commit_callbacks)
    services.report_set_language(report=report, language="es")
    submission.refresh_from_db()
    assert submission.content["language"] == "fr"
    with pikepdf.open(submission.pdf.open("rb")) as pdf:
        assert str(pdf.Root.Lang) == "fr"

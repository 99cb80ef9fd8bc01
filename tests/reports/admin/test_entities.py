"""Entities the Secretariat vouches for: verify or reject, correct, merge duplicates; what a
submission keeps when the entity changes afterwards, and what the list, page and exports show."""

import csv
import io
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from reports import services, storage
from reports.compilation import build as compilation
from reports.delivery import runner as delivery
from reports.models import Entity, Invitation, Membership, Report, SecurityEvent
from tests import factories
from tests.accounts import staff_client

from .conftest import fill, submit_directly

pytestmark = pytest.mark.django_db

ENTITIES = reverse("admin:reports_entity_changelist")
REPORTS = reverse("admin:reports_report_changelist")


def action(client, name, entities, **extra):
    return client.post(
        ENTITIES,
        {"action": name, "_selected_action": [e.pk for e in entities], **extra},
        follow=True,
    )


def change_url(entity):
    return reverse("admin:reports_entity_change", args=[entity.pk])


def form_data(entity, **changes):
    data = {
        "name": entity.name,
        "acronym": entity.acronym,
        "stakeholder_type": entity.stakeholder_type,
        "country": entity.country_id,
        "website": entity.website,
        "verification_note": entity.verification_note,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def pdf_text(file) -> str:
    """The text of a stored PDF, read through the storage (a bucket has no ``.path``)."""
    with storage.local_path(file) as path:
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
        )
    return done.stdout


# --- Verification ---------------------------------------------------------------------------------


def test_verify_and_reject_record_who_and_when_and_show_in_list_filter_and_export(
    secretariat_client, secretariat_user, cycle
):
    kenya = factories.EntityFactory.create(name="Ministry of ICT of Kenya")
    impostor = factories.EntityFactory.create(name="Ministry of ICT, Kenya (not really)")
    for entity in (kenya, impostor):
        submit_directly(fill(factories.ReportFactory.create(entity=entity, cycle=cycle)))

    page = action(secretariat_client, "mark_verified", [kenya]).content.decode()
    assert "1 entity marked “Verified by the Secretariat”." in page
    action(secretariat_client, "mark_rejected", [impostor])

    kenya.refresh_from_db()
    impostor.refresh_from_db()
    assert kenya.verification == Entity.Verification.VERIFIED
    assert kenya.verified_by == secretariat_user
    assert kenya.verified_at is not None
    assert impostor.verification == Entity.Verification.REJECTED
    assert impostor.verified_by == secretariat_user
    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ENTITY).order_by("pk")
    assert [(e.object_id, e.detail["action"], e.actor_id) for e in events] == [
        (str(kenya.pk), "verified", secretariat_user.pk),
        (str(impostor.pk), "rejected", secretariat_user.pk),
    ]

    listing = secretariat_client.get(ENTITIES).content.decode()
    assert "Verified by the Secretariat" in listing
    assert "Rejected by the Secretariat" in listing
    verified_only = secretariat_client.get(ENTITIES + "?verification=verified").content.decode()
    assert "Ministry of ICT of Kenya" in verified_only
    assert "not really" not in verified_only

    export = secretariat_client.get(reverse("admin:reports_report_export", args=["csv"]))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert {row["Entity"]: row["Verification"] for row in rows} == {
        "Ministry of ICT of Kenya": "Verified by the Secretariat",
        "Ministry of ICT, Kenya (not really)": "Rejected by the Secretariat",
    }


def test_verification_actions_need_the_change_permission(client, staff_outsider, entity):
    outsider = staff_client(client, staff_outsider)
    response = action(outsider, "mark_verified", [entity])
    assert response.status_code == 403
    entity.refresh_from_db()
    assert entity.verification == Entity.Verification.UNVERIFIED


# --- Corrections ----------------------------------------------------------------------------------


def test_correcting_after_submission_keeps_the_submission_and_pdf_and_flags_the_change(
    secretariat_client, submitted_report
):
    entity = submitted_report.entity
    submitted_name = entity.name
    submission = submitted_report.submissions.get()

    response = secretariat_client.post(
        change_url(entity),
        form_data(entity, name="Ministry of Information, Communications and the Digital Economy"),
        follow=True,
    )
    assert response.status_code == 200
    entity.refresh_from_db()
    assert entity.name == "Ministry of Information, Communications and the Digital Economy"

    submission.refresh_from_db()
    assert submission.content["entity"]["name"] == submitted_name
    rendered = delivery.submission_pdf_ensure(submission=submission)
    text = pdf_text(rendered.pdf)
    assert submitted_name in text
    assert "Digital Economy" not in text.replace(submitted_name, "")

    listing = secretariat_client.get(REPORTS).content.decode()
    assert "Changed since submission" in listing
    page = secretariat_client.get(reverse("admin:reports_report_change", args=[submitted_report.pk]))
    body = page.content.decode()
    assert "The entity changed since the latest submission" in body
    assert f"submitted as “{submitted_name}”" in body

    [event] = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ENTITY)
    assert event.detail["action"] == "corrected"
    assert event.detail["after_submission"] is True
    assert event.detail["changes"]["name"] == [
        submitted_name,
        "Ministry of Information, Communications and the Digital Economy",
    ]


def test_an_unchanged_entity_is_not_flagged(secretariat_client, submitted_report):
    assert "Changed since submission" not in secretariat_client.get(REPORTS).content.decode()
    page = secretariat_client.get(reverse("admin:reports_report_change", args=[submitted_report.pk]))
    assert "The entity changed since the latest submission" not in page.content.decode()


def test_a_correction_to_a_taken_name_is_refused_like_on_the_stakeholders_form(secretariat_client, entity):
    factories.EntityFactory.create(name="Kenya ICT Authority", country=entity.country)
    response = secretariat_client.post(change_url(entity), form_data(entity, name="kenya ict authority"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "An entity with this name already exists in Kenya: merge the two instead." in body
    assert body.count("errorlist") == 1  # one message, not Django's constraint error beside it
    entity.refresh_from_db()
    assert entity.name != "kenya ict authority"


def test_the_secretariat_corrects_type_and_country(secretariat_client, entity):
    page = secretariat_client.get(change_url(entity)).content.decode()
    assert "Verification by the Secretariat" in page
    assert 'name="name"' in page
    assert 'name="verification"' not in page  # decided by the list's actions, not typed
    response = secretariat_client.post(
        change_url(entity), form_data(entity, stakeholder_type="academia", country="UG"), follow=True
    )
    assert response.status_code == 200
    entity.refresh_from_db()
    assert (entity.stakeholder_type, entity.country_id) == ("academia", "UG")


# --- A member's edits after a submission ------------------------------------------------------------


def test_a_member_renaming_a_verified_submitted_entity_is_recorded_and_unverified(submitted_report, owner):
    entity = submitted_report.entity
    services.entity_verify(entity=entity, actor=owner, verification=Entity.Verification.VERIFIED)
    entity.refresh_from_db()
    services.entity_update(entity=entity, actor=owner, name="Ministry of ICT and Innovation")
    entity.refresh_from_db()
    assert entity.verification == Entity.Verification.UNVERIFIED
    assert entity.verified_at is None
    [event] = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ENTITY)
    assert event.actor == owner
    assert event.detail["verification_reset"] is True
    assert list(event.detail["changes"]) == ["name"]


def test_a_member_changing_the_website_keeps_the_verification(submitted_report, owner):
    entity = submitted_report.entity
    services.entity_verify(entity=entity, actor=owner, verification=Entity.Verification.VERIFIED)
    entity.refresh_from_db()
    services.entity_update(entity=entity, actor=owner, website="https://ict.go.ke")
    entity.refresh_from_db()
    assert entity.verification == Entity.Verification.VERIFIED


# --- Merging duplicates ----------------------------------------------------------------------------


def test_merging_moves_members_invitations_and_reports_and_deletes_the_duplicate(
    secretariat_client, cycle, reference_data
):
    keep = factories.EntityFactory.create(name="Kenya ICT Authority")
    duplicate = factories.EntityFactory.create(name="ICT Authority (Kenya)")
    both = factories.UserFactory.create(email="both@example.org")
    Membership.objects.create(entity=keep, user=both, role="editor")
    Membership.objects.create(entity=duplicate, user=both, role="owner")
    newcomer = factories.MembershipFactory.create(
        entity=duplicate, role="editor", user__email="new@example.org"
    ).user
    report = submit_directly(fill(factories.ReportFactory.create(entity=duplicate, cycle=cycle))).report
    invitation = Invitation.objects.create(
        entity=duplicate, email="later@example.org", invited_by=both, expires_at=cycle.deadline
    )

    chosen = action(secretariat_client, "merge_selected", [keep, duplicate])
    assert "Merge duplicate entities" in chosen.content.decode()
    merge_url = reverse("admin:reports_entity_merge")
    response = secretariat_client.post(
        merge_url, {"ids": f"{keep.pk},{duplicate.pk}", "keep": keep.pk}, follow=True
    )
    assert "1 entity merged into “Kenya ICT Authority”" in response.content.decode()

    assert not Entity.objects.filter(pk=duplicate.pk).exists()
    report.refresh_from_db()
    invitation.refresh_from_db()
    assert report.entity_id == keep.pk
    assert invitation.entity_id == keep.pk
    roles = dict(Membership.objects.filter(entity=keep).values_list("user__email", "role"))
    assert roles == {"both@example.org": "owner", newcomer.email: "editor"}
    [event] = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ENTITY)
    assert event.object_id == str(keep.pk)
    assert event.detail["merged_name"] == "ICT Authority (Kenya)"
    assert event.detail["moved"] == {"memberships": 1, "invitations": 1, "reports": 1}


def test_merging_two_entities_with_a_report_in_the_same_cycle_is_refused(secretariat_client, cycle):
    keep = factories.EntityFactory.create(name="Kenya ICT Authority")
    duplicate = factories.EntityFactory.create(name="ICT Authority (Kenya)")
    factories.ReportFactory.create(entity=keep, cycle=cycle)
    theirs = factories.ReportFactory.create(entity=duplicate, cycle=cycle)
    member = factories.MembershipFactory.create(entity=duplicate).user

    response = secretariat_client.post(
        reverse("admin:reports_entity_merge"),
        {"ids": f"{keep.pk},{duplicate.pk}", "keep": keep.pk},
        follow=True,
    )
    page = response.content.decode()
    assert "both have a report for WSIS+20 review (test). Nothing was merged" in page
    assert Entity.objects.filter(pk=duplicate.pk).exists()
    theirs.refresh_from_db()
    assert theirs.entity_id == duplicate.pk
    assert Membership.objects.get(user=member).entity_id == duplicate.pk
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ENTITY).exists()


def test_merging_needs_at_least_two_entities(secretariat_client, entity):
    response = action(secretariat_client, "merge_selected", [entity])
    assert "Choose between 2 and 10 entities to merge." in response.content.decode()


# --- Queries ----------------------------------------------------------------------------------------


def test_the_changed_flag_costs_no_query_per_row(secretariat_client, cycle):
    def make(n):
        for _ in range(n):
            report = submit_directly(fill(factories.ReportFactory.create(cycle=cycle))).report
            Entity.objects.filter(pk=report.entity_id).update(name=f"Renamed {report.pk}")

    def count():
        assert secretariat_client.get(REPORTS).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            page = secretariat_client.get(REPORTS).content.decode()
        return len(captured), page.count("Changed since submission")

    make(2)
    small = count()
    make(8)
    large = count()
    assert small == (small[0], 2)
    assert large == (small[0], 10)
    assert Report.objects.count() == 10


# --- Compilations ------------------------------------------------------------------------------------


def test_a_compilation_marks_verified_entities_and_a_verification_is_not_hidden_by_a_reused_file(
    corpus, secretariat_user, tmp_path
):
    cycle, _subs = corpus
    selection = compilation.Selection(cycle=cycle.slug, layout="full")
    before = compilation.selection_fingerprint(selection, compilation.selection_submissions(selection))
    alpha = Entity.objects.get(name="Alpha Ministry of ICT")
    services.entity_verify(entity=alpha, actor=secretariat_user, verification=Entity.Verification.VERIFIED)

    chosen = compilation.selection_submissions(selection)
    assert compilation.selection_fingerprint(selection, chosen) != before
    out = tmp_path / "full.pdf"
    compilation.compilation_build(selection, out)
    outline = PdfReader(out).outline  # groups, each followed by the list of its reports
    titles = [
        str(i.title) for group in outline if isinstance(group, list) for i in group if not isinstance(i, list)
    ]
    assert "Alpha Ministry of ICT — Government, Egypt · verified" in titles
    assert "Zeta Digital Rights Foundation — Civil Society, Kenya" in titles  # not verified: no mark

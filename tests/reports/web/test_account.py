"""A person's own data: the JSON download holds theirs and nobody else's; deleting the account
keeps the entity's reports, hands an entity over to a colleague, and ends the login; the entity
profile page shows the Secretariat's verification."""

import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from reports import audit, services
from reports.models import Entity, Invitation, Membership, Report, SecurityEvent, Submission
from tests import factories

pytestmark = pytest.mark.django_db

PAGE = reverse("reports:account_data")
DOWNLOAD = reverse("reports:account_data_download")
DELETE = reverse("reports:account_delete")


@pytest.fixture
def submitted(report, owner, fill_report):
    """The owner's report, filled in and submitted by them (their address is in a section stamp)."""
    fill_report(report, text="Twenty years of progress")
    services.report_save_section(
        report=report,
        key="executive-summary",
        data={"executive_summary": "Twenty years of progress, summarised."},
        base_version=services.report_section_version(report=report, key="executive-summary"),
        user=owner,
    )
    return services.report_submit(report=report, user=owner)


def test_the_account_page_is_linked_from_the_header_and_needs_a_login(client, member):
    page = member.get(reverse("reports:home")).content.decode()
    assert f'href="{PAGE}"' in page
    assert "Your account" in page
    client.logout()
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_download_holds_the_persons_data_and_nobody_elses(
    member, owner, colleague, entity, submitted, cycle
):
    other_entity = factories.EntityFactory.create(name="Kenya ICT Authority")
    Invitation.objects.create(
        entity=entity, email="invitee@example.org", invited_by=owner, expires_at=cycle.deadline
    )
    Invitation.objects.create(
        entity=other_entity, email=owner.email, invited_by=colleague, expires_at=cycle.deadline
    )
    audit.record(None, SecurityEvent.Kind.LOGIN, actor=owner)
    audit.record(None, SecurityEvent.Kind.LOGIN, actor=colleague)
    audit.record(None, SecurityEvent.Kind.LOGIN_FAILED, email=owner.email.upper())

    response = member.get(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment;" in response["Content-Disposition"]
    raw = response.content.decode()
    data = json.loads(raw)

    assert data["account"]["email"] == owner.email
    assert [a["email"] for a in data["email_addresses"]] == [owner.email]
    assert [(m["entity"], m["role"]) for m in data["memberships"]] == [(entity.name, "owner")]
    assert [i["entity"] for i in data["invitations_sent"]] == [entity.name]
    assert [i["entity"] for i in data["invitations_received"]] == ["Kenya ICT Authority"]
    assert [(s["report_id"], s["number"]) for s in data["submissions"]] == [(submitted.report_id, 1)]
    # Its logins (the test client's and the one recorded above), the failed login typed with its
    # address, and this download; none of the colleague's.
    assert [e["event"] for e in data["security_events"]] == ["login", "login", "login_failed", "account"]

    assert colleague.email not in raw
    assert "invitee@example.org" not in raw
    assert owner.password not in raw
    assert "pbkdf2" not in raw
    assert "password" not in raw
    assert "Twenty years of progress" not in raw  # the report text is the entity's
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ACCOUNT).get()
    assert event.actor == owner
    assert event.detail == {"action": "data downloaded"}


def test_a_wrong_password_deletes_nothing(member, owner):
    response = member.post(DELETE, {"password": "not-my-password"})
    assert response.status_code == 400
    assert "This is not your password. Nothing was deleted." in response.content.decode()
    assert User.objects.filter(pk=owner.pk).exists()


def test_deleting_keeps_the_reports_and_ends_the_login(client, member, owner, entity, submitted):
    response = member.post(DELETE, {"password": factories.PASSWORD}, follow=True)
    assert "Your account is deleted. The reports you worked on stay with their entities." in (
        response.content.decode()
    )
    assert not User.objects.filter(pk=owner.pk).exists()
    report = Report.objects.get(pk=submitted.report_id)
    assert report.entity_id == entity.pk
    assert report.submitted_by is None
    assert Submission.objects.get(pk=submitted.pk).submitted_by is None
    assert report.section_versions["executive-summary"]["by"] == ""
    assert not Membership.objects.filter(entity=entity).exists()

    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ACCOUNT)
    assert event.actor is None  # the account is gone; its address stays with the event
    assert event.actor_email == owner.email
    assert event.detail["action"] == "account deleted"

    assert client.get(reverse("reports:start")).status_code == 302  # logged out
    login = client.post(reverse("account_login"), {"login": owner.email, "password": factories.PASSWORD})
    assert login.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session


def test_the_only_owner_hands_the_entity_to_the_colleague_who_joined_first(member, owner, colleague, entity):
    later = factories.MembershipFactory.create(entity=entity, role="editor", user__email="later@example.org")
    page = member.get(PAGE).content.decode()
    assert f"{colleague.email} becomes owner of {entity.name}" in page

    member.post(DELETE, {"password": factories.PASSWORD})
    roles = dict(Membership.objects.filter(entity=entity).values_list("user__email", "role"))
    assert roles == {colleague.email: "owner", later.user.email: "editor"}


def test_secretariat_accounts_are_not_deleted_here(client, reference_data):
    staff = factories.UserFactory.create(email="staff@wsis.example.org")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    response = client.post(DELETE, {"password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Secretariat accounts are closed by an administrator" in response.content.decode()
    assert User.objects.filter(pk=staff.pk).exists()


# --- The entity's profile page: the Secretariat's verification, and edits after a submission ---------


def test_the_profile_page_shows_the_verification_and_a_rename_after_submission_is_recorded(
    member, owner, entity, submitted, reference_data
):
    staff = factories.UserFactory.create(email="reviewer@wsis.example.org")
    services.entity_verify(entity=entity, actor=staff, verification=Entity.Verification.VERIFIED)
    url = reverse("reports:entity_edit", args=[entity.pk])
    page = member.get(url).content.decode()
    assert "Verified by the Secretariat" in page
    assert "Changing its name, stakeholder type or country sends it back for verification." in page
    assert "changes made now are recorded for the secretariat" in page

    response = member.post(
        url,
        {
            "name": "Ministry of ICT and Innovation",
            "acronym": entity.acronym,
            "stakeholder_type": entity.stakeholder_type,
            "country": entity.country_id,
            "website": entity.website,
        },
        follow=True,
    )
    page = response.content.decode()
    assert "The entity&#x27;s profile is saved." in page
    assert "Not yet verified" in page
    assert (
        Submission.objects.get(pk=submitted.pk).content["entity"]["name"]
        == submitted.content["entity"]["name"]
    )
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ENTITY)
    assert event.actor == owner
    assert event.detail["action"] == "edited after submission"
    assert event.detail["changes"]["name"][1] == "Ministry of ICT and Innovation"

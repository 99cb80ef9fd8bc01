"""Inviting colleagues: a signed link that expires after 14 days and only works for the invited address."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta
from unittest import mock
from urllib.parse import quote, quote_plus

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from reports.delivery.runner import Outcome, delivery_run
from reports.models import Delivery, Invitation, Membership, SecurityEvent
from reports.web import invitations
from tests import factories
from wsis_portal import limits

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(entity):
    return factories.MembershipFactory.create(entity=entity, user__email="owner@example.org").user


def token_for(entity, owner, email="new.colleague@example.org", *, days_ago=0):
    """The link's token of an invitation sent ``days_ago`` days ago (its row included)."""
    sent = timezone.now() - timedelta(days=days_ago)
    row = Invitation.objects.create(
        entity=entity, email=email, invited_by=owner, expires_at=sent + invitations.MAX_AGE
    )
    with mock.patch("django.core.signing.time.time", return_value=time.time() - days_ago * 86400):
        return invitations.invitation_token(invitation=row)


def test_owner_invites_a_colleague_who_signs_up_and_joins(
    client, entity, owner, mailbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    client.force_login(owner)
    url = reverse("reports:entity_members", kwargs={"entity_id": entity.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "New.Colleague@Example.org"}, follow=True)
    assert "Invitation sent to new.colleague@example.org" in response.content.decode()
    (message,) = mailbox.to("new.colleague@example.org")
    assert entity.name in message.subject
    assert "owner@example.org invites you" in message.text
    link = next(word for word in message.text.split() if "/invitations/" in word)
    assert link in message.html

    # The invited person, not logged in yet, is offered to log in or sign up and come back.
    client.logout()
    page = client.get(link).content.decode()
    assert "Log in with new.colleague@example.org" in page
    assert "next=%2Finvitations%2F" in page

    colleague = factories.UserFactory.create(email="new.colleague@example.org")
    client.force_login(colleague)
    response = client.post(link, follow=True)
    assert Membership.objects.filter(entity=entity, user=colleague, role="editor").exists()
    assert f"Welcome to {entity.name}" in response.content.decode()


def test_an_expired_invitation_is_refused_with_a_clear_message(client, entity, owner):
    token = token_for(entity, owner, days_ago=15)
    colleague = factories.UserFactory.create(email="new.colleague@example.org")
    client.force_login(colleague)
    url = reverse("reports:invitation", kwargs={"token": token})
    response = client.post(url)
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    assert not Membership.objects.filter(user=colleague).exists()
    # Thirteen days old still works.
    client.post(reverse("reports:invitation", kwargs={"token": token_for(entity, owner, days_ago=13)}))
    assert Membership.objects.filter(user=colleague, entity=entity).exists()


def test_a_tampered_invitation_is_refused(client, entity, owner):
    token = token_for(entity, owner)
    forged = token.replace("new.colleague", "attacker")
    response = client.get(reverse("reports:invitation", kwargs={"token": forged + "x"}))
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_someone_else_logged_in_cannot_use_the_invitation(client, entity, owner):
    token = token_for(entity, owner)
    intruder = factories.UserFactory.create(email="intruder@example.org")
    client.force_login(intruder)
    url = reverse("reports:invitation", kwargs={"token": token})
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 403
        page = response.content.decode()
        assert "sent to new.colleague@example.org" in page
        assert "intruder@example.org" in page
    assert not Membership.objects.filter(user=intruder).exists()


def test_only_owners_invite(client, entity):
    editor = factories.MembershipFactory.create(entity=entity, role="editor").user
    client.force_login(editor)
    url = reverse("reports:entity_members", kwargs={"entity_id": entity.pk})
    assert "Invite a colleague" not in client.get(url).content.decode()
    assert client.post(url, {"email": "someone@example.org"}).status_code == 404


def test_inviting_an_existing_member_says_so(client, entity, owner):
    client.force_login(owner)
    url = reverse("reports:entity_members", kwargs={"entity_id": entity.pk})
    response = client.post(url, {"email": "OWNER@example.org"})
    assert "owner@example.org is already a member" in response.content.decode()


def invitation_email(entity) -> Delivery:
    return Delivery.objects.get(invitation__entity=entity, kind=Delivery.Kind.INVITATION_EMAIL)


def test_the_invitation_email_is_a_delivery_row_saved_with_the_invitation_and_sent_once(
    client, entity, owner, mailbox, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    url = reverse("reports:entity_members", kwargs={"entity_id": entity.pk})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(url, {"email": "someone@example.org"})
    row = invitation_email(entity)
    (pending,) = invitations.invitations_pending(entity=entity)
    assert (row.invitation, row.status, row.recipients) == (
        pending,
        Delivery.Status.QUEUED,
        ["someone@example.org"],
    )
    assert len(callbacks) == 1
    assert mailbox.messages == []
    for callback in callbacks:
        callback()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.DONE, 1)
    # The same task again (a redelivered message, the sweeper): nothing more is sent.
    assert delivery_run(delivery_id=row.pk).outcome is Outcome.SKIPPED
    assert len(mailbox.to("someone@example.org")) == 1


def test_the_invitation_email_is_retried_after_a_451_and_sent_once(
    client, entity, owner, mailbox, django_capture_on_commit_callbacks
):
    mailbox.fail_next("451 4.3.0 Try again later")
    client.force_login(owner)
    url = reverse("reports:entity_members", kwargs={"entity_id": entity.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "someone@example.org"}, follow=True)
    assert "Invitation sent to someone@example.org" in response.content.decode()  # nothing to retype
    row = invitation_email(entity)
    assert (row.status, row.attempts) == (Delivery.Status.QUEUED, 1)
    assert "451" in row.last_error
    assert mailbox.messages == []

    assert delivery_run(delivery_id=row.pk).outcome is Outcome.DONE  # the retry, when due
    assert delivery_run(delivery_id=row.pk).outcome is Outcome.SKIPPED
    (message,) = mailbox.to("someone@example.org")
    assert entity.name in message.subject
    assert invitation_email(entity).attempts == 2


def test_an_invitation_email_refused_for_good_is_failed_with_the_reason_for_staff(
    client, entity, owner, mailbox, django_capture_on_commit_callbacks
):
    mailbox.fail_next("550 5.1.1 Mailbox unavailable")
    client.force_login(owner)
    url = reverse("reports:entity_members", kwargs={"entity_id": entity.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "someone@example.org"})
    row = invitation_email(entity)
    assert (row.status, row.last_error) == (Delivery.Status.FAILED, "SMTP 550 5.1.1 Mailbox unavailable")
    assert mailbox.messages == []
    assert invitations.invitations_pending(entity=entity)  # the owners see it, and can withdraw it


def test_a_new_person_signs_up_from_the_invitation_and_comes_back_to_it(client, entity, owner, mailbox):
    invitation = reverse("reports:invitation", kwargs={"token": token_for(entity, owner)})
    page = client.get(invitation).content.decode()
    link = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', page)
    assert link, page
    signup = link.group(1).replace("&amp;", "&")
    response = client.post(
        signup,
        {
            "email": "new.colleague@example.org",
            "password1": "a-Long-passphrase-2025",
            "password2": "a-Long-passphrase-2025",
            "next": invitation,
        },
    )
    assert response.status_code == 302
    (message,) = mailbox.to("new.colleague@example.org")
    assert message.subject == "Confirm your e-mail address for the WSIS+20 reporting portal"
    confirm_link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.text)
    assert confirm_link, message.text
    confirm = confirm_link.group(1)
    response = client.post(confirm)
    assert response["Location"] == invitation
    client.post(invitation)
    assert Membership.objects.filter(entity=entity, user__email="new.colleague@example.org").exists()


@pytest.fixture
def invite(client, entity, owner, mailbox, django_capture_on_commit_callbacks):
    """``invite(email)``: the owner invites someone; the e-mail goes out after the commit. Returns
    the link in the e-mail."""

    def send(email="new.colleague@example.org") -> str:
        client.force_login(owner)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("reports:entity_members", kwargs={"entity_id": entity.pk}), {"email": email})
        (message,) = mailbox.to(email)
        return next(word for word in message.text.split() if "/invitations/" in word)

    return send


def test_owners_see_pending_invitations_and_a_withdrawn_link_stops_working(
    client, entity, owner, invite, settings
):
    settings.SITE_URL = "http://testserver"
    link = invite()
    members = reverse("reports:entity_members", kwargs={"entity_id": entity.pk})
    page = client.get(members).content.decode()
    assert "Invitations not yet accepted" in page
    assert "new.colleague@example.org" in page
    (row,) = invitations.invitations_pending(entity=entity)

    response = client.post(
        reverse("reports:invitation_withdraw", kwargs={"entity_id": entity.pk, "invitation_id": row.pk}),
        follow=True,
    )
    page = response.content.decode()
    assert "The invitation to new.colleague@example.org is withdrawn" in page
    assert "Invitations not yet accepted" not in page

    colleague = factories.UserFactory.create(email="new.colleague@example.org")
    client.force_login(colleague)
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 410
        assert "This invitation was withdrawn" in response.content.decode()
    assert not Membership.objects.filter(entity=entity, user=colleague).exists()


def test_an_invitation_works_once_a_removed_colleague_cannot_come_back_through_it(
    client, entity, owner, invite, settings
):
    settings.SITE_URL = "http://testserver"
    link = invite()
    colleague = factories.UserFactory.create(email="new.colleague@example.org")
    client.force_login(colleague)
    client.post(link)
    assert Membership.objects.filter(entity=entity, user=colleague).exists()
    assert invitations.invitations_pending(entity=entity) == []

    client.force_login(owner)
    client.post(reverse("reports:member_remove", kwargs={"entity_id": entity.pk, "user_id": colleague.pk}))
    client.force_login(colleague)
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 410
        assert "This invitation has already been used" in response.content.decode()
    assert not Membership.objects.filter(entity=entity, user=colleague).exists()


def test_only_owners_withdraw_invitations(client, entity, owner, invite, settings):
    settings.SITE_URL = "http://testserver"
    invite()
    (row,) = invitations.invitations_pending(entity=entity)
    editor = factories.MembershipFactory.create(entity=entity, role="editor").user
    client.force_login(editor)
    url = reverse("reports:invitation_withdraw", kwargs={"entity_id": entity.pk, "invitation_id": row.pk})
    assert client.post(url).status_code == 404
    assert (
        "Invitations not yet accepted"
        not in client.get(reverse("reports:entity_members", kwargs={"entity_id": entity.pk})).content.decode()
    )
    assert invitations.invitations_pending(entity=entity) == [row]


def test_a_link_of_the_old_kind_without_a_stored_invitation_is_refused(client, entity, owner):
    """The first links named the entity and the address, signed, with no row behind them: whoever
    knew the secret key could have made one for any entity."""
    old = signing.TimestampSigner(salt=invitations.SALT).sign_object(
        {"e": entity.pk, "m": "new.colleague@example.org", "by": owner.email}
    )
    colleague = factories.UserFactory.create(email="new.colleague@example.org")
    client.force_login(colleague)
    url = reverse("reports:invitation", kwargs={"token": old})
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 410
        assert "This invitation link is of an old kind that no longer works" in response.content.decode()
    assert not Membership.objects.filter(user=colleague).exists()


def test_the_invitation_link_carries_no_email_address(client, entity, owner, invite, settings):
    settings.SITE_URL = "http://testserver"
    address = "new.colleague@example.org"
    link = invite(address)
    readable = {
        address,
        quote(address),
        quote_plus(address),
        quote(address, safe=""),
        *(
            encode(text.encode()).decode().rstrip("=")
            for encode in (base64.b64encode, base64.urlsafe_b64encode)
            for text in (address, f'"{address}"', f'"m":"{address}"')
        ),
    }
    assert not [form for form in readable if form.lower() in link.lower()], link
    # The link still works for the invited address.
    colleague = factories.UserFactory.create(email=address)
    client.force_login(colleague)
    client.post(link)
    assert Membership.objects.filter(entity=entity, user=colleague).exists()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.INVITATION, actor=colleague).exists()


def test_sending_an_invitation_is_recorded(client, entity, owner, invite, settings):
    settings.SITE_URL = "http://testserver"
    invite("someone@example.org")
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.INVITATION, actor=owner)
    assert event.detail == {"action": "sent", "invited": "someone@example.org"}
    assert event.object_type == "invitation"


def test_too_many_invitations_from_one_entity_are_refused_in_the_owners_language(
    client, entity, owner, settings, mailbox, django_capture_on_commit_callbacks
):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "invitation": "2/h/key,30/h/user"}
    colleague = factories.MembershipFactory.create(entity=entity, role="owner").user
    url = reverse("reports:entity_members", kwargs={"entity_id": entity.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.force_login(owner)
        client.post(url, {"email": "one@example.org"})
        client.force_login(colleague)  # another owner of the same entity: the entity's limit holds
        client.post(url, {"email": "two@example.org"})
        response = client.post(url, {"email": "three@example.org"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 429
    page = response.content.decode()
    assert 'lang="fr"' in page
    assert 'value="three@example.org"' in page  # nothing to type again
    with translation.override("fr"):
        assert escape(limits.limit_message("invitation")) in page
    assert mailbox.to("three@example.org") == []
    assert not Invitation.objects.filter(email="three@example.org").exists()
    assert len(mailbox.messages) == 2
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.RATE_LIMITED, actor=colleague).count() == 1


def test_one_person_cannot_send_invitations_without_end_across_entities(client, owner, settings):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "invitation": "20/h/key,2/h/user"}
    entities = [factories.MembershipFactory.create(user=owner, role="owner").entity for _ in range(3)]
    client.force_login(owner)
    statuses = [
        client.post(
            reverse("reports:entity_members", kwargs={"entity_id": e.pk}), {"email": "x@example.org"}
        ).status_code
        for e in entities
    ]
    assert statuses == [302, 302, 429]


def test_an_email_subject_never_carries_bidirectional_controls(
    client, entity, owner, mailbox, django_capture_on_commit_callbacks
):
    """A name stored before the forms stripped them (or typed elsewhere) stays out of the subject."""
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    entity.name = f"\u202eMinistry{controls} of Tests"
    entity.save(update_fields=["name"])
    client.force_login(owner)
    url = reverse("reports:entity_members", kwargs={"entity_id": entity.pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "someone@example.org"})
    (message,) = mailbox.to("someone@example.org")
    assert "Ministry of Tests" in message.subject
    assert not set(controls) & set(message.subject)

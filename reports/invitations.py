"""Inviting colleagues to an entity: a signed link that expires after 14 days.

The link carries the entity id and the invited e-mail address, signed with the project's
secret (``TimestampSigner``), so nothing is stored until someone accepts: accepting while
logged in with that address (after signing up, if need be) adds the membership.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import services
from .emails import message_build
from .models import Entity, Membership

SALT = "reports.invitation"
MAX_AGE = timedelta(days=14)


class InvitationError(Exception):
    """The invitation cannot be used; ``str(error)`` says why."""


class InvitationExpired(InvitationError):
    pass


class InvitationInvalid(InvitationError):
    pass


class InvitationForSomeoneElse(InvitationError):
    pass


@dataclass(frozen=True)
class Invitation:
    entity_id: int
    email: str
    invited_by: str = ""


def invitation_token(*, entity: Entity, email: str, inviter: AbstractBaseUser) -> str:
    payload = {"e": entity.pk, "m": email.strip().lower(), "by": getattr(inviter, "email", "")}
    return signing.TimestampSigner(salt=SALT).sign_object(payload)


def invitation_read(token: str, *, max_age: timedelta = MAX_AGE) -> Invitation:
    """The invitation a token stands for; ``InvitationExpired`` / ``InvitationInvalid``."""
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise InvitationExpired(
            _(
                "This invitation has expired: invitations are valid for %(days)d days. "
                "Ask a colleague to invite you again."
            )
            % {"days": max_age.days}
        ) from error
    except signing.BadSignature as error:
        raise InvitationInvalid(
            _("This invitation link is not valid. Check that you copied the whole link from the e-mail.")
        ) from error
    return Invitation(entity_id=int(payload["e"]), email=str(payload["m"]), invited_by=payload.get("by", ""))


def invitation_url(token: str) -> str:
    from django.conf import settings

    return settings.SITE_URL + reverse("reports:invitation", kwargs={"token": token})


def invitation_send(*, entity: Entity, email: str, inviter: AbstractBaseUser) -> str:
    """Send the invitation e-mail (owners only); returns the token."""
    services.membership_require(entity=entity, user=inviter, owner=True)
    token = invitation_token(entity=entity, email=email, inviter=inviter)
    message = message_build(
        "invitation",
        to=[email],
        context={
            "entity": entity,
            "inviter": inviter,
            "url": invitation_url(token),
            "expires": timezone.now() + MAX_AGE,
        },
    )
    message.send()
    return token


def user_has_email(user: AbstractBaseUser, email: str) -> bool:
    """Whether ``email`` is the person's address (their account's or a verified one)."""
    from allauth.account.models import EmailAddress

    email = email.strip().lower()
    if (getattr(user, "email", "") or "").lower() == email:
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def wrong_person_message(invitation: Invitation, user: AbstractBaseUser) -> str:
    return _(
        "This invitation was sent to %(invited)s, but you are logged in as %(current)s. "
        "Log out, then log in (or sign up) with %(invited)s to accept it."
    ) % {"invited": invitation.email, "current": user.email}


def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """Join the entity. The person must be logged in with the invited address."""
    if not user_has_email(user, invitation.email):
        raise InvitationForSomeoneElse(wrong_person_message(invitation, user))
    entity = Entity.objects.filter(pk=invitation.entity_id).first()
    if entity is None:
        raise InvitationInvalid(_("The entity you were invited to no longer exists."))
    return services.membership_add(entity=entity, user=user)

"""Inviting colleagues to an entity: a signed link that expires after 14 days.

Each invitation is a row (``Invitation``) that the entity's owners see while it is pending and
can withdraw. The e-mailed link carries only the row's id, signed with the project's secret
(``TimestampSigner``, salted): no e-mail address, nothing readable but a number. Everything else —
the entity, the invited address, whether it is still pending — is read from the row, so a link
needs a row: someone who knows the secret could sign an id, but only the invited address can
accept it. Accepting while logged in with that address (after signing up, if need be) adds the
membership and uses the invitation up, so a colleague removed later cannot come back through an
old link. Links of the first format, which named the entity and the address but no row, are
refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import services
from ..delivery.rows import invitation_email_create
from ..models import Entity, Membership
from ..models import Invitation as InvitationRow

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


class InvitationWithdrawn(InvitationError):
    pass


class InvitationUsed(InvitationError):
    pass


@dataclass(frozen=True)
class Invitation:
    entity_id: int
    email: str
    row_id: int
    invited_by: str = ""
    used: bool = False


def invitation_token(*, invitation: InvitationRow) -> str:
    """The link's token: the row's id, signed and timed — no address, no entity."""
    return signing.TimestampSigner(salt=SALT).sign_object({"i": invitation.pk})


def used_message() -> str:
    return _(
        "This invitation has already been used. If you need access again, ask one of the entity's "
        "owners to invite you."
    )


def invitation_read(token: str, *, max_age: timedelta = MAX_AGE) -> Invitation:
    """The invitation a token stands for; ``InvitationExpired`` / ``InvitationInvalid``."""
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise _expired(max_age) from error
    except signing.BadSignature as error:
        raise InvitationInvalid(
            _("This invitation link is not valid. Check that you copied the whole link from the e-mail.")
        ) from error
    row_id = payload.get("i") if isinstance(payload, dict) else None
    if not isinstance(row_id, int):
        # The first links named the entity and the address but no stored invitation: nothing to
        # check them against, so they no longer work.
        raise InvitationInvalid(
            _(
                "This invitation link is of an old kind that no longer works. Ask one of the entity's "
                "owners to invite you again."
            )
        )
    row = InvitationRow.objects.select_related("invited_by").filter(pk=row_id).first()
    if row is None or row.revoked_at:
        raise InvitationWithdrawn(
            _("This invitation was withdrawn by the entity's owners. Ask them to invite you again if needed.")
        )
    if not row.accepted_at and row.expires_at <= timezone.now():
        raise _expired(max_age)
    return Invitation(
        entity_id=row.entity_id,
        email=row.email,
        row_id=row.pk,
        invited_by=getattr(row.invited_by, "email", ""),
        used=bool(row.accepted_at),
    )


def _expired(max_age: timedelta) -> InvitationExpired:
    return InvitationExpired(
        ngettext(
            "This invitation has expired: invitations are valid for %(days)d day. "
            "Ask a colleague to invite you again.",
            "This invitation has expired: invitations are valid for %(days)d days. "
            "Ask a colleague to invite you again.",
            max_age.days,
        )
        % {"days": max_age.days}
    )


def invitation_send(*, entity: Entity, email: str, inviter: User) -> InvitationRow:
    """Record the invitation and its e-mail (owners only); returns the invitation. The e-mail is a
    delivery row saved with the invitation and sent after the commit, in the inviter's language,
    retried like every delivery (``reports/delivery/``)."""
    services.membership_require(entity=entity, user=inviter, owner=True)
    email = email.strip().lower()
    expires = timezone.now() + MAX_AGE
    with transaction.atomic():
        row = InvitationRow.objects.create(entity=entity, email=email, invited_by=inviter, expires_at=expires)
        invitation_email_create(
            invitation=row,
            token=invitation_token(invitation=row),
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
    return row


def invitations_pending(*, entity: Entity) -> list[InvitationRow]:
    """The entity's invitations nobody has accepted, withdrawn or let expire, newest first."""
    return list(
        InvitationRow.objects.filter(
            entity=entity, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).select_related("invited_by")
    )


def invitation_withdraw(*, entity: Entity, invitation_id: int, actor: User) -> InvitationRow:
    """Withdraw a pending invitation (owners only): its link stops working."""
    services.membership_require(entity=entity, user=actor, owner=True)
    with transaction.atomic():
        row = InvitationRow.objects.select_for_update().filter(pk=invitation_id, entity=entity).first()
        if row is None or not row.is_pending():
            raise InvitationInvalid(_("This invitation is no longer pending."))
        row.revoked_at, row.revoked_by = timezone.now(), actor
        row.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    return row


def user_has_email(user: User, email: str) -> bool:
    """Whether ``email`` is the person's address (their account's or a verified one)."""
    email = email.strip().lower()
    if (getattr(user, "email", "") or "").lower() == email:
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def wrong_person_message(invitation: Invitation, user: User) -> str:
    return _(
        "This invitation was sent to %(invited)s, but you are logged in as %(current)s. "
        "Log out, then log in (or sign up) with %(invited)s to accept it."
    ) % {"invited": invitation.email, "current": user.email}


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the entity. The person must be logged in with the invited address."""
    if not user_has_email(user, invitation.email):
        raise InvitationForSomeoneElse(wrong_person_message(invitation, user))
    entity = Entity.objects.filter(pk=invitation.entity_id).first()
    if entity is None:
        raise InvitationInvalid(_("The entity you were invited to no longer exists."))
    with transaction.atomic():
        row = InvitationRow.objects.select_for_update().filter(pk=invitation.row_id).first()
        if row is None or row.revoked_at:
            raise InvitationWithdrawn(_("This invitation was withdrawn by the entity's owners."))
        if row.accepted_at:
            raise InvitationUsed(used_message())
        if row.expires_at <= timezone.now():
            raise _expired(MAX_AGE)
        if row.entity_id != entity.pk or not user_has_email(user, row.email):
            raise InvitationForSomeoneElse(wrong_person_message(invitation, user))
        row.accepted_at, row.accepted_by = timezone.now(), user
        row.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
        return services.membership_add(entity=entity, user=user)

"""Joining an organisation takes the person's consent: an admin invites an email address, and the person behind
it (signed in, with that address verified) accepts or declines. Declined and expired invitations are deleted.

The admin learns nothing about the address: inviting someone without an account, someone already in another
organisation, or anyone else gets the same answer.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from .. import errors
from ..config import settings
from ..data import accounts
from ..data import invitations as invitation_docs
from ..data.clock import utcnow
from ..data.invitations import Invitation
from . import access, identity, limits, members, orgs
from .identity import Caller

VALID_FOR = dt.timedelta(days=7)
# Enough to refuse what cannot be an address; Auth decides what a real one is.
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")


def _normalised_email(email: object) -> str:
    if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()):
        raise errors.bad_request('Send {"email": "<an email address>", "role": "member" | "admin"}.', "invalid-member")
    return email.strip().lower()


def invite(caller: Caller, org_id: str, read_invitation: Callable[[], tuple[object, object]]) -> dict[str, Any]:
    """Invite an address to `org_id` for a role (its admins; `read_invitation` gives the (email, role) once
    the caller may). Valid for 7 days; inviting again renews it. Always the same answer, whoever the address
    belongs to. 429 past the admin's INVITATIONS_PER_MINUTE or the org's INVITATIONS_PENDING_MAX (a renewal
    takes no new place)."""
    invited_by = access.require_admin(caller, org_id)
    email, role = read_invitation()
    if role not in members.ROLES:
        raise errors.bad_request(f"role must be one of: {', '.join(members.ROLES)}.", "invalid-role")
    email = _normalised_email(email)
    org = orgs.config_for(invited_by)
    limits.take_invitation(invited_by)
    now = utcnow()
    invitation: Invitation = {
        "orgId": org_id,
        "orgName": org.name,
        "email": email,
        "role": role,
        "invitedBy": invited_by.uid,
        "createdAt": now,
        "expiresAt": now + VALID_FOR,
    }
    stored = invitation_docs.put_unless_full(invitation, settings().invitations_pending_max)
    if stored is None:
        raise _too_many_pending(org_id)
    return _public(stored)


def _too_many_pending(org_id: str) -> errors.ApiError:
    # A place frees up when a pending invitation is withdrawn, accepted or declined, or at the latest when the
    # oldest one expires: that is when to try again.
    pending = [i for i in invitation_docs.for_org(org_id) if _current(i)]
    oldest_ends = min((i["expiresAt"] for i in pending), default=utcnow())
    return limits.too_many(
        "too-many-invitations",
        f"Your organisation has {len(pending)} pending invitations, the most it may hold: withdraw one, or wait "
        "until one is accepted, declined or expires.",
        math.ceil((oldest_ends - utcnow()).total_seconds()),
    )


def withdraw(caller: Caller, org_id: str, invite_id: str) -> None:
    """Take back one of the org's pending invitations (its admins; 404 for anything else)."""
    access.require_admin(caller, org_id)
    invitation = _read(invite_id)
    if invitation is None or invitation["orgId"] != org_id or not _current(invitation):
        raise _no_such_invitation()
    invitation_docs.delete(invite_id)


def pending_for_org(caller: Caller, org_id: str) -> list[dict[str, Any]]:
    """The org's pending invitations (its admins)."""
    access.require_admin(caller, org_id)
    return [_public(i) for i in invitation_docs.for_org(org_id) if _current(i)]


def mine(caller: Caller) -> list[dict[str, Any]]:
    """The caller's pending invitations (none until their email address is verified)."""
    return [_public(i) for i in invitation_docs.for_email(_verified_email(caller)) if _current(i)]


def accept(caller: Caller, invite_id: str) -> dict[str, Any]:
    """Join the invitation's org with its role; the invitation is used up. The app refreshes its ID token
    afterwards to carry the new claims (the API reads the account itself)."""
    invitation = _mine(caller, invite_id)
    account = accounts.by_uid(caller.uid)
    if account is None:
        raise errors.unauthenticated("This account has been deleted.", "account-deleted")
    member = members.enrol(invitation["orgId"], account, invitation["role"])
    invitation_docs.delete(invite_id)
    return {"org": invitation["orgId"], "orgName": invitation.get("orgName"), "role": member["role"]}


def decline(caller: Caller, invite_id: str) -> None:
    _mine(caller, invite_id)
    invitation_docs.delete(invite_id)


def _mine(caller: Caller, invite_id: str) -> Invitation:
    """The caller's own, unexpired invitation; 404 for anything else (someone else's looks like none)."""
    email = _verified_email(caller)
    invitation = _read(invite_id)
    if invitation is None or invitation.get("email") != email or not _current(invitation):
        raise _no_such_invitation()
    return invitation


def _read(invite_id: str) -> Invitation | None:
    # Ids come from URLs: anything that is not an id we issue is simply not found.
    return invitation_docs.read(invite_id) if re.fullmatch(r"[A-Za-z0-9_-]{1,200}", invite_id) else None


def _no_such_invitation() -> errors.ApiError:
    return errors.not_found("No such invitation (it may have expired, or been withdrawn).", "invitation-not-found")


def _verified_email(caller: Caller) -> str:
    """The caller's address once verified. A consent step decides on the account as Auth has it now: the
    person who was just told to verify their address is not refused again for this instance's older copy."""
    caller = identity.fresh(caller)
    # Without verification anyone could sign up with an invitee's address first and take their seat.
    if not caller.email or not caller.email_verified:
        raise errors.forbidden(
            "Verify your email address first: invitations are sent to verified addresses.", "email-not-verified"
        )
    return caller.email.strip().lower()


def _current(invitation: Invitation) -> bool:
    if invitation["expiresAt"] > utcnow():
        return True
    invitation_docs.delete(invitation["id"])  # the TTL policy would, later; nothing expired is left behind
    return False


def _public(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation["id"],
        "orgId": invitation["orgId"],
        "orgName": invitation.get("orgName"),
        "email": invitation["email"],
        "role": invitation["role"],
        "expiresAt": invitation["expiresAt"].isoformat().replace("+00:00", "Z"),
    }

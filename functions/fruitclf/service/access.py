"""Who may act on an organisation: its members read it; its admins change its settings, members and
invitations and read its figures and feedback export. Every service that acts on an org asks here, whichever
door the caller came through, so every door gets the same answer."""

from __future__ import annotations

from .. import errors
from . import identity
from .identity import Caller


def require_member(caller: Caller, org_id: str) -> Caller:
    if caller.org != org_id:
        raise errors.forbidden("You are not a member of this organisation.", "not-org-member")
    return caller


def require_admin(caller: Caller, org_id: str | None) -> Caller:
    """The one org-admin check. It decides on the account as Auth has it now, not on the token's claims (up to an
    hour old) nor this instance's recent copy: a demoted or removed admin cannot act even once. Returns that
    fresh caller."""
    caller = identity.fresh(caller)
    if not (org_id and caller.org == org_id and caller.is_org_admin):
        raise errors.forbidden("Only an admin of this organisation can do that.", "not-org-admin")
    return caller

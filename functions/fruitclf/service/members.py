"""Who belongs to an organisation: enrolment (after an accepted invitation, or by an operator), roles and
removal. Membership lives in the member's custom claims (what the API and the app read) and in
orgs/<orgId>/members/<uid> (what firestore.rules read). Joining takes consent: see invitations.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import errors
from ..data import accounts
from ..data import orgs as org_docs
from ..data.orgs import Member
from . import access, identity, orgs
from .identity import Caller
from .orgs import OrgConfig

ROLES = ("member", "admin")


def listing(caller: Caller, org_id: str) -> list[Member]:
    """The org's members (its admins)."""
    access.require_admin(caller, org_id)
    return org_docs.members(org_id)


def create_with_admin(org_id: str, name: str, admin_email: str, **fields: Any) -> tuple[OrgConfig, Member]:
    """The operator's way to start an org: create it with `admin_email` as its first admin, or leave nothing.
    The account is checked before anything is written; should enrolling fail even so, the org is removed."""
    account = accounts.by_email(admin_email)
    _check_can_join(account, org_id)
    config = orgs.create(org_id, name, **fields)
    try:
        return config, enrol(org_id, account, "admin")
    except BaseException:
        org_docs.delete(org_id)
        raise


def enrol(org_id: str, account: accounts.Account, role: str) -> Member:
    """Make `account` a member of `org_id` with `role`: its custom claims (what the API and the app read) and
    orgs/<orgId>/members/<uid> (what firestore.rules read). Only with the person's consent (an accepted
    invitation) or by an operator (the `admin` CLI)."""
    if role not in ROLES:
        raise errors.bad_request(f"role must be one of: {', '.join(ROLES)}.", "invalid-role")
    _check_can_join(account, org_id)
    accounts.set_claims(account.uid, {**account.claims, "org": org_id, "role": role})
    member: Member = {"uid": account.uid, "email": account.email, "role": role}
    org_docs.put_member(org_id, member)
    identity.forget(account.uid)
    return member


def _check_can_join(account: accounts.Account, org_id: str) -> None:
    if account.claims.get("org") not in (None, org_id):
        raise errors.ApiError(
            409, "in-another-org", "This account already belongs to another organisation; leave it first."
        )


def set_member(org_id: str, email: str, role: str) -> Member:
    """The operator's way in (the `admin` CLI): enrol the user with `email` directly."""
    return enrol(org_id, accounts.by_email(email), role)


def _not_a_member() -> errors.ApiError:
    return errors.not_found("No such member of this organisation (to add someone, invite them).", "member-not-found")


def _member_account(org_id: str, uid: str) -> accounts.Account:
    account = accounts.by_uid(uid)
    if account is None or account.claims.get("org") != org_id:
        raise _not_a_member()
    return account


def change_role(caller: Caller, org_id: str, read_change: Callable[[], tuple[str, str]]) -> Member:
    """Give an existing member another role (its admins; `read_change` gives the (email, role) once the caller
    may). Their sessions end (refresh tokens revoked), so the app signs in again and every token it holds
    carries the new role; nobody keeps an admin token after a demotion. Whether the email has no account or an
    account elsewhere, the answer is the same 404: this endpoint tells an admin nothing about who has an
    account."""
    changed_by = access.require_admin(caller, org_id).uid
    email, role = read_change()
    if role not in ROLES:
        raise errors.bad_request(f"role must be one of: {', '.join(ROLES)}.", "invalid-role")
    try:
        account = accounts.by_email(email)
    except errors.ApiError as exc:
        if exc.code == "user-not-found":
            raise _not_a_member() from None
        raise
    if account.claims.get("org") != org_id:
        raise _not_a_member()
    if account.uid == changed_by:
        raise errors.ApiError(409, "cannot-change-own-role", "Admins cannot change their own role; ask another admin.")
    accounts.set_claims(account.uid, {**account.claims, "role": role})
    member: Member = {"uid": account.uid, "email": account.email, "role": role}
    org_docs.put_member(org_id, member)
    _end_sessions(account.uid)
    return member


def remove(caller: Caller, org_id: str, uid: str) -> None:
    """Take `uid` out of the org (its admins); their sessions end."""
    removed_by = access.require_admin(caller, org_id).uid
    if uid == removed_by:
        raise errors.ApiError(409, "cannot-remove-self", "Admins cannot remove themselves; ask another admin.")
    account = _member_account(org_id, uid)
    claims = {k: v for k, v in account.claims.items() if k not in ("org", "role")}
    accounts.set_claims(uid, claims)
    org_docs.delete_member(org_id, uid)
    _end_sessions(uid)


def _end_sessions(uid: str) -> None:
    accounts.revoke_sessions(uid)
    identity.forget(uid)

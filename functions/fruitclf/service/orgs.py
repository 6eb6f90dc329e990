"""Organisations (tenants): which model, which features and what request rate a caller gets."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .. import errors
from ..config import settings
from ..data import accounts
from ..data import orgs as org_docs
from ..ml.model import available_models
from . import identity
from .identity import Caller

FEATURES = ("classification", "analytics", "second_opinion")
DEFAULT_FEATURES = FEATURES  # a new org, and a user without one, get every feature until an admin turns one off
_CACHE_TTL_S = 30.0


@dataclass(frozen=True)
class OrgConfig:
    org_id: str | None
    name: str | None
    model_id: str | None  # None: the default model
    features: tuple[str, ...]
    requests_per_minute: int

    def require_model(self) -> None:
        """An org pinned to a model this deployment does not have (only possible around the API: an admin SDK
        write, or a model withdrawn from a release) cannot classify until an admin picks another: a 503 for
        that org, counted in its error rate, never a crash."""
        if self.model_id is not None and self.model_id not in available_models():
            raise errors.unavailable(
                f"Your organisation's model {self.model_id!r} is not available on this server; an org admin can choose another (GET /api/model lists them).",
                "org-model-unavailable",
            )

    def require(self, feature: str) -> None:
        if feature not in self.features:
            who = f"Your organisation ({self.name or self.org_id})" if self.org_id else "This account"
            raise errors.forbidden(
                f"{who} does not have the '{feature}' feature enabled; an org admin can turn it on.", "feature-disabled"
            )

    def to_dict(self) -> dict:
        return {
            "id": self.org_id,
            "name": self.name,
            "modelId": self.model_id,
            "features": list(self.features),
            "requestsPerMinute": self.requests_per_minute,
        }


def default_config(anonymous: bool = False) -> OrgConfig:
    """A user without an org: every feature, except that an anonymous account (free to make by the thousand)
    never spends a second opinion."""
    features = tuple(f for f in DEFAULT_FEATURES if not (anonymous and f == "second_opinion"))
    return OrgConfig(None, None, None, features, settings().rate_limit_per_minute)


def from_document(org_id: str, data: dict) -> OrgConfig:
    features = tuple(f for f in data.get("features", DEFAULT_FEATURES) if f in FEATURES)
    rpm = data.get("requestsPerMinute")  # null: the RATE_LIMIT setting, as it is now
    return OrgConfig(
        org_id=org_id,
        name=data.get("name"),
        model_id=data.get("modelId") or None,
        features=features,
        requests_per_minute=int(rpm) if isinstance(rpm, int) and rpm > 0 else settings().rate_limit_per_minute,
    )


# Org documents change rarely and are read on every request: cache them per instance for a short while.
_cache: dict[str, tuple[float, OrgConfig]] = {}
_cache_lock = threading.Lock()


def config_for(caller: Caller) -> OrgConfig:
    if not caller.org:
        return default_config(anonymous=caller.anonymous)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(caller.org)
        if hit and now - hit[0] < _CACHE_TTL_S:
            return hit[1]
    data = org_docs.read(caller.org)
    if data is None:
        raise errors.forbidden(
            f"Your account belongs to organisation {caller.org!r}, which does not exist.", "unknown-org"
        )
    config = from_document(caller.org, data)
    with _cache_lock:
        _cache[caller.org] = (now, config)
    return config


def forget(org_id: str) -> None:
    with _cache_lock:
        _cache.pop(org_id, None)


def require_member(caller: Caller, org_id: str) -> None:
    if caller.org != org_id:
        raise errors.forbidden("You are not a member of this organisation.", "not-org-member")


def require_admin(caller: Caller, org_id: str | None) -> Caller:
    """The one org-admin check (settings, members, the org's figures and its feedback export). It decides on the
    account as Auth has it now, not on the token's claims (up to an hour old) nor this instance's recent
    copy: a demoted or removed admin cannot act even once. Returns that fresh caller."""
    caller = identity.fresh(caller)
    if not (org_id and caller.org == org_id and caller.is_org_admin):
        raise errors.forbidden("Only an admin of this organisation can do that.", "not-org-admin")
    return caller


# -- administration (the org-admin endpoints and the `admin` CLI share these)

ROLES = ("member", "admin")
EDITABLE = {"name", "features", "modelId", "requestsPerMinute"}


def validate_changes(changes: dict) -> dict:
    """Check an org update from a client; returns the clean fields or raises a 400."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise errors.bad_request(f"These fields cannot be changed: {', '.join(sorted(unknown))}.", "invalid-org-field")
    clean = {}
    if "name" in changes:
        if not isinstance(changes["name"], str) or not 1 <= len(changes["name"].strip()) <= 100:
            raise errors.bad_request("name must be 1 to 100 characters.", "invalid-org-field")
        clean["name"] = changes["name"].strip()
    if "features" in changes:
        features = changes["features"]
        if not isinstance(features, list) or not all(f in FEATURES for f in features):
            raise errors.bad_request(f"features must be a list drawn from: {', '.join(FEATURES)}.", "invalid-org-field")
        clean["features"] = sorted(set(features), key=FEATURES.index)
    if "modelId" in changes:
        if changes["modelId"] is not None and changes["modelId"] not in available_models():
            raise errors.bad_request(
                f"modelId must be null or one of: {', '.join(available_models())}.", "invalid-org-field"
            )
        clean["modelId"] = changes["modelId"]
    if "requestsPerMinute" in changes:
        rpm = changes["requestsPerMinute"]
        if not isinstance(rpm, int) or isinstance(rpm, bool) or not 1 <= rpm <= 100_000:
            raise errors.bad_request("requestsPerMinute must be a whole number from 1 to 100000.", "invalid-org-field")
        clean["requestsPerMinute"] = rpm
    return clean


def create_with_admin(org_id: str, name: str, admin_email: str, **fields) -> tuple[OrgConfig, dict]:
    """The operator's way to start an org: create it with `admin_email` as its first admin, or leave nothing.
    The account is checked before anything is written; should enrolling fail even so, the org is removed."""
    account = accounts.by_email(admin_email)
    _check_can_join(account, org_id)
    config = create(org_id, name, **fields)
    try:
        return config, enrol(org_id, account, "admin")
    except BaseException:
        org_docs.delete(org_id)
        raise


def create(org_id: str, name: str, **fields) -> OrgConfig:
    if not org_id.replace("-", "").isalnum() or len(org_id) > 64:
        raise errors.bad_request("An org id is letters, digits and dashes (at most 64).", "invalid-org-id")
    # requestsPerMinute null follows the RATE_LIMIT setting, so changing the setting reaches existing orgs too.
    data = {"name": name, "features": list(DEFAULT_FEATURES), "modelId": None, "requestsPerMinute": None}
    data.update(validate_changes(fields))
    data["name"] = name
    org_docs.create(org_id, data)
    return from_document(org_id, data)


def update(org_id: str, changes: dict) -> OrgConfig:
    clean = validate_changes(changes)
    data = org_docs.update(org_id, clean)
    forget(org_id)
    return from_document(org_id, data)


def enrol(org_id: str, account: accounts.Account, role: str) -> dict:
    """Make `account` a member of `org_id` with `role`: its custom claims (what the API and the app read) and
    orgs/<orgId>/members/<uid> (what firestore.rules read). Only with the person's consent (an accepted
    invitation) or by an operator (the `admin` CLI)."""
    if role not in ROLES:
        raise errors.bad_request(f"role must be one of: {', '.join(ROLES)}.", "invalid-role")
    _check_can_join(account, org_id)
    accounts.set_claims(account.uid, {**account.claims, "org": org_id, "role": role})
    member = {"uid": account.uid, "email": account.email, "role": role}
    org_docs.put_member(org_id, member)
    identity.forget(account.uid)
    return member


def _check_can_join(account: accounts.Account, org_id: str) -> None:
    if account.claims.get("org") not in (None, org_id):
        raise errors.ApiError(
            409, "in-another-org", "This account already belongs to another organisation; leave it first."
        )


def set_member(org_id: str, email: str, role: str) -> dict:
    """The operator's way in (the `admin` CLI): enrol the user with `email` directly."""
    return enrol(org_id, accounts.by_email(email), role)


def _not_a_member() -> errors.ApiError:
    return errors.not_found("No such member of this organisation (to add someone, invite them).", "member-not-found")


def _member_account(org_id: str, uid: str) -> accounts.Account:
    account = accounts.by_uid(uid)
    if account is None or account.claims.get("org") != org_id:
        raise _not_a_member()
    return account


def change_role(org_id: str, email: str, role: str, changed_by: str) -> dict:
    """Give an existing member another role. Their sessions end (refresh tokens revoked), so the app signs in
    again and every token it holds carries the new role; nobody keeps an admin token after a demotion.
    Whether the email has no account or an account elsewhere, the answer is the same 404: this endpoint tells
    an admin nothing about who has an account."""
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
    member = {"uid": account.uid, "email": account.email, "role": role}
    org_docs.put_member(org_id, member)
    _end_sessions(account.uid)
    return member


def remove_member(org_id: str, uid: str, removed_by: str) -> None:
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


def members(org_id: str) -> list[dict]:
    return org_docs.members(org_id)

"""Organisations (tenants): which model, which features and what request rate a caller gets."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from . import errors, store
from .auth import Caller
from .config import settings

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

    def require(self, feature: str) -> None:
        if feature not in self.features:
            who = f"Your organisation ({self.name or self.org_id})" if self.org_id else "This account"
            raise errors.forbidden(f"{who} does not have the '{feature}' feature enabled; an org admin can turn it on.", "feature-disabled")

    def to_dict(self) -> dict:
        return {
            "id": self.org_id,
            "name": self.name,
            "modelId": self.model_id,
            "features": list(self.features),
            "requests_per_minute": self.requests_per_minute,
        }


def default_config() -> OrgConfig:
    return OrgConfig(None, None, None, DEFAULT_FEATURES, settings().rate_limit_per_minute)


def from_document(org_id: str, data: dict) -> OrgConfig:
    features = tuple(f for f in data.get("features", DEFAULT_FEATURES) if f in FEATURES)
    rpm = data.get("requests_per_minute")
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
        return default_config()
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(caller.org)
        if hit and now - hit[0] < _CACHE_TTL_S:
            return hit[1]
    snapshot = store.org_doc(caller.org).get()
    if not snapshot.exists:
        raise errors.forbidden(f"Your account belongs to organisation {caller.org!r}, which does not exist.", "unknown-org")
    config = from_document(caller.org, snapshot.to_dict())
    with _cache_lock:
        _cache[caller.org] = (now, config)
    return config


def forget(org_id: str) -> None:
    with _cache_lock:
        _cache.pop(org_id, None)


# -- administration (the org-admin endpoints and the `admin` CLI share these)

ROLES = ("member", "admin")
EDITABLE = {"name", "features", "modelId", "requests_per_minute"}


def validate_changes(changes: dict) -> dict:
    """Check an org update from a client; returns the clean fields or raises a 400."""
    from .model import available_models

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
            raise errors.bad_request(f"modelId must be null or one of: {', '.join(available_models())}.", "invalid-org-field")
        clean["modelId"] = changes["modelId"]
    if "requests_per_minute" in changes:
        rpm = changes["requests_per_minute"]
        if not isinstance(rpm, int) or isinstance(rpm, bool) or not 1 <= rpm <= 100_000:
            raise errors.bad_request("requests_per_minute must be a whole number from 1 to 100000.", "invalid-org-field")
        clean["requests_per_minute"] = rpm
    return clean


def create(org_id: str, name: str, **fields) -> OrgConfig:
    if not org_id.replace("-", "").isalnum() or len(org_id) > 64:
        raise errors.bad_request("An org id is letters, digits and dashes (at most 64).", "invalid-org-id")
    data = {"name": name, "features": list(DEFAULT_FEATURES), "modelId": None, "requests_per_minute": settings().rate_limit_per_minute}
    data.update(validate_changes(fields))
    data["name"] = name
    store.org_doc(org_id).create({**data, "createdAt": store.utcnow()})
    return from_document(org_id, data)


def update(org_id: str, changes: dict) -> OrgConfig:
    clean = validate_changes(changes)
    ref = store.org_doc(org_id)
    if clean:
        ref.update(clean)
    forget(org_id)
    return from_document(org_id, ref.get().to_dict())


def user_by_email(email: str):
    from firebase_admin import auth

    from .clients import admin_app

    try:
        return auth.get_user_by_email(email, app=admin_app())
    except ValueError:
        raise errors.bad_request(f"{email[:100]!r} is not an email address.", "invalid-member")
    except auth.UserNotFoundError:
        raise errors.not_found(f"No user has the email {email!r}; they must sign up first.", "user-not-found")


def set_member(org_id: str, email: str, role: str) -> dict:
    """Give the user with `email` membership of `org_id` (custom claims) and record them as a member."""
    from firebase_admin import auth

    from .clients import admin_app

    if role not in ROLES:
        raise errors.bad_request(f"role must be one of: {', '.join(ROLES)}.", "invalid-role")
    user = user_by_email(email)
    claims = user.custom_claims or {}
    if claims.get("org") not in (None, org_id):
        raise errors.ApiError(409, "in-another-org", f"{email} already belongs to another organisation.")
    auth.set_custom_user_claims(user.uid, {**claims, "org": org_id, "role": role}, app=admin_app())
    member = {"uid": user.uid, "email": email, "role": role}
    store.org_doc(org_id).collection("members").document(user.uid).set({**member, "updatedAt": store.utcnow()})
    return member


def remove_member(org_id: str, uid: str) -> None:
    from firebase_admin import auth

    from .clients import admin_app

    try:
        user = auth.get_user(uid, app=admin_app())
    except (auth.UserNotFoundError, ValueError):
        raise errors.not_found("No such member.", "member-not-found")
    claims = dict(user.custom_claims or {})
    if claims.get("org") != org_id:
        raise errors.not_found("No such member.", "member-not-found")
    claims.pop("org", None)
    claims.pop("role", None)
    auth.set_custom_user_claims(uid, claims, app=admin_app())
    store.org_doc(org_id).collection("members").document(uid).delete()


def members(org_id: str) -> list[dict]:
    return [
        {k: v for k, v in s.to_dict().items() if k != "updatedAt"}
        for s in store.org_doc(org_id).collection("members").stream()
    ]

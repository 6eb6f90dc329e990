"""Organisations (tenants): which model, which features and what request rate a caller gets, and their settings.

Who may act on an org is decided in access.py; who belongs to one in members.py and invitations.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import errors
from ..config import settings
from ..data import orgs as org_docs
from ..data.orgs import OrgDocument
from ..ml.model import available_models
from . import access
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
    model_version: str | None = None  # the org's own pinned model version (service/org_models.py), over model_id
    rollout: dict[str, Any] | None = (
        None  # {version, share}: a candidate version for `share` percent of the org's users
    )

    def require_model(self) -> None:
        """An org pinned to a model this deployment does not have (only possible around the API: an admin SDK
        write, or a model withdrawn from a release) cannot classify until an admin picks another: a 503 for
        that org, counted in its error rate, never a crash. An org's own pinned version serves over `model_id`
        (service/org_models.py checks it as it loads)."""
        if self.model_version is None and self.model_id is not None and self.model_id not in available_models():
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.org_id,
            "name": self.name,
            "modelId": self.model_id,
            "features": list(self.features),
            "requestsPerMinute": self.requests_per_minute,
            "modelVersion": self.model_version,
        }


def default_config(anonymous: bool = False) -> OrgConfig:
    """A user without an org: every feature, except that an anonymous account (free to make by the thousand)
    never spends a second opinion."""
    features = tuple(f for f in DEFAULT_FEATURES if not (anonymous and f == "second_opinion"))
    return OrgConfig(None, None, None, features, settings().rate_limit_per_minute)


def from_document(org_id: str, data: OrgDocument) -> OrgConfig:
    features = tuple(f for f in data.get("features", DEFAULT_FEATURES) if f in FEATURES)
    rpm = data.get("requestsPerMinute")  # null: the RATE_LIMIT setting, as it is now
    return OrgConfig(
        org_id=org_id,
        name=data.get("name"),
        model_id=data.get("modelId") or None,
        features=features,
        requests_per_minute=int(rpm) if isinstance(rpm, int) and rpm > 0 else settings().rate_limit_per_minute,
        model_version=data.get("modelVersion") or None,
        rollout=data.get("modelRollout") or None,
    )


# Org documents change rarely and are read on every request: cache them per instance for a short while.
_cache: dict[str, tuple[float, OrgConfig]] = {}
_cache_lock = threading.Lock()


def config_for(caller: Caller) -> OrgConfig:
    if not caller.org:
        return default_config(anonymous=caller.anonymous)
    return config_of(caller.org)


def config_of(org_id: str, fresh: bool = False) -> OrgConfig:
    """An org's configuration (cached per instance for a short while; FRESH reads the document anyway and renews
    the cache); 403 `unknown-org` when it is gone."""
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(org_id)
        if hit and now - hit[0] < _CACHE_TTL_S and not fresh:
            return hit[1]
    data = org_docs.read(org_id)
    if data is None:
        raise errors.forbidden(f"Your account belongs to organisation {org_id!r}, which does not exist.", "unknown-org")
    config = from_document(org_id, data)
    with _cache_lock:
        _cache[org_id] = (now, config)
    return config


def forget(org_id: str) -> None:
    with _cache_lock:
        _cache.pop(org_id, None)


def key(org_id: str) -> str:
    """The name an org's shared counters go by: its rate-limit window and its ops figures."""
    return f"org-{org_id}"


def read(caller: Caller, org_id: str) -> OrgConfig:
    """The org's settings, for its members, read fresh: a settings page must show what an admin just saved even when
    another instance saved it (the cache is for the checks every request makes, not for this rare read)."""
    access.require_member(caller, org_id)
    return config_of(org_id, fresh=True)


# -- administration (the org-admin endpoints and the `admin` CLI share these)

EDITABLE = {"name", "features", "modelId", "requestsPerMinute"}


def validate_changes(changes: dict[str, Any]) -> OrgDocument:
    """Check an org update from a client; returns the clean fields or raises a 400."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise errors.bad_request(f"These fields cannot be changed: {', '.join(sorted(unknown))}.", "invalid-org-field")
    clean: OrgDocument = {}
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


def create(org_id: str, name: str, **fields: Any) -> OrgConfig:
    if not org_id.replace("-", "").isalnum() or len(org_id) > 64:
        raise errors.bad_request("An org id is letters, digits and dashes (at most 64).", "invalid-org-id")
    # requestsPerMinute null follows the RATE_LIMIT setting, so changing the setting reaches existing orgs too.
    data: OrgDocument = {"name": name, "features": list(DEFAULT_FEATURES), "modelId": None, "requestsPerMinute": None}
    data.update(validate_changes(fields))
    data["name"] = name
    org_docs.create(org_id, data)
    return from_document(org_id, data)


def update(caller: Caller, org_id: str, read_changes: Callable[[], dict[str, Any]]) -> OrgConfig:
    """Change the org's settings (its admins). `read_changes` is called once the caller may: a refused caller's
    body is never read."""
    access.require_admin(caller, org_id)
    clean = validate_changes(read_changes())
    data = org_docs.update(org_id, clean)
    forget(org_id)
    return from_document(org_id, data)

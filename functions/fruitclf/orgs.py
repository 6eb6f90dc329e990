"""Organisations (tenants): which model, which features and what request rate a caller gets."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from . import errors, store
from .auth import Caller
from .config import settings

FEATURES = ("classification", "analytics", "second_opinion")
DEFAULT_FEATURES = ("classification", "analytics", "second_opinion")
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
    snapshot = store.org_doc(caller.org).get(timeout=settings().firestore_deadline_s)
    if not snapshot.exists:
        raise errors.forbidden(f"Your account belongs to organisation {caller.org!r}, which does not exist.", "unknown-org")
    config = from_document(caller.org, snapshot.to_dict())
    with _cache_lock:
        _cache[caller.org] = (now, config)
    return config


def forget(org_id: str) -> None:
    with _cache_lock:
        _cache.pop(org_id, None)

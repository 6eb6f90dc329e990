"""The model a caller's browser runs on the device: the org version serving them (a rollout's candidate or the
pinned one), handed only to them with their ID token, or else the shipped default, public under /models/.

What the browser needs to run it exactly as the server does comes from the version's card: the labels, the
abstain threshold, the `preprocessing` object and whether the output is logits. The file is the stored version
checked against its registered hash, so a browser never receives a file the server itself would refuse to load.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .. import errors
from ..data import blobs, model_versions
from ..ml.model import get_classifier
from . import orgs
from .identity import Caller
from .org_models import READY, version_for

FILE_URL = "/api/me/model/file"


def _unavailable(version: str) -> errors.ApiError:
    return errors.unavailable(
        f"Your organisation's model version {version!r} cannot be sent to this device now; the server still answers.",
        "org-model-unavailable",
    )


def _serving(caller: Caller) -> tuple[str, str] | None:
    """(org, version) of the org version serving the caller; None when a shipped model serves them."""
    org = orgs.config_for(caller)
    version = version_for(org, caller.uid)
    return (org.org_id, version) if org.org_id and version else None


def _ready_doc(org_id: str, version: str) -> dict[str, Any]:
    doc = model_versions.read(org_id, version)
    if doc is None or doc.get("status") != READY:
        raise _unavailable(version)
    return doc


def describe(caller: Caller) -> dict[str, Any]:
    """What the caller's device runs. `version` null: the shipped model `id` (the browser has it from
    /models/device.json); otherwise the org version with what running it takes, its file at `url`."""
    serving = _serving(caller)
    if serving is None:
        return {"version": None, "id": get_classifier(orgs.config_for(caller).model_id).model_id}
    org_id, version = serving
    doc = _ready_doc(org_id, version)
    card = doc["card"]
    return {
        "version": version,
        "id": f"{org_id}/{version}",  # as classifications record it (`modelVersion`)
        "name": doc.get("name") or version,
        "sha256": doc["sha256"],
        "bytes": doc["bytes"],
        "labels": list(doc["labels"]),
        "abstainThreshold": float(card.get("abstain_threshold", 0.5)),
        "preprocessing": card["preprocessing"],
        "outputKind": card.get("output", {}).get("kind", "probabilities"),
        "url": FILE_URL,
    }


def model_file(caller: Caller) -> tuple[str, bytes]:
    """(sha256, bytes) of the org version serving the caller; 404 when a shipped model serves them (it is
    public), 503 when the version cannot be served (not ready, or its stored file is not the one registered)."""
    serving = _serving(caller)
    if serving is None:
        raise errors.not_found(
            "No organisation model serves you: your device runs the public default model (/models/device.json).",
            "no-org-model",
        )
    org_id, version = serving
    doc = _ready_doc(org_id, version)
    data = blobs.get_if_exists(model_versions.model_path(org_id, version))
    if data is None or hashlib.sha256(data).hexdigest() != doc["sha256"]:
        raise _unavailable(version)
    return doc["sha256"], data

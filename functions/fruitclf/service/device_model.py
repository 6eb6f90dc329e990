"""The model a caller's browser runs on the device: the org version serving them (a rollout's candidate or the
pinned one), handed only to them with their ID token; a shipped model their org chose instead of the default, the
same way; or else the shipped default, public under /models/ (the web build puts only that one there).

What the browser needs to run it exactly as the server does comes from the version's card: the labels, the
abstain threshold, the `preprocessing` object and whether the output is logits. The file is the stored version
checked against its registered hash, so a browser never receives a file the server itself would refuse to load.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from .. import errors
from ..data import blobs, model_versions
from ..ml.model import Classifier, default_model_id, get_classifier
from . import orgs
from .identity import Caller
from .org_models import READY, version_for

FILE_URL = "/api/me/model/file"
# The most a browser downloads for its model (docs/model.md); a bigger shipped model answers on the server only.
DEVICE_MAX_BYTES = 6 * 1024 * 1024


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


def _sent_to_devices(shipped: Classifier) -> bool:
    """A shipped model goes through FILE_URL when the caller's org chose it over the default (which devices get from
    /models/), it fits a device, and the browser can prepare its input (its card says how)."""
    return (
        shipped.model_id != default_model_id()
        and shipped.preprocessing is not None
        and (shipped.path / "model.tflite").stat().st_size <= DEVICE_MAX_BYTES
    )


@functools.lru_cache(maxsize=4)
def _shipped_file(model_id: str) -> tuple[str, bytes]:
    """(sha256, bytes) of a shipped model: read once per instance (the files change only with a deploy)."""
    data = (get_classifier(model_id).path / "model.tflite").read_bytes()
    return hashlib.sha256(data).hexdigest(), data


def _ready_doc(org_id: str, version: str) -> dict[str, Any]:
    doc = model_versions.read(org_id, version)
    if doc is None or doc.get("status") != READY:
        raise _unavailable(version)
    return doc


def describe(caller: Caller) -> dict[str, Any]:
    """What the caller's device runs. `version` null: the shipped model `id` (the default: the browser has it from
    /models/device.json); otherwise the org version, or the shipped model the org chose, with what running it
    takes, its file at `url`."""
    serving = _serving(caller)
    if serving is None:
        shipped = get_classifier(orgs.config_for(caller).model_id)
        if not _sent_to_devices(shipped):
            return {"version": None, "id": shipped.model_id}
        sha256, data = _shipped_file(shipped.model_id)
        return {
            "version": shipped.model_id,  # a shipped model has no versions: its id names it
            "id": shipped.model_id,  # as classifications record it (`modelVersion`)
            "name": shipped.model_id,
            "sha256": sha256,
            "bytes": len(data),
            "labels": list(shipped.labels),
            "abstainThreshold": shipped.abstain_threshold,
            "preprocessing": shipped.preprocessing,
            "outputKind": "logits" if shipped.outputs_logits else "probabilities",
            "url": FILE_URL,
        }
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
    """(sha256, bytes) of the org version or chosen shipped model serving the caller; 404 when the default serves
    them (it is public) or a shipped model too big for a device, 503 when an org version cannot be served (not
    ready, or its stored file is not the one registered)."""
    serving = _serving(caller)
    if serving is None:
        shipped = get_classifier(orgs.config_for(caller).model_id)
        if _sent_to_devices(shipped):
            return _shipped_file(shipped.model_id)
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

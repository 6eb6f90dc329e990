"""An organisation's own model versions on the emulators, as an org admin's client makes them: the files go to
the org's upload folder in Storage, then POST /api/orgs/<org>/models registers them and the validation
function decides ready or rejected.

The models are the tiny classifiers of tests/support/tflite_models.py (32x32 float32 input, MEAN -> FULLY_CONNECTED
-> SOFTMAX): class i answers channel i, so a red photo is the first label, a green one the second.
"""

from __future__ import annotations

import json

import requests

from support import emulators
from support import tflite_models as tm
from support.emulators import API


def card(**changes) -> dict:
    base = {
        "name": "Tiny",
        "abstain_threshold": 0.334,
        "preprocessing": {"size": 32, "mean": 127, "scale": 128, "dtype": "float32"},
    }
    return {**base, **changes}


def upload(org_id: str, upload_name: str, labels: list[str], model: bytes | None = None, card_: dict | None = None):
    """Put the three files in orgs/<org>/models/uploads/<upload>/ (as the org admin's client does)."""
    bucket = emulators.bucket()
    files = {
        "model.tflite": (
            model if model is not None else tm.classifier(classes=len(labels)),
            "application/octet-stream",
        ),
        "labels.txt": ("\n".join(labels).encode(), "text/plain"),
        "card.json": (json.dumps(card_ if card_ is not None else card()).encode(), "application/json"),
    }
    for name, (data, content_type) in files.items():
        bucket.blob(f"orgs/{org_id}/models/uploads/{upload_name}/{name}").upload_from_string(
            data, content_type=content_type
        )


def register(admin, org_id: str, version: str, **body) -> requests.Response:
    return requests.post(
        f"{API}/orgs/{org_id}/models", json={"version": version, **body}, headers=admin.headers, timeout=60
    )


def version_doc(org_id: str, version: str) -> dict | None:
    snapshot = emulators.firestore().document("orgs", org_id, "modelVersions", version).get()
    return snapshot.to_dict() if snapshot.exists else None


def decided(org_id: str, version: str) -> dict:
    """The version once the validation function has decided (ready or rejected)."""
    return emulators.wait_for(
        lambda: (doc := version_doc(org_id, version)) and doc["status"] != "validating" and doc, timeout_s=120
    )


def add_version(admin, org_id: str, version: str, labels: list[str], model: bytes | None = None, **card_changes):
    """Upload, register and wait for the decision; returns the version document."""
    upload(org_id, version, labels, model, card(**card_changes))
    response = register(admin, org_id, version)
    assert response.status_code == 202, response.text
    return decided(org_id, version)


def pin(admin, org_id: str, version: str) -> requests.Response:
    return requests.post(f"{API}/orgs/{org_id}/models/{version}/pin", headers=admin.headers, timeout=60)


def rollback(admin, org_id: str) -> requests.Response:
    return requests.post(f"{API}/orgs/{org_id}/models/rollback", headers=admin.headers, timeout=60)


def rollout(admin, org_id: str, version: str, share) -> requests.Response:
    return requests.post(
        f"{API}/orgs/{org_id}/models/{version}/rollout", json={"share": share}, headers=admin.headers, timeout=60
    )


def classify(user, color=(200, 40, 40)) -> requests.Response:
    return requests.post(
        f"{API}/classify",
        headers=user.headers,
        files={"image": ("p.jpg", emulators.jpeg_bytes(color=color), "image/jpeg")},
        timeout=60,
    )

"""The model a member's browser runs (GET /api/me/model and its file): the org version serving them, the very
one the server answers them with (pinned, or a rollout's candidate for their bucket), with what running it takes;
the public default for everyone else."""

import hashlib
import json
from pathlib import Path

import pytest
import requests

from fruitclf.service.org_models import rollout_bucket
from support import emulators
from support import org_models as om
from support import tflite_models as tm
from support.emulators import API

LABELS = ["red-apple", "green-pear", "blue-plum"]
SHIPPED = Path(__file__).resolve().parents[2] / "functions" / "models"


def device_model(user) -> requests.Response:
    return requests.get(f"{API}/me/model", headers=user.headers, timeout=60)


def device_model_file(user) -> requests.Response:
    return requests.get(f"{API}/me/model/file", headers=user.headers, timeout=60)


def test_a_member_gets_the_pinned_version_with_its_card_and_file(org, admin, member):
    model = tm.classifier(classes=3, side=48, input_dtype=tm.UINT8, head=None)
    spec = {"size": 48, "mean": 0, "scale": 1, "dtype": "uint8"}
    version = om.add_version(admin, org, "v1", LABELS, model, preprocessing=spec, output={"kind": "logits"})
    assert version["status"] == "ready", version["report"]["reasons"]
    assert om.pin(admin, org, "v1").status_code == 200

    described = device_model(member)
    assert described.status_code == 200, described.text
    assert described.json() == {
        "version": "v1",
        "id": f"{org}/v1",
        "name": "Tiny",
        "sha256": hashlib.sha256(model).hexdigest(),
        "bytes": len(model),
        "labels": LABELS,
        "abstainThreshold": 0.334,
        "preprocessing": spec,
        "outputKind": "logits",
        "url": "/api/me/model/file",
    }
    file = device_model_file(member)
    assert file.status_code == 200 and file.content == model
    assert file.headers["ETag"] == f'"{hashlib.sha256(model).hexdigest()}"'
    assert file.headers["Cache-Control"] == "no-store"  # no shared cache keeps it
    # the device runs what the server answers with
    assert om.classify(member).json()["modelVersion"] == described.json()["id"]


def test_during_a_rollout_each_users_device_gets_the_version_the_server_answers_them_with(org, admin):
    for version in ("v1", "v2"):
        assert om.add_version(admin, org, version, LABELS)["status"] == "ready"
    assert om.pin(admin, org, "v1").status_code == 200
    assert om.rollout(admin, org, "v2", 50).status_code == 200
    members = {}
    while len(members) < 2:  # one user inside the rollout's half, one outside (each signup is a coin toss)
        someone = emulators.join_org(emulators.sign_up(), org, "member")
        members.setdefault(rollout_bucket(org, someone.uid) < 50, someone)
    for inside, someone in members.items():
        described = device_model(someone).json()
        assert described["version"] == ("v2" if inside else "v1")
        assert om.classify(someone).json()["modelVersion"] == described["id"]
        assert hashlib.sha256(device_model_file(someone).content).hexdigest() == described["sha256"]


def test_without_an_org_version_the_device_runs_the_public_default(user, org, member):
    served = om.classify(user).json()["modelVersion"]
    for someone in (user, member):  # no org; an org that pinned nothing
        described = device_model(someone)
        assert described.status_code == 200 and described.json() == {"version": None, "id": served}
        file = device_model_file(someone)
        assert file.status_code == 404 and file.json()["error"]["code"] == "no-org-model"


@pytest.mark.parametrize("model_id", ["fruit-lite0-v5", "fruit-lite0-v5-soup"])
def test_a_shipped_model_the_org_chose_reaches_its_members_devices_with_its_card(org, admin, member, user, model_id):
    """fruit-lite0-v5 and its soup fit a device (3.8 MB each): an org that chose one gets it on its members' devices,
    the very file the server answers them with, through the same door as an org version; everyone else keeps the
    public default."""
    chosen = requests.patch(f"{API}/orgs/{org}", json={"modelId": model_id}, headers=admin.headers, timeout=30)
    assert chosen.status_code == 200, chosen.text
    shipped = SHIPPED / model_id
    card = json.loads((shipped / "model_card.json").read_text())
    data = (shipped / "model.tflite").read_bytes()
    # the API's org cache may hold the old choice for up to 30 s on another instance (docs/models.md)
    described = emulators.wait_for(lambda: (r := device_model(member)).json().get("version") and r, every_s=2)
    assert described.json() == {
        "version": model_id,
        "id": model_id,
        "name": model_id,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "labels": (shipped / "labels.txt").read_text().split(),
        "abstainThreshold": card["abstain_threshold"],
        "preprocessing": card["preprocessing"],
        "outputKind": "probabilities",
        "url": "/api/me/model/file",
    }
    file = device_model_file(member)
    assert file.status_code == 200 and file.content == data
    assert file.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert om.classify(member).json()["modelVersion"] == described.json()["id"]
    assert device_model(user).json()["version"] is None  # outside the org: the default, from /models/

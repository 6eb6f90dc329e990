"""training/feedback.py closes the corrections loop without a redeploy: `publish` uploads a retrained model
folder as a version of the org's own model through the admin CLI, the validation function passes it, and once
pinned it answers the org. The model is a tiny one written by the flatbuffers builder (no torch in CI) in the
folder layout `retrain` writes (model.tflite, labels.txt, model_card.json)."""

import json

import pytest

from support import org_models as om
from support import tflite_models as tm
from training import feedback

LABELS = ["red-apple", "green-pear", "blue-plum"]


@pytest.fixture
def retrained(tmp_path):
    folder = tmp_path / "fruit-tiny-fb1"
    folder.mkdir()
    (folder / "model.tflite").write_bytes(tm.classifier(classes=len(LABELS)))
    (folder / "labels.txt").write_text("\n".join(LABELS) + "\n")
    card = {"model_id": "fruit-tiny-fb1", "parent_model": "fruit-tiny", "abstain_threshold": 0.334}
    card["preprocessing"] = om.card()["preprocessing"]
    card["head"] = {"offset": 0}  # the rest of our own card stays out of the org's
    (folder / "model_card.json").write_text(json.dumps(card))
    return folder


def test_a_retrained_model_is_published_as_an_org_version_that_then_serves_the_org(org, admin, member, retrained):
    registered = feedback.publish(retrained, org, "fb1", admin.email, notes="from 40 corrections")
    assert (registered["version"], registered["status"], registered["notes"]) == (
        "fb1",
        "validating",
        "from 40 corrections",
    )
    assert registered["card"] == {
        "name": "fruit-tiny-fb1 (retrained on feedback)",
        "notes": "training.feedback retrain of fruit-tiny",
        "abstain_threshold": 0.334,
        "preprocessing": om.card()["preprocessing"],
    }
    assert om.decided(org, "fb1")["status"] == "ready"
    assert om.pin(admin, org, "fb1").status_code == 200
    assert om.classify(member).json()["modelVersion"] == f"{org}/fb1"


def test_publishing_as_a_member_is_refused_with_the_services_message(org, member, retrained):
    with pytest.raises(SystemExit, match="Only an admin"):
        feedback.publish(retrained, org, "fb1", member.email)
    assert om.version_doc(org, "fb1") is None

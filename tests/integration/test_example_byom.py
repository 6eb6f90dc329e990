"""docs/models.md "Worked example", run end to end on the emulators, step by step as the page tells it: train a
tiny model on three labels, export it to .tflite with a card, upload and register it, validation, pin, classify
through HTTP and the Storage trigger, a second version rolled out to half the users, rollback, and the
dashboard's per-version figures.

Training: a softmax head on each photo's mean colour (numpy), written to .tflite with the flatbuffers builder
(tests/support/tflite_models.py): no torch and no TensorFlow, so it runs in CI. It trains on 30 photos per
label of the tests' own generated photos (three colours with noise), and again on 30 photos per label from the
shared Fruits-360 tar (../shared/datasets, MANIFEST.md) where that is there (not in CI): the steps are the same."""

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import requests
from PIL import Image

from fruitclf.ml import preprocess
from fruitclf.ml.model import Classifier
from fruitclf.service.org_models import rollout_bucket
from support import emulators
from support import org_models as om
from support import tflite_models as tm
from support.emulators import API

SHARED_TAR = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "fruits360-subset.tar"
LABELS = ["banana", "lime", "pomegranate"]
FRUITS360_FOLDERS = {"banana": "Banana", "lime": "Limes", "pomegranate": "Pomegranate"}
COLOURS = {"banana": (225, 195, 60), "lime": (110, 175, 50), "pomegranate": (165, 35, 50)}
PREPROCESSING = {"size": 32, "mean": 127, "scale": 128, "dtype": "float32"}
PER_LABEL = 30


def shared_photos() -> dict[str, list[bytes]]:
    photos: dict[str, list[bytes]] = {label: [] for label in LABELS}
    folders = {f"fruits360-subset/Training/{folder}/": label for label, folder in FRUITS360_FOLDERS.items()}
    with tarfile.open(SHARED_TAR) as tar:
        for member in tar:
            label = next((lab for prefix, lab in folders.items() if member.name.startswith(prefix)), None)
            if label and member.isfile() and len(photos[label]) < PER_LABEL + 1:
                photos[label].append(tar.extractfile(member).read())
    return photos


def generated_photos() -> dict[str, list[bytes]]:
    rng = np.random.default_rng(17)
    photos: dict[str, list[bytes]] = {}
    for label, colour in COLOURS.items():
        photos[label] = []
        for _ in range(PER_LABEL + 1):
            pixels = np.clip(np.array(colour) + rng.normal(0, 25, (120, 160, 3)), 0, 255).astype(np.uint8)
            out = io.BytesIO()
            Image.fromarray(pixels).save(out, "JPEG", quality=90)
            photos[label].append(out.getvalue())
    return photos


def features(photo: bytes) -> np.ndarray:
    """What the model's MEAN op computes: the mean of its preprocessed input per channel."""
    return preprocess.spec_input(preprocess.load_rgb(photo), PREPROCESSING)[0].mean(axis=(0, 1))


def train(photos: dict[str, list[bytes]], steps: int) -> tuple[np.ndarray, np.ndarray]:
    """A softmax head (weights [classes, 3], biases) on the mean colour, by gradient descent."""
    x = np.array([features(p) for label in LABELS for p in photos[label]])
    y = np.repeat(np.arange(len(LABELS)), [len(photos[label]) for label in LABELS])
    w, b = np.zeros((len(LABELS), 3)), np.zeros(len(LABELS))
    for _ in range(steps):
        logits = x @ w.T + b
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1
        w -= 2.0 * p.T @ x / len(y)
        b -= 2.0 * p.mean(axis=0)
    return w, b


def export(weights: np.ndarray, biases: np.ndarray, name: str) -> tuple[bytes, dict]:
    """The .tflite and its card."""
    model = tm.classifier(classes=len(LABELS), weights=weights, biases=biases)
    return model, {"name": name, "abstain_threshold": 0.4, "preprocessing": PREPROCESSING, "labels": LABELS}


@pytest.fixture(scope="module", params=["generated", "shared"])
def photos(request) -> dict[str, list[bytes]]:
    """Per label: training photos, and the last one held out for classifying."""
    if request.param == "generated":
        return generated_photos()
    if not SHARED_TAR.is_file():
        pytest.skip(f"no shared datasets here ({SHARED_TAR}); the generated photos stand in, as in CI")
    return shared_photos()


def served(user, photo: bytes) -> dict:
    response = requests.post(
        f"{API}/classify", headers=user.headers, files={"image": ("p.jpg", photo, "image/jpeg")}, timeout=60
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_the_worked_example_of_docs_models_md(org, admin, member, photos):
    training = {label: photos[label][:-1] for label in LABELS}
    held_out = {label: photos[label][-1] for label in LABELS}

    # 1. Train and export; the exported file answers as the numpy head does.
    model, card = export(*train(training, steps=300), name="Three fruits")
    exported = Classifier.from_bytes("example", model, LABELS, card)
    for label in LABELS:
        assert exported.classify(preprocess.load_rgb(held_out[label])).label == label

    # 2. Upload the three files to the org's upload folder, register, and the validation function decides.
    om.upload(org, "v1", LABELS, model, card)
    assert om.register(admin, org, "v1", notes="mean-colour head").status_code == 202
    v1 = om.decided(org, "v1")
    assert v1["status"] == "ready", v1["report"]["reasons"]
    assert "accuracy" in v1["report"]

    # 3. Pin it: the org's members are answered by it, through HTTP and through the Storage trigger.
    assert om.pin(admin, org, "v1").json() == {"serving": "v1", "history": []}
    for label in LABELS:
        answer = served(member, held_out[label])
        assert (answer["label"], answer["modelVersion"]) == (label, f"{org}/v1")
    emulators.bucket().blob(f"uploads/{member.uid}/lime.jpg").upload_from_string(
        held_out["lime"], content_type="image/jpeg"
    )
    [mobile] = emulators.wait_for(
        lambda: [d.to_dict() for d in emulators.user_documents(member.uid) if d.get("source") == "mobile"]
    )
    assert (mobile["label"], mobile["modelVersion"]) == ("lime", f"{org}/v1")

    # 4. A second version, longer trained, rolled out to half the org's users (the same users every time).
    model2, card2 = export(*train(training, steps=1500), name="Three fruits, longer")
    om.upload(org, "v2", LABELS, model2, card2)
    assert om.register(admin, org, "v2").status_code == 202
    assert om.decided(org, "v2")["status"] == "ready"
    assert om.rollout(admin, org, "v2", 50).json() == {"rollout": {"version": "v2", "share": 50}}
    users = [emulators.join_org(emulators.sign_up(), org, "member") for _ in range(6)]
    for user in users:
        expected = "v2" if rollout_bucket(org, user.uid) < 50 else "v1"
        assert served(user, held_out["banana"])["modelVersion"] == f"{org}/{expected}"

    # 5. Roll back: stop the rollout (everyone on v1), or pin v2 for everyone and roll back to v1.
    stopped = requests.delete(f"{API}/orgs/{org}/models/rollout", headers=admin.headers, timeout=30)
    assert stopped.status_code == 204
    assert om.pin(admin, org, "v2").json() == {"serving": "v2", "history": ["v1"]}
    assert om.rollback(admin, org).json() == {"serving": "v1", "history": []}
    assert {served(user, held_out["banana"])["modelVersion"] for user in users} == {f"{org}/v1"}

    # 6. The dashboard's figures per version, side by side.
    figures = requests.get(f"{API}/orgs/{org}/stats", headers=admin.headers, timeout=30).json()["models"]
    rows = {row["model"]: row for row in figures}
    chose_v2 = sum(rollout_bucket(org, user.uid) < 50 for user in users)
    assert rows[f"{org}/v1"]["requests"] == len(LABELS) + 1 + (len(users) - chose_v2) + len(users)
    assert rows.get(f"{org}/v2", {"requests": 0})["requests"] == chose_v2
    assert all(row["latencyMs"]["p50"] for row in figures)

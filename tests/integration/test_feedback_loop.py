"""Users' corrections become a model (docs/model.md, "Corrections become training data"): export the feedback,
fetch the corrected photos from Storage, retrain the current model's head on them, compare both models on the
same photos, pin the new model for one organisation, then make it the default.

The API runs in-process against the emulators with its own models folder (the shipped models plus the new one),
so publishing a model does not touch the repository's functions/models."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from integration.inprocess import post_image
from support import emulators
from training import feedback


@pytest.fixture
def models_dir(tmp_path):
    """A models folder holding the shipped models (linked) and their DEFAULT, for the app under test."""
    from fruitclf.ml import model

    shipped = model.models_dir()
    folder = tmp_path / "models"
    folder.mkdir()
    for model_id in model.available_models():
        (folder / model_id).symlink_to(shipped / model_id)
    (folder / "DEFAULT").write_text(model.default_model_id())
    return folder


def striped_photo(seed: int) -> bytes:
    """A photo-sized picture no shipped model calls papaya: magenta and teal stripes with some noise."""
    rng = np.random.default_rng(seed)
    stripes = (np.arange(480)[:, None] // (20 + 4 * seed)) % 2
    pixels = np.where(stripes[..., None], [200, 30, 160], [20, 150, 150]) + rng.normal(0, 12, (480, 640, 3))
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_corrections_train_a_model_that_one_org_gets_first_then_everyone(client_with, models_dir, tmp_path):
    app_client = client_with(models_dir=str(models_dir))
    base = (models_dir / "DEFAULT").read_text().strip()
    org = emulators.make_org()
    admin = emulators.join_org(emulators.sign_up(), org, "admin")
    outsider = emulators.sign_up()

    # people classify photos and correct the answers
    docs = [post_image(app_client, admin, data=striped_photo(seed)).get_json() for seed in range(4)]
    assert all(doc["modelVersion"] == base and doc["label"] != "papaya" for doc in docs)
    for doc in docs:
        fixed = app_client.post(
            f"/api/classifications/{doc['id']}/feedback", json={"label": "papaya"}, headers=admin.headers
        )
        assert fixed.status_code == 200, fixed.get_json()

    # 1. the organisation's export, and its photos from Storage (Admin SDK)
    export = app_client.get("/api/feedback/export?scope=org&format=jsonl", headers=admin.headers)
    assert export.status_code == 200
    (tmp_path / "feedback.jsonl").write_bytes(export.data)
    labels = (models_dir / base / "labels.txt").read_text().split()
    fetched = feedback.fetch(feedback.read_export(tmp_path / "feedback.jsonl"), tmp_path / "photos", labels)
    assert fetched == {"kept": {doc["id"]: "papaya" for doc in docs}, "skipped": []}

    # 2. a new model version: the current model with its head retrained on those photos
    candidate = f"{base}-fb-test"
    report = feedback.retrain(models_dir / base, tmp_path / "photos", models_dir / candidate)
    assert report["photos"] == 4 and report["top1_before"] == 0.0 and report["top1_after"] == 1.0
    card = json.loads((models_dir / candidate / "model_card.json").read_text())
    assert card["model_id"] == candidate and card["parent_model"] == base

    # 3. both models on the same photos, through `python -m fruitclf evaluate`
    compared = feedback.compare(models_dir, base, candidate, [tmp_path / "photos"])[str(tmp_path / "photos")]
    assert compared[base]["top1"] == 0.0 and compared[candidate]["top1"] == 1.0

    # 4. pinned for one organisation: its people get the new model, everyone else the default
    pinned = app_client.patch(f"/api/orgs/{org}", json={"modelId": candidate}, headers=admin.headers)
    assert pinned.status_code == 200, pinned.get_json()
    again = post_image(app_client, admin, data=striped_photo(1)).get_json()
    assert again["modelVersion"] == candidate and again["label"] == "papaya"
    assert post_image(app_client, outsider, data=striped_photo(1)).get_json()["modelVersion"] == base

    # 5. then the default for everyone
    (models_dir / "DEFAULT").write_text(candidate)
    assert post_image(app_client, outsider, data=striped_photo(2)).get_json()["modelVersion"] == candidate

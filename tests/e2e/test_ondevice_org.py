"""An organisation's own model on the device: a member's browser runs the org version serving them (fetched with
their ID token, kept by its hash), prepares its input as the version's card says (size, uint8 or float32, value
range) and reads logits as the server does. The agreement test is the default model's (test_ondevice.py): both
paths on the same photos, the same top-1 and the same model, with the confidences side by side."""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pytest
import requests
from actions import both_answers, pick, sign_in, wait_until_held
from PIL import Image
from playwright.sync_api import Page, expect

from support import emulators
from support import org_models as om
from support import tflite_models as tm
from support.emulators import API

PHOTOS = Path(__file__).resolve().parents[2] / ".cache" / "test-photos"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
REAL_PHOTOS = 24  # with the generated ones, 30 a model: within a member's 60 classifications a minute
MIN_AGREEMENT = 0.95
LABELS = ["red-apple", "green-pear", "blue-plum"]  # the tiny models answer the dominant colour channel
# The two kinds of card the browser must follow: float32 (x - 127) / 128 with probabilities, raw uint8 pixels at
# another size with logits.
MODELS = {
    "float32": (
        lambda: tm.classifier(classes=3, side=32),
        {"preprocessing": {"size": 32, "mean": 127, "scale": 128, "dtype": "float32"}},
    ),
    "uint8-logits": (
        lambda: tm.classifier(classes=3, side=48, input_dtype=tm.UINT8, head=None),
        {"preprocessing": {"size": 48, "mean": 0, "scale": 1, "dtype": "uint8"}, "output": {"kind": "logits"}},
    ),
}


def generated_photos(into: Path) -> list[Path]:
    """Photo-sized pictures dominated by each colour in turn, as JPEG (drafted at decode) and PNG."""
    rng = np.random.default_rng(17)
    photos = []
    for index, color in enumerate([(200, 60, 50), (60, 190, 70), (50, 70, 210)]):
        noise = rng.normal(0, 30, (480, 640, 3))
        pixels = Image.fromarray(np.clip(np.array(color) + noise, 0, 255).astype(np.uint8), "RGB")
        for suffix in (".jpg", ".png"):
            photos.append(into / f"generated-{index}{suffix}")
            pixels.save(photos[-1])
    return photos


@pytest.fixture
def real_photos(browser) -> list[Path]:
    photos = sorted(p for p in PHOTOS.glob("*") if p.suffix.lower() in PHOTO_SUFFIXES)[:REAL_PHOTOS]
    if len(photos) < REAL_PHOTOS:
        pytest.skip(
            f"only {len(photos)} photos under {PHOTOS} (scripts/fetch_test_photos.sh): the test needs {REAL_PHOTOS}"
        )
    return photos


def member_of_an_org_serving(kind: str):
    """A new org whose pinned version is MODELS[kind], and a member of it."""
    make_model, card = MODELS[kind]
    org_id = emulators.make_org()
    admin = emulators.join_org(emulators.sign_up(), org_id, "admin")
    version = om.add_version(admin, org_id, "v1", LABELS, make_model(), **card)
    assert version["status"] == "ready", version["report"]["reasons"]
    assert om.pin(admin, org_id, "v1").status_code == 200
    return org_id, emulators.join_org(emulators.sign_up(), org_id, "member")


@pytest.mark.parametrize("kind", MODELS)
def test_device_and_server_agree_with_an_org_model(page: Page, real_photos, tmp_path, kind):
    org_id, member = member_of_an_org_serving(kind)
    page.goto("/")
    sign_in(page, member.email, member.password)
    expect(page.get_by_role("heading", name="Classify a fruit")).to_be_visible()
    agreed, disagreements, gaps = 0, [], []
    photos = real_photos + generated_photos(tmp_path)
    for photo in photos:
        device, server = both_answers(page, photo)
        assert server["modelVersion"] == f"{org_id}/v1"
        assert device["model"] == f"{org_id}/v1"
        assert device["label"] in LABELS
        gaps.append(abs(device["confidence"] - server["confidence"]))
        if device["label"] == server["label"]:
            agreed += 1
        else:
            disagreements.append(f"{photo.name}: device {device['label']}, server {server['label']}")
    share = agreed / len(photos)
    print(
        f"\n{kind}: on-device vs server top-1 agreement {agreed}/{len(photos)} = {share:.1%}; confidence gap median "
        f"{statistics.median(gaps):.4f}, max {max(gaps):.4f}"
    )
    assert share >= MIN_AGREEMENT, disagreements
    # generated pictures are far from any tie: there the two must agree exactly on the label
    assert not [line for line in disagreements if line.startswith("generated-")], disagreements


def test_the_org_model_file_comes_with_the_token_and_is_kept_by_its_hash(page: Page, tmp_path):
    org_id, member = member_of_an_org_serving("float32")
    downloads = []
    page.on("request", lambda request: request.url.endswith("/api/me/model/file") and downloads.append(request))
    page.goto("/")
    sign_in(page, member.email, member.password)
    expect(page.locator(f'html[data-device-model="{org_id}/v1"]')).to_have_count(1, timeout=90_000)
    assert len(downloads) == 1 and downloads[0].headers["authorization"].startswith("Bearer ")
    kept = page.evaluate(
        "async () => (await (await caches.open('org-models')).keys()).map((request) => new URL(request.url).search)"
    )
    assert len(kept) == 1 and kept[0].startswith("?sha256=")
    page.reload()  # a new page: the file comes from the device's cache, not the network
    expect(page.locator(f'html[data-device-model="{org_id}/v1"]')).to_have_count(1, timeout=90_000)
    assert len(downloads) == 1


def member_of_an_org_on(model_id: str):
    org_id = emulators.make_org()
    admin = emulators.join_org(emulators.sign_up(), org_id, "admin")
    chosen = requests.patch(f"{API}/orgs/{org_id}", json={"modelId": model_id}, headers=admin.headers, timeout=30)
    assert chosen.status_code == 200, chosen.text
    return emulators.join_org(emulators.sign_up(), org_id, "member")


@pytest.mark.parametrize("model_id", ["fruit-lite0-v5", "fruit-lite0-v5-soup"])
def test_device_and_server_agree_with_a_shipped_model_the_org_chose(page: Page, real_photos, model_id):
    """v5 and its soup fit a device: a member of an org that chose one gets it in the browser (with their token, kept
    by its hash), and the device and the server give the same answers, from that model, not from the default."""
    member = member_of_an_org_on(model_id)
    downloads = []
    page.on("request", lambda request: request.url.endswith("/api/me/model/file") and downloads.append(request))
    page.goto("/")
    sign_in(page, member.email, member.password)
    expect(page.locator(f'html[data-device-model="{model_id}"]')).to_have_count(1, timeout=90_000)
    assert len(downloads) == 1 and downloads[0].headers["authorization"].startswith("Bearer ")
    agreed, disagreements = 0, []
    for photo in real_photos:
        device, server = both_answers(page, photo)
        assert device["model"] == server["modelVersion"] == model_id
        if device["label"] == server["label"]:
            agreed += 1
        else:
            disagreements.append(f"{photo.name}: device {device['label']}, server {server['label']}")
    print(f"\n{model_id} on-device vs server top-1 agreement {agreed}/{len(real_photos)}")
    assert agreed / len(real_photos) >= MIN_AGREEMENT, disagreements


def test_a_chosen_shipped_model_too_big_for_a_device_is_answered_by_the_server_not_the_devices_default(
    page: Page, tmp_path
):
    """A shipped model over the device budget is described without a file ({"version": null, "id": ...}, what
    service/device_model.py answers then; the route below gives that answer, since every model shipped today fits):
    the device must not answer with the default instead. The device stands aside and the server's answer shows.
    The upload is held until the device has given up, so a device answer could not hide behind it."""
    member = member_of_an_org_on("fruit-lite0-v5")
    page.route("**/api/me/model", lambda route: route.fulfill(json={"version": None, "id": "fruit-lite0-v5"}))
    page.goto("/")
    sign_in(page, member.email, member.password)
    expect(page.get_by_role("heading", name="Classify a fruit")).to_be_visible()

    held = []
    page.route("**/api/classify", lambda route: held.append(route))
    with page.expect_console_message(lambda m: "No answer from this device" in m.text, timeout=90_000) as refused:
        pick(page, generated_photos(tmp_path)[0])
    assert "fruit-lite0-v5 answers on the server only" in refused.value.text
    expect(page.get_by_test_id("device-result")).to_have_count(0)
    wait_until_held(page, held)
    with page.expect_response("**/api/classify") as response_info:
        held[0].continue_()
    page.unroute("**/api/classify")
    assert response_info.value.json()["modelVersion"] == "fruit-lite0-v5"
    expect(page.get_by_test_id("result")).to_be_visible()

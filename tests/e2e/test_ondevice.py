"""The model in the browser: LiteRT.js runs the shipped .tflite, answers first (marked as on this device), and
the server's answer replaces it. The agreement test runs both paths on real photos and requires the same top-1."""

from __future__ import annotations

import os
import statistics
import tarfile
import uuid
from pathlib import Path

import pytest
from actions import (
    CLASSIFY_TIMEOUT_MS,
    both_answers,
    classify,
    pick,
    sign_out,
    sign_up,
    try_anonymously,
    wait_until_held,
)
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
OPENCV_PHOTOS = ROOT / ".cache" / "test-photos"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
MIN_PHOTOS = 30
MIN_AGREEMENT = 0.95
PHOTOS_PER_USER = 40  # the API allows 60 classifications a minute per account (guests 10)
# From the shared datasets' test splits, when present: (tar, photos per class folder)
DATASET_SAMPLES = [("realworld-grocerystore", 2), ("realworld-extra", 1), ("nonfruit-negatives", 2)]


def datasets_dir() -> Path | None:
    for candidate in (os.environ.get("FRUITCLF_DATASETS"), ROOT.parent / "shared" / "datasets"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def dataset_photos(into: Path) -> list[Path]:
    """A few test-split photos per class, extracted to a temporary folder (never into the repository)."""
    folder = datasets_dir()
    if folder is None:
        return []
    photos = []
    for name, per_class in DATASET_SAMPLES:
        tar_path = folder / f"{name}.tar"
        if not tar_path.exists():
            continue
        taken: dict[str, int] = {}
        with tarfile.open(tar_path) as tar:
            for member in sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name):
                parts = member.name.split("/")  # <set>/test/<class>/<file>
                if len(parts) != 4 or parts[1] != "test" or Path(parts[3]).suffix.lower() not in PHOTO_SUFFIXES:
                    continue
                if taken.get(parts[2], 0) >= per_class:
                    continue
                taken[parts[2]] = taken.get(parts[2], 0) + 1
                target = into / name / parts[2] / parts[3]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
                photos.append(target)
    return photos


def test_the_device_answers_first_then_the_servers_answer_replaces_it(page: Page, orange_photo, screenshot):
    try_anonymously(page)
    held = []
    page.route("**/api/classify", lambda route: held.append(route))
    pick(page, orange_photo)
    device_card = page.get_by_test_id("device-result")
    expect(device_card).to_contain_text("On this device", timeout=CLASSIFY_TIMEOUT_MS)
    expect(device_card.locator(".verdict-label")).to_have_text("Orange")
    expect(device_card).to_contain_text("The server's answer replaces this in a moment.")
    expect(device_card.get_by_role("group", name="Feedback on this answer")).to_have_count(
        0
    )  # nothing to give feedback on yet
    screenshot(page, "classify-on-device")
    wait_until_held(page, held)
    held[0].continue_()
    page.unroute("**/api/classify")
    result = page.get_by_test_id("result")
    expect(result.locator(".verdict-label")).to_have_text("Orange", timeout=CLASSIFY_TIMEOUT_MS)
    expect(result).not_to_contain_text("On this device")
    expect(result.get_by_role("group", name="Feedback on this answer")).to_be_visible()
    expect(device_card).to_have_count(0)


def test_the_result_card_shows_nutrition_with_its_source_and_licence(page: Page, orange_photo):
    try_anonymously(page)
    classify(page, orange_photo)
    nutrition = page.get_by_test_id("result").get_by_test_id("nutrition")
    expect(nutrition).to_contain_text("Orange: per 100 g of the edible part")
    for name in ("Energy", "Sugars", "Fibre", "Vitamin C", "Potassium"):
        expect(nutrition.get_by_role("row", name=name)).to_be_visible()
    expect(nutrition.get_by_role("row", name="Vitamin C")).to_contain_text("53.2 mg")
    expect(nutrition).to_contain_text("USDA FoodData Central")
    expect(nutrition).to_contain_text("Public domain")


def test_device_and_server_agree_on_real_photos(page: Page, model_labels, tmp_path):
    photos = sorted(p for p in OPENCV_PHOTOS.glob("*") if p.suffix.lower() in PHOTO_SUFFIXES) + dataset_photos(tmp_path)
    if len(photos) < MIN_PHOTOS:
        pytest.skip(
            f"only {len(photos)} real photos (opencv-doc samples from scripts/fetch_test_photos.sh, "
            f"shared dataset test splits): the agreement test needs {MIN_PHOTOS}"
        )
    agreed, disagreements, device_ms, server_ms = 0, [], [], []
    for index, photo in enumerate(photos):
        if index % PHOTOS_PER_USER == 0:
            if index:
                sign_out(page)
            sign_up(page, f"agree-{uuid.uuid4().hex[:10]}@example.com", "correct-horse-9")
        device, server = both_answers(page, photo)
        device_ms.append(device["infer_ms"])
        server_ms.append(server["timings"]["infer"])
        if device["label"] == server["label"]:
            agreed += 1
        else:
            disagreements.append(
                f"{photo.relative_to(tmp_path) if photo.is_relative_to(tmp_path) else photo.name}: "
                f"device {device['label']}, server {server['label']} ({server['confidence']:.2f})"
            )
    share = agreed / len(photos)
    print(f"\non-device vs server top-1 agreement: {agreed}/{len(photos)} = {share:.1%}")
    for line in disagreements:
        print(f"  disagreement: {line}")
    print(
        f"inference, median of {len(device_ms)}: on this device (Chromium, LiteRT.js wasm) {statistics.median(device_ms):.1f} ms "
        f"(min {min(device_ms):.1f}, max {max(device_ms):.1f}); server (functions emulator) {statistics.median(server_ms):.1f} ms "
        f"(min {min(server_ms):.1f}, max {max(server_ms):.1f})"
    )
    assert share >= MIN_AGREEMENT, disagreements

"""Facts that several tiers must agree on, each with one source; where a tier needs its own copy (security rules,
the web app's first paint before /api/me answers, firebase.json), this checks the copy against the source."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fruitclf.config import Settings
from fruitclf.ml.images import ACCEPTED_FORMATS
from support import emulators

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def defaults(monkeypatch) -> Settings:
    for name in ("MAX_UPLOAD_SIZE", "MAX_IMAGE_PIXELS", "RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    return Settings()


def read(path: str) -> str:
    return (REPO / path).read_text()


def arithmetic(expression: str) -> int:
    """Evaluate a product such as `10 * 1024 * 1024` (all these files write their sizes that way)."""
    factors = [int(part) for part in expression.split("*")]
    product = 1
    for factor in factors:
        product *= factor
    return product


def test_the_upload_size_limit_is_the_same_everywhere(defaults):
    rules = re.search(r"request\.resource\.size <= ([\d\s*]+)", read("storage.rules"))
    web = re.search(r"maxUploadBytes: ([\d\s*]+),", read("frontend/src/errors.js"))
    assert rules and web, "storage.rules and frontend/src/errors.js state the upload size"
    assert arithmetic(rules[1]) == arithmetic(web[1]) == defaults.max_upload_size
    assert f"`{defaults.max_upload_size}`" in read("README.md"), "the README's settings table"


def test_the_accepted_image_types_are_the_same_everywhere():
    served = set(ACCEPTED_FORMATS.values())
    web = re.search(r"acceptedTypes: \[([^\]]*)\]", read("frontend/src/errors.js"))
    assert web and set(re.findall(r'"([^"]+)"', web[1])) == served
    assert "contentType.matches('image/.*')" in read("storage.rules") and all(t.startswith("image/") for t in served)


def test_the_pixel_limit_in_the_readme_is_the_configured_one(defaults):
    assert f"`{defaults.max_image_pixels}`" in read("README.md")


def test_emulator_ports_come_from_firebase_json():
    ports = {
        name: str(spec["port"])
        for name, spec in json.loads(read("firebase.json"))["emulators"].items()
        if isinstance(spec, dict) and "port" in spec
    }
    assert emulators.AUTH.endswith(":" + ports["auth"])
    assert emulators.FIRESTORE_HOST.endswith(":" + ports["firestore"])
    assert emulators.STORAGE.endswith(":" + ports["storage"])
    assert emulators.HOSTING.endswith(":" + ports["hosting"])
    assert f"port: {ports['firestore']}" in read("tests/rules/firestore.test.mjs")
    assert f'"http://127.0.0.1:{ports["auth"]}"' in read("frontend/src/firebase.js"), "the web app's Auth emulator"
    assert f"http://127.0.0.1:{ports['auth']}" in read("firebase.json").split('"emulators"')[0], "the CSP allows it"


def test_every_model_has_the_abstain_label_the_server_and_the_web_app_name():
    models = [path.parent.name for path in (REPO / "functions" / "models").glob("*/labels.txt")]
    assert models
    for model_id in models:
        labels = read(f"functions/models/{model_id}/labels.txt").split()
        assert "not_fruit" in labels, model_id
    assert 'label === "not_fruit"' in read("frontend/src/dom.js")

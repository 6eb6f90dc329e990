"""ml/model_validation (with ml/model_sandbox and its child, ml/model_probe): a good model is ready, the report
lists every check, the CLI prints it; hostile files are in tests/hostile/test_model_files.py."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import FUNCTIONS
from fruitclf.config import Settings
from fruitclf.ml import model, model_sandbox, preprocess
from fruitclf.ml.model_checks import CHECK_NAMES
from fruitclf.ml.model_validation import validate_model
from support import tflite_models as tm

DEFAULT = FUNCTIONS / "models" / model.default_model_id()
GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "golden_input.png"
TINY_CARD = {"abstain_threshold": 0.5, "preprocessing": {"size": 32, "mean": 127, "scale": 128, "dtype": "float32"}}


@pytest.fixture(scope="module")
def shipped():
    pytest.importorskip("tflite_runtime.interpreter", reason="the serving runtime (tflite-runtime) is not installed")
    labels = model.labels_from_text((DEFAULT / "labels.txt").read_text())
    card = json.loads((DEFAULT / "model_card.json").read_text())
    return DEFAULT / "model.tflite", labels, card


def test_the_default_model_is_ready_and_every_check_is_listed_in_order(shipped):
    report = validate_model(*shipped, images=[GOLDEN])
    assert report.ready, report.reasons
    assert [c.name for c in report.checks] == list(CHECK_NAMES)
    assert all(c.status == "passed" for c in report.checks) and report.reasons == ()
    assert report.check("outputs").figures["images"] == 9  # eight generated images and the golden one
    assert report.check("latency").figures["threads"] == 1
    assert set(report.figures["check_ms"]) == set(CHECK_NAMES)
    assert 0 < report.figures["child_peak_rss_mb"] < Settings().model_validation_memory_mb


def test_bytes_and_a_path_give_the_same_verdict_and_the_report_is_json(shipped):
    path, labels, card = shipped
    as_bytes = validate_model(path.read_bytes(), labels, card).to_dict()
    as_path = validate_model(path, labels, card).to_dict()
    assert as_bytes["status"] == as_path["status"] == "ready"
    assert [c["name"] for c in as_bytes["checks"]] == [c["name"] for c in as_path["checks"]]
    assert json.loads(json.dumps(as_bytes, allow_nan=False)) == as_bytes


def test_a_uint8_model_and_a_flagged_logits_model_are_ready():
    uint8 = {**TINY_CARD, "preprocessing": {"size": 32, "mean": 0, "scale": 1, "dtype": "uint8"}}
    assert validate_model(tm.classifier(input_dtype=tm.UINT8), list("abc"), uint8).ready
    logits = {**TINY_CARD, "output": {"kind": "logits"}}
    assert validate_model(tm.classifier(head=None), list("abc"), logits).ready


def test_the_settings_passed_in_are_the_limits_used():
    strict = dataclasses.replace(Settings(), model_max_bytes=100, model_max_labels=2)
    report = validate_model(tm.classifier(), list("abc"), TINY_CARD, strict)
    assert not report.ready
    assert [c.name for c in report.checks if c.status == "failed"] == ["size", "labels"]


def test_the_child_gets_no_inherited_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    assert "OPENAI_API_KEY" not in model_sandbox._child_env()
    assert model_sandbox._child_env()["PYTHONPATH"] == str(FUNCTIONS)


@pytest.mark.parametrize(
    "returncode, timed_out, stderr, words",
    [
        (-9, True, "", "wall-clock limit"),
        (-signal.SIGXCPU, False, "", "used up its 60 s of CPU time"),
        (-signal.SIGKILL, False, "", "was killed: past its 60 s of CPU time"),
        (-signal.SIGABRT, False, "terminate called after throwing an instance of 'std::bad_alloc'", "of memory"),
        (-signal.SIGSEGV, False, "", "crashed the runtime (SIGSEGV)"),
        (3, False, "Traceback...\nValueError: boom", "status 3 (ValueError: boom)"),
    ],
)
def test_how_the_child_died_is_told_in_words(returncode, timed_out, stderr, words):
    assert words in model_sandbox._death(returncode, timed_out, stderr, Settings())


def test_spec_input_follows_the_card_and_matches_training_for_the_shipped_spec():
    img = Image.open(GOLDEN).convert("RGB")
    spec = json.loads((DEFAULT / "model_card.json").read_text())["preprocessing"]
    assert np.array_equal(preprocess.spec_input(img, spec), preprocess.to_input(img, spec["size"]))
    raw = preprocess.spec_input(img, {"size": 40, "mean": 0, "scale": 1, "dtype": "uint8"})
    assert raw.dtype == np.uint8 and raw.shape == (1, 40, 40, 3)
    per_channel = preprocess.spec_input(img, {"size": 8, "mean": [0, 100, 200], "scale": [1, 2, 4], "dtype": "float32"})
    pixels = preprocess.spec_input(img, {"size": 8, "mean": 0, "scale": 1, "dtype": "uint8"}).astype(np.float32)
    assert np.allclose(per_channel, (pixels - [0, 100, 200]) / [1, 2, 4])


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "fruitclf", "validate-model", *args], cwd=FUNCTIONS, capture_output=True, text=True
    )


def test_cli_prints_the_report_and_exits_0_when_ready_1_when_rejected_2_when_unreadable(shipped, tmp_path):
    path, _, _ = shipped
    ready = _cli(str(path), "--labels", str(DEFAULT / "labels.txt"), "--card", str(DEFAULT / "model_card.json"))
    assert ready.returncode == 0 and ready.stdout.splitlines()[0].endswith(": ready")
    assert len(ready.stdout.splitlines()) == 1 + len(CHECK_NAMES)
    labels = tmp_path / "labels.txt"
    labels.write_text("apple\napple\n")
    rejected = _cli(str(path), "--labels", str(labels), "--card", str(DEFAULT / "model_card.json"), "--json")
    report = json.loads(rejected.stdout)
    assert rejected.returncode == 1 and report["status"] == "rejected"
    assert any(r.startswith("labels: label 2 'apple' repeats label 1") for r in report["reasons"])
    card = tmp_path / "card.json"
    card.write_text("{not json")
    unreadable = _cli(str(path), "--labels", str(labels), "--card", str(card))
    assert unreadable.returncode == 2 and "cannot read the labels or the card" in unreadable.stderr


def test_the_caller_gets_the_models_outputs_on_its_own_images_for_the_accuracy_check(tmp_path):
    pytest.importorskip("tflite_runtime.interpreter", reason="the serving runtime (tflite-runtime) is not installed")
    photos = []
    for name, colour in (("red", (220, 20, 20)), ("blue", (20, 20, 220))):
        photos.append(tmp_path / f"{name}.png")
        Image.new("RGB", (64, 64), colour).save(photos[-1])
    report = validate_model(tm.classifier(classes=3), ["r", "g", "b"], TINY_CARD, images=photos)
    assert report.ready, report.reasons
    assert set(report.image_outputs) == {str(p) for p in photos}, "only the caller's images, by the path given"
    red, blue = (report.image_outputs[str(p)] for p in photos)
    assert int(np.argmax(red)) == 0 and int(np.argmax(blue)) == 2
    assert "image_outputs" not in json.dumps(report.to_dict()), "the stored report holds figures, not every vector"

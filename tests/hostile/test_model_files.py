"""Hostile model files, labels and cards fed to the model validator (issue 17, items 2 and 7).

Each case is rejected with the check and the reason an organisation's admin would read, and the process that
validated it is fine afterwards: no exception reached it, its own limits are unchanged, no child process or
temporary model file is left behind (the autouse fixture). Files are made at test time: the shipped model's
flatbuffer edited in place, or tiny models written with the TFLite schema (tests/support/tflite_models.py).
These cases need no emulator: the validator is a library the upload API and the validation function call.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import resource
import tempfile

import numpy as np
import pytest

from fruitclf.config import Settings
from fruitclf.ml import model
from fruitclf.ml.model_validation import validate_model
from support import tflite_models as tm

pytestmark = pytest.mark.no_emulators

SHIPPED_DIR = pathlib.Path(model.__file__).resolve().parents[2] / "models" / "fruit-lite0-v4"
SHIPPED = (SHIPPED_DIR / "model.tflite").read_bytes()
SHIPPED_LABELS = model.labels_from_text((SHIPPED_DIR / "labels.txt").read_text())
SHIPPED_CARD = json.loads((SHIPPED_DIR / "model_card.json").read_text())
TINY_LABELS = ["apple", "banana", "kiwi"]
TINY_CARD = {"abstain_threshold": 0.5, "preprocessing": {"size": 32, "mean": 127, "scale": 128, "dtype": "float32"}}
LIMITS = (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_CORE, resource.RLIMIT_FSIZE)


def _children() -> list[int]:
    me = str(os.getpid())
    found = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:
            found.append(int(stat.parent.name))
    return found


def _model_temp_dirs() -> set[str]:
    return {p.name for p in pathlib.Path(tempfile.gettempdir()).glob("fruitclf-model-*")}


@pytest.fixture(autouse=True)
def parent_is_fine():
    """The validating process after each case: same limits, no leftover child, no leftover model file."""
    limits = [resource.getrlimit(r) for r in LIMITS]
    temp_dirs = _model_temp_dirs()
    children = set(_children())  # a session fixture elsewhere may keep a helper process of its own
    yield
    assert [resource.getrlimit(r) for r in LIMITS] == limits
    assert set(_children()) <= children
    assert _model_temp_dirs() <= temp_dirs
    assert float(np.float32(2) * 2) == 4.0  # numpy (and the interpreter) still work


def rejected(report, check: str, *words: str) -> str:
    """The report is a rejection by `check`, whose detail holds every word; returns the detail."""
    assert report.status == "rejected", report.to_dict()
    failed = [c for c in report.checks if c.status == "failed"]
    assert check in [c.name for c in failed], report.reasons
    detail = report.check(check).detail
    for word in words:
        assert word in detail, detail
    assert any(reason.startswith(f"{check}: ") for reason in report.reasons)
    return detail


def never_ran(report) -> None:
    for stage in ("loads", "outputs", "latency"):
        assert report.check(stage).status == "skipped"


def settings(**changes) -> Settings:
    return dataclasses.replace(Settings(), **changes)


def shipped(data: bytes, labels=None, card=None, **limits):
    return validate_model(data, SHIPPED_LABELS if labels is None else labels, card or SHIPPED_CARD, settings(**limits))


def tiny(data: bytes, labels=None, card=None, **limits):
    return validate_model(data, labels or TINY_LABELS, card or TINY_CARD, settings(**limits))


# ------------------------------------------------------------------------------------------------ not a model
def test_an_empty_file():
    report = shipped(b"")
    rejected(report, "size", "empty")
    never_ran(report)


def test_random_bytes():
    report = shipped(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    rejected(report, "flatbuffer", "not a TFLite model")
    never_ran(report)


def test_random_bytes_behind_a_tflite_identifier():
    noise = np.random.default_rng(2).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    report = shipped(noise[:4] + b"TFL3" + noise[8:])
    rejected(report, "flatbuffer")
    never_ran(report)


def test_an_image_uploaded_as_the_model():
    png = (pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "golden_input.png").read_bytes()
    rejected(shipped(png), "flatbuffer", "identifier is not TFL3")


@pytest.mark.parametrize("keep", [16, 1000, 0.5, 0.99], ids=["16-bytes", "1000-bytes", "half", "99-percent"])
def test_a_truncated_model(keep):
    cut = SHIPPED[: keep if isinstance(keep, int) else int(len(SHIPPED) * keep)]
    report = shipped(cut)
    rejected(report, "flatbuffer", "truncated or corrupt")
    never_ran(report)


def test_a_wrong_schema_version():
    rejected(tiny(tm.with_version(tm.classifier(), 7)), "flatbuffer", "schema version 7")


@pytest.mark.parametrize("seed", range(4))
def test_random_damage_to_the_models_tables_never_raises(seed):
    """Bytes flipped among the flatbuffer's tables (the end of the file): whatever the damage, a report."""
    rng = np.random.default_rng(seed)
    data = bytearray(SHIPPED)
    for pos in rng.integers(len(data) - 16_000, len(data), 12):
        data[pos] = int(rng.integers(0, 256))
    report = shipped(bytes(data))
    assert report.status in ("ready", "rejected")
    assert len(report.checks) == 11


# ------------------------------------------------------------------------------------------------ size
def test_a_file_over_the_size_limit():
    report = shipped(SHIPPED, model_max_bytes=1_000_000)
    rejected(report, "size", "larger than the 1000000-byte limit", "MODEL_MAX_BYTES")
    never_ran(report)


def test_an_oversize_file_on_disk_is_never_read(tmp_path, monkeypatch):
    huge = tmp_path / "model.tflite"
    with huge.open("wb") as f:
        f.truncate(64 * 1024 * 1024)  # sparse: 64 MB declared, nothing written
    read = []
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: read.append(self) or b"")
    report = validate_model(huge, SHIPPED_LABELS, SHIPPED_CARD)
    rejected(report, "size", str(64 * 1024 * 1024))
    assert read == []


# ------------------------------------------------------------------------------------------------ ops
def test_a_custom_op():
    report = tiny(tm.classifier(head="MySoftmax"))
    rejected(report, "ops", "custom op 'MySoftmax'", "only builtin ops")
    never_ran(report)


def test_a_flex_op():
    report = tiny(tm.classifier(head="FlexSoftmax"))
    rejected(report, "ops", "Flex (TensorFlow) op 'FlexSoftmax'")
    never_ran(report)


def test_a_custom_op_with_a_megabyte_name_gives_a_short_report():
    report = tiny(tm.classifier(head="X" * 1_000_000))
    rejected(report, "ops", "custom op 'XXXX")
    assert len(json.dumps(report.to_dict())) < 5_000


def test_a_graph_declaring_many_inputs_is_not_walked():
    report = tiny(tm.classifier(inputs=100_000))
    rejected(report, "flatbuffer", "100000 inputs; at most 16 are read")


def test_the_shipped_models_convolutions_turned_into_custom_ops():
    report = shipped(tm.with_op_code(SHIPPED, old=3, new=32))  # CONV_2D -> CUSTOM, no name
    rejected(report, "ops", "custom op ''")


def test_an_op_code_the_runtime_does_not_know():
    rejected(shipped(tm.with_op_code(SHIPPED, old=3, new=250)), "ops", "unknown builtin op code 250")


def test_control_flow_graphs():
    rejected(tiny(tm.classifier(graphs=3)), "ops", "3 graphs", "WHILE")


# ------------------------------------------------------------------------------------------------ input, output
def test_wrong_input_rank():
    report = shipped(tm.with_input_shape(SHIPPED, [1, 224, 224]))
    rejected(report, "input", "input shape [1, 224, 224]", "[1, H, W, 3]")
    never_ran(report)


def test_wrong_input_dtype():
    rejected(tiny(tm.classifier(input_dtype=tm.INT16)), "input", "input type int16")


def test_an_enormous_input_shape():
    report = shipped(tm.with_input_shape(SHIPPED, [1, 100_000, 100_000, 3]))
    rejected(report, "input", "100000x100000", "MODEL_INPUT_SIDE_MIN/MAX")
    never_ran(report)


def test_a_negative_input_shape():
    rejected(shipped(tm.with_input_shape(SHIPPED, [1, -224, 224, 3])), "input", "from 32 to 1024")


def test_a_batch_of_images_or_four_channels():
    rejected(shipped(tm.with_input_shape(SHIPPED, [8, 224, 224, 3])), "input", "[1, H, W, 3]")
    rejected(shipped(tm.with_input_shape(SHIPPED, [1, 224, 224, 4])), "input", "[1, H, W, 3]")


def test_two_outputs():
    rejected(tiny(tm.classifier(second_output=True)), "output", "2 outputs")


def test_nan_outputs():
    report = tiny(tm.classifier(bias=float("nan")))
    rejected(report, "outputs", "NaN or infinite outputs on 8 of 8 images")
    assert report.check("loads").passed and report.check("latency").passed  # measured all the same


def test_logits_not_flagged_as_logits():
    rejected(tiny(tm.classifier(head=None)), "outputs", "output.kind = logits")


# ------------------------------------------------------------------------------------------------ labels
def test_labels_that_do_not_match_the_outputs():
    report = shipped(SHIPPED, labels=SHIPPED_LABELS[:-1], card={**SHIPPED_CARD, "labels": SHIPPED_LABELS[:-1]})
    rejected(report, "output", "49 classes but there are 48 labels")
    never_ran(report)


def test_duplicate_labels():
    labels = SHIPPED_LABELS[:-1] + ["apple"]
    rejected(shipped(SHIPPED, labels, {**SHIPPED_CARD, "labels": labels}), "labels", "repeats label 1")


@pytest.mark.parametrize(
    "label, words",
    [
        ("<img src=x onerror=alert(1)>", "only letters, digits"),
        ("kiwi\nbanana", "line break"),
        ("kiwi\rfig", "line break"),
        ("kiwi\t", "white space"),
        ("\x1b[31mred", "control character"),
        ("apple\u202egnaro", "control character"),  # right-to-left override: shows as something else
        ("=HYPERLINK(1)", "only letters, digits"),  # a formula when the CSV export is opened
        ("kiwi" * 20, "at most 64"),
    ],
    ids=["markup", "newline", "carriage-return", "trailing-tab", "escape", "bidi", "csv-formula", "too-long"],
)
def test_hostile_labels(label, words):
    labels = SHIPPED_LABELS[:-1] + [label]
    rejected(shipped(SHIPPED, labels, {**SHIPPED_CARD, "labels": labels}), "labels", words)


def test_too_many_labels():
    labels = [f"fruit {i}" for i in range(1001)]
    report = tiny(tm.classifier(classes=1001), labels=labels)
    rejected(report, "labels", "1001 labels: at most 1000", "MODEL_MAX_LABELS")
    never_ran(report)


# ------------------------------------------------------------------------------------------------ the card
@pytest.mark.parametrize(
    "preprocessing, words",
    [
        (None, "needs a `preprocessing` object"),
        ("224 RGB", "needs a `preprocessing` object"),
        ({**TINY_CARD["preprocessing"], "scale": 0}, "scale must not be 0"),
        ({**TINY_CARD["preprocessing"], "eval": "__import__('os')"}, "unknown key 'eval'"),
        ({**TINY_CARD["preprocessing"], "size": 10**9}, "size 1000000000"),
    ],
    ids=["missing", "text", "zero-scale", "unknown-key", "huge-size"],
)
def test_a_bad_preprocessing_object(preprocessing, words):
    report = tiny(tm.classifier(), card={**TINY_CARD, "preprocessing": preprocessing})
    rejected(report, "preprocessing", words)
    never_ran(report)


def test_a_card_that_is_not_an_object():
    report = tiny(tm.classifier(), card=["abstain_threshold", 0.5])
    rejected(report, "card", "JSON object")
    rejected(report, "preprocessing")


# ------------------------------------------------------------------------------------------------ the child
def test_a_model_that_exhausts_memory_kills_only_the_child():
    # TILE makes a 2.1 GB tensor from a 32x32 image: the arena cannot be allocated under the child's limit.
    report = tiny(tm.classifier(tile=400), model_validation_memory_mb=512)
    rejected(report, "loads", "ran out of its 512 MB of memory", "MODEL_VALIDATION_MEMORY_MB")
    assert report.check("outputs").status == report.check("latency").status == "skipped"


def test_a_model_that_computes_for_long_uses_up_its_cpu_time():
    # thirty products of 1024x3072 by 3072x1024 matrices: about 100 billion multiply-adds per image
    report = tiny(tm.classifier(matmuls=30), model_validation_cpu_s=2)
    rejected(report, "outputs", "used up its 2 s of CPU time", "MODEL_VALIDATION_CPU_SECONDS")
    assert report.check("loads").passed and report.check("latency").status == "skipped"


def test_a_model_that_runs_past_the_wall_clock_limit_is_stopped():
    report = tiny(tm.classifier(matmuls=30), model_validation_timeout_s=3)
    rejected(report, "outputs", "stopped at the 3 s wall-clock limit", "MODEL_VALIDATION_TIMEOUT")
    assert report.figures["child_wall_s"] < 30


def test_over_the_latency_budget():
    report = tiny(tm.classifier(), model_latency_budget_ms=1e-6)  # a nanosecond: no run is that fast
    rejected(report, "latency", "over the 1e-06 ms budget", "MODEL_LATENCY_BUDGET_MS")


def test_after_every_hostile_file_a_good_model_is_still_ready():
    assert shipped(SHIPPED).ready

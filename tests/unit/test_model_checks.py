"""ml/model_checks and ml/model_file: each check an organisation's model must pass, on its own (pure, no runtime).

The hostile files themselves (truncated, custom ops, huge tensors, ...) go through the whole validator in
tests/hostile/test_model_files.py; here each check's rule is pinned, pass and fail side by side.
"""

from __future__ import annotations

import json
import math
import pathlib

import pytest

from fruitclf.ml import model_checks as checks
from fruitclf.ml.model_file import ModelFileError, read_model_file
from support import tflite_models as tm

REPO = pathlib.Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "functions" / "models").glob("*/model.tflite"))
SIDES = (32, 1024)
SPEC = {"size": 32, "mean": 127, "scale": 128, "dtype": "float32"}


def card_of(model_file: pathlib.Path) -> dict:
    return json.loads((model_file.parent / "model_card.json").read_text())


# ------------------------------------------------------------------------------------------------ the flatbuffer
@pytest.mark.parametrize("path", SHIPPED, ids=[p.parent.name for p in SHIPPED])
def test_every_shipped_model_reads_as_its_card_describes_it(path):
    facts = read_model_file(path.read_bytes())
    card = card_of(path)
    assert (facts.version, facts.subgraphs) == (3, 1)
    assert [list(t.shape) for t in facts.inputs] == [card["input"]["shape"]]
    assert [(list(t.shape), t.dtype) for t in facts.outputs] == [(card["output"]["shape"], "float32")]
    assert set(facts.ops) == {"ADD", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MEAN", "SOFTMAX", "TRANSPOSE"}


def test_a_written_model_names_its_ops_custom_and_flex_ones_included():
    assert read_model_file(tm.classifier()).ops == {"FULLY_CONNECTED": 1, "MEAN": 1, "SOFTMAX": 1}
    assert "CUSTOM:MyOp" in read_model_file(tm.classifier(head="MyOp")).ops
    assert "CUSTOM:FlexSoftmax" in read_model_file(tm.classifier(head="FlexSoftmax")).ops


def test_quantized_tensors_carry_their_scale_and_zero_point():
    facts = read_model_file(tm.classifier(input_dtype=tm.UINT8))
    assert (facts.inputs[0].dtype, facts.inputs[0].quantization) == ("uint8", None)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "too short"),
        (b"\x00" * 64, "identifier is not TFL3"),
        (b"\x10\x00\x00\x00TFL3" + b"\xff" * 8, "truncated or corrupt"),
    ],
)
def test_unreadable_bytes_are_a_model_file_error_that_says_why(data, message):
    with pytest.raises(ModelFileError, match=message):
        read_model_file(data)


# ------------------------------------------------------------------------------------------------ static checks
def test_size_empty_over_and_within_the_limit():
    assert checks.check_size(0, 100).detail == "the file is empty"
    over = checks.check_size(101, 100)
    assert not over.passed and "MODEL_MAX_BYTES" in over.detail
    assert checks.check_size(100, 100).passed


def test_labels_that_pass():
    ok = checks.check_labels(["apple", "Granny Smith", "pêche", "cox's orange (pippin)", "not_fruit"], 10, 40)
    assert ok.passed and ok.figures["count"] == 5


@pytest.mark.parametrize(
    "labels, words",
    [
        ("apple\nbanana", "must be a list"),
        (["apple"], "at least 2"),
        (["a", "b", "c"], "at most 2"),
        (["apple", "apple"], "repeats label 1"),
        (["apple", "APPLE"], "repeats label 1"),
        (["apple", "<b>kiwi</b>"], "only letters, digits"),
        (["apple", "kiwi\nfig"], "line break"),
        (["apple", "kiwi\x00"], "line break or another control"),
        (["apple", " kiwi"], "white space"),
        (["apple", ""], "is empty"),
        (["apple", 7], "is a int"),
        (["apple", "k" * 41], "at most 40"),
        (["apple", "kiwi/../fig"], "only letters, digits"),
    ],
)
def test_labels_that_fail_say_which_and_why(labels, words):
    check = checks.check_labels(labels, 2 if words == "at most 2" else 10, 40)
    assert not check.passed and words in check.detail


def test_a_label_is_quoted_with_its_control_characters_escaped():
    detail = checks.check_labels(["apple", "red\x1b[31m"], 10, 40).detail
    assert "\\x1b" in detail and "\x1b" not in detail


@pytest.mark.parametrize("path", SHIPPED, ids=[p.parent.name for p in SHIPPED])
def test_every_shipped_card_passes_the_card_and_preprocessing_checks(path):
    card = card_of(path)
    assert checks.check_card(card, card["labels"]).passed
    assert checks.check_preprocessing(card["preprocessing"], *SIDES).passed


@pytest.mark.parametrize(
    "card, words",
    [
        ([], "JSON object"),
        ({}, "abstain_threshold None"),
        ({"abstain_threshold": "0.5"}, "abstain_threshold"),
        ({"abstain_threshold": math.nan}, "abstain_threshold"),
        ({"abstain_threshold": 1.0}, "abstain_threshold"),
        ({"abstain_threshold": 0.5, "output": {"kind": "scores"}}, "output.kind"),
        ({"abstain_threshold": 0.5, "name": "a\nb"}, "line break"),
        ({"abstain_threshold": 0.5, "notes": "x" * 2001}, "notes"),
        ({"abstain_threshold": 0.5, "labels": ["b", "a"]}, "differ from the labels file"),
    ],
)
def test_cards_that_fail(card, words):
    check = checks.check_card(card, ["a", "b"])
    assert not check.passed and words in check.detail


def test_a_card_may_flag_logits():
    check = checks.check_card({"abstain_threshold": 0.5, "output": {"kind": "logits"}}, ["a", "b"])
    assert check.passed and check.figures["output_kind"] == "logits"


@pytest.mark.parametrize(
    "change, words",
    [
        ({"bgr": True}, "unknown key 'bgr'"),
        ({"size": None}, "size None"),
        ({"size": 2048}, "from 32 to 1024"),
        ({"size": True}, "size True"),
        ({"mean": [1, 2]}, "mean"),
        ({"scale": 0}, "scale must not be 0"),
        ({"scale": "128"}, "scale"),
        ({"dtype": "float16"}, "dtype"),
        ({"dtype": "uint8"}, "raw pixels"),
        ({"crop": "pad"}, "only 'center_square'"),
        ({"color": "BGR"}, "only 'RGB'"),
        ({"alpha_background": [0, 0, 256]}, "alpha_background"),
        ({"alpha_background": [0, 0, 0]}, "only [255, 255, 255]"),  # serving always composites onto white
        ({"exif_orientation": False}, "only True"),  # serving always turns a photo as its EXIF says
        ({"jpeg_draft": "yes"}, "jpeg_draft"),
    ],
)
def test_preprocessing_objects_that_fail(change, words):
    check = checks.check_preprocessing({**SPEC, **change}, *SIDES)
    assert not check.passed and words in check.detail


def test_preprocessing_without_required_keys_or_not_an_object():
    assert "mean is required" in checks.check_preprocessing({"size": 32, "scale": 1, "dtype": "uint8"}, *SIDES).detail
    assert "needs a `preprocessing` object" in checks.check_preprocessing(None, *SIDES).detail
    assert checks.check_preprocessing(
        {**SPEC, "mean": [123.7, 116.3, 103.5], "scale": [58.4, 57.1, 57.4]}, *SIDES
    ).passed
    assert checks.check_preprocessing({**SPEC, "dtype": "uint8", "mean": 0, "scale": 1}, *SIDES).passed


def test_ops_builtin_only_in_one_graph():
    assert checks.check_ops(read_model_file(tm.classifier())).passed
    assert "custom op 'MyOp'" in checks.check_ops(read_model_file(tm.classifier(head="MyOp"))).detail
    assert "Flex (TensorFlow) op" in checks.check_ops(read_model_file(tm.classifier(head="FlexSoftmax"))).detail
    assert "2 graphs" in checks.check_ops(read_model_file(tm.classifier(graphs=2))).detail


@pytest.mark.parametrize(
    "model, spec, words",
    [
        (tm.classifier(), SPEC, None),
        (tm.classifier(input_dtype=tm.UINT8), {**SPEC, "dtype": "uint8"}, None),
        (tm.classifier(input_shape=[1, 32, 32]), SPEC, "must be [1, H, W, 3]"),
        (tm.classifier(input_shape=[2, 32, 32, 3]), SPEC, "must be [1, H, W, 3]"),
        (tm.classifier(input_shape=[1, 32, 32, 1]), SPEC, "must be [1, H, W, 3]"),
        (tm.classifier(input_dtype=tm.INT16), SPEC, "input type int16"),
        (tm.classifier(side=16), SPEC, "from 32 to 1024"),
        (tm.classifier(input_shape=[1, 32, 48, 3]), SPEC, "must be square"),
        (tm.classifier(), {**SPEC, "size": 64}, "makes 64x64 float32, the model takes 32x32 float32"),
        (tm.classifier(), {**SPEC, "dtype": "uint8"}, "the model takes 32x32 float32"),
    ],
)
def test_input_is_one_square_rgb_image_the_preprocessing_makes(model, spec, words):
    check = checks.check_input(read_model_file(model), spec, *SIDES)
    assert check.passed if words is None else (not check.passed and words in check.detail)


def test_output_has_one_class_per_label():
    assert checks.check_output(read_model_file(tm.classifier(classes=4)), list("abcd")).passed
    assert (
        "4 classes but there are 3 labels" in checks.check_output(read_model_file(tm.classifier(4)), list("abc")).detail
    )
    assert "2 outputs" in checks.check_output(read_model_file(tm.classifier(second_output=True)), list("abc")).detail


# ------------------------------------------------------------------------------------------------ runtime checks
def test_loads_compares_what_the_runtime_sees_with_the_file():
    facts = read_model_file(tm.classifier())
    seen = {"runtime": "tflite_runtime", "load_ms": 3.0, "inputs": [{"shape": [1, 32, 32, 3], "dtype": "float32"}]}
    assert checks.check_loads(facts, {**seen, "outputs": [{"shape": [1, 3], "dtype": "float32"}]}).passed
    assert not checks.check_loads(facts, {**seen, "outputs": [{"shape": [1, 4], "dtype": "float32"}]}).passed


@pytest.mark.parametrize(
    "vectors, kind, quantization, words",
    [
        ([[0.2, 0.8], [1.0, 0.0]], "probabilities", None, None),
        ([[0.2, math.nan]], "probabilities", None, "NaN or infinite outputs on 1 of 1"),
        ([[0.2, math.inf]], "logits", None, "NaN or infinite"),
        ([[-3.0, 4.0]], "probabilities", None, "output.kind = logits"),
        ([[0.2, 0.2]], "probabilities", None, "not probabilities"),
        ([[-3.0, 4.0]], "logits", None, None),
        ([[64, 192]], "probabilities", (1 / 256, 0), None),
        ([[], []], "probabilities", None, "no output"),
        ([], "probabilities", None, "no output"),
    ],
)
def test_outputs_are_finite_probabilities_unless_flagged_logits(vectors, kind, quantization, words):
    check = checks.check_outputs(vectors, kind, quantization)
    assert check.passed if words is None else (not check.passed and words in check.detail)


def test_latency_p50_within_the_budget():
    assert checks.check_latency([5.0, 6.0, 900.0], 10).passed
    over = checks.check_latency([11.0, 12.0, 1.0], 10)
    assert not over.passed and over.figures["p50_ms"] == 11.0 and "MODEL_LATENCY_BUDGET_MS" in over.detail

"""training/ is a package run as `python -m training.<command>`: every module imports, nothing edits sys.path, and
the pure pieces of a training run (view plan, sampling weights, calibration, scores, card fields) behave as the
shipped models were made with. CI's venv has no torch: the modules that need it skip saying so."""

from __future__ import annotations

import argparse
import importlib
import json
import pathlib
import pkgutil
import re
import subprocess
import sys

import numpy as np
import pytest

import training
from fruitclf.ml.evaluate import ece
from training import calibrate, card, card_report, sampling, scores, soup
from training.datasets import Sample
from training.plan import plan_views

REPO = pathlib.Path(__file__).resolve().parents[2]
MODULES = sorted(m.name for m in pkgutil.iter_modules(training.__path__))
# The modules that need the training venv (torch, litert-torch, ai-edge-litert: training/requirements.txt); every
# other one must import in any venv with numpy and Pillow (CI's), so that its pieces are tested on every change.
NEED_TRAINING_VENV = {
    "backbone",
    "export",
    "features",
    "finetune",
    "head",
    "int8_probe",
    "probe_backbones",
    "tflite_head",
    "train",
    "train_head",
}
TRAINING_VENV_ONLY = {"torch", "ai_edge_litert", "litert_torch", "ai_edge_quantizer", "sklearn"}


@pytest.mark.parametrize("name", MODULES)
def test_every_training_module_imports(name):
    try:
        importlib.import_module(f"training.{name}")
    except ModuleNotFoundError as e:
        if name not in NEED_TRAINING_VENV or e.name.split(".")[0] not in TRAINING_VENV_ONLY:
            raise
        pytest.skip(f"training.{name} needs {e.name}, installed only in the training venv (training/requirements.txt)")


# The packages and the test suites pytest imports; tests/bench and tests/support/gunicorn_api.py are scripts run by
# path from scripts/ (bench, test-parity), which still put their neighbours on the path themselves.
@pytest.mark.parametrize("folder", ["training", "tests/unit", "tests/integration", "tests/hostile", "tests/e2e"])
def test_no_module_edits_sys_path(folder):
    pattern = re.compile(r"sys\.path\.(insert|append|extend|remove)|sys\.path\s*[+]?=")
    edits = [
        str(path.relative_to(REPO))
        for path in sorted((REPO / folder).rglob("*.py"))
        if pattern.search(path.read_text()) and path != pathlib.Path(__file__)
    ]
    assert not edits, f"sys.path edited in {edits}: use the package (python -m training.<command>, pytest pythonpath)"


def test_the_serving_venv_check_runs_as_a_module_from_the_repository_root():
    """accept.py runs `python -m training.train_check` in functions/venv with the repository root as cwd."""
    r = subprocess.run(
        [sys.executable, "-m", "training.train_check", "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert "model" in r.stdout and "ref" in r.stdout


# ------------------------------------------------------------------------------------------------ view plan
def _args(**over):
    base = {"photo_views": 3, "neg_views": 2, "studio_frames": 10, "synth_views": 4}
    return argparse.Namespace(**{**base, **over})


def _samples():
    frames = [Sample(f"/d/fruits360/Training/Apple 1/{i:03}.jpg", "apple", "fruits360", "train") for i in range(50)]
    return frames + [
        Sample("/d/g/apple1.jpg", "apple", "grocery", "train"),
        Sample("/d/g/apple2.jpg", "apple", "grocery", "train"),
        Sample("/d/g/apple3.jpg", "apple", "grocery", "val"),
        Sample("/d/n/carrot.jpg", "not_fruit", "nonfruit_studio", "train"),
        Sample("/d/e/cat.jpg", "not_fruit", "everyday", "train"),
        Sample("/d/g/durian.jpg", "durian", "grocery", "train"),  # a dropped label
    ]


def test_the_view_plan_gives_each_kind_of_sample_its_views_and_holds_studio_frames_out_for_val():
    samples = _samples()
    train, val = plan_views(samples, ["apple", "not_fruit"], _args())
    kinds = {}
    for i, kind, _ in train:
        kinds.setdefault(samples[i].path, []).append(kind)
    assert kinds["/d/g/apple1.jpg"] == ["eval", "photo", "photo"]  # photo_views in all
    assert kinds["/d/e/cat.jpg"] == ["eval", "photo"]  # neg_views
    assert kinds["/d/n/carrot.jpg"] == ["plain", "comp"]
    assert "/d/g/durian.jpg" not in kinds
    studio = [kind for i, kind, _ in train if samples[i].source == "fruits360"]
    assert len(studio) == 10 and studio.count("plain") == 4  # one frame in three plain, the rest composited
    assert sorted(samples[i].source for i, _, _ in val) == ["fruits360"] * 5 + ["grocery"]
    assert not {samples[i].path for i, _, _ in val} & {samples[i].path for i, _, _ in train}
    assert "synth" not in {kind for _, kind, _ in train}  # no synthetic sample listed: no synthetic views


def test_the_view_plan_is_the_same_on_every_run_and_adds_synthetic_views_when_asked():
    samples = _samples() + [Sample("<synthetic>", "not_fruit", "synthetic", "train")]
    first = plan_views(samples, ["apple", "not_fruit"], _args())
    assert first == plan_views(samples, ["apple", "not_fruit"], _args())
    assert [kind for _, kind, _ in first[0]].count("synth") == 4


# ------------------------------------------------------------------------------------------------ sampling
def _weights(fn, samples, **over):
    views = [(i, "eval", 0) for i in range(len(samples))]
    labels = sorted({s.label for s in samples})
    y = np.array([labels.index(s.label) for s in samples])
    base = {"balance_within": "source", "balance_power": 1.0, "studio_weight": 0.6, "scene_weight": 8.0}
    return fn(samples, views, y, argparse.Namespace(**{**base, **over}))


def test_fine_tune_sampling_balances_labels_within_a_source_and_weighs_everyday_photos_more():
    samples = [Sample(f"a{i}", "apple", "grocery", "train") for i in range(3)]
    samples += [Sample("p", "pear", "grocery", "train")]
    samples += [Sample(f"c{i}", "not_fruit", "everyday", "train") for i in range(2)]
    w = _weights(sampling.sample_weights, samples)
    assert w[:3].sum() == pytest.approx(w[3])  # apple's three views weigh what pear's one does
    assert w[4:].sum() == pytest.approx(2.5 * w[3])  # everyday not-fruit: two and a half labels' worth
    assert w.mean() == pytest.approx(1.0)


def test_fine_tune_sampling_puts_web_photos_in_one_group_and_can_balance_by_label_alone():
    samples = [Sample("g", "apple", "grocery", "train"), Sample("x", "apple", "extra3", "train")]
    samples += [Sample("y", "apple", "extra", "train"), Sample("s", "apple", "fruits360", "train")]
    w = _weights(sampling.sample_weights, samples)
    assert w[1] == pytest.approx(w[2]) and w[0] == pytest.approx(2 * w[1])  # extra and extra3: one web group
    assert w[3] == pytest.approx(0.6 * w[0])  # studio frames at --studio-weight
    w_all = _weights(sampling.sample_weights, samples, balance_within="all")
    assert w_all[0] == pytest.approx(w_all[1]) == pytest.approx(w_all[3] / 0.6)


def test_head_sampling_balances_real_photos_across_sources_unless_asked_per_source():
    samples = [Sample("g1", "apple", "grocery", "train"), Sample("g2", "apple", "grocery", "train")]
    samples += [Sample("x", "apple", "extra3", "train"), Sample("n", "not_fruit", "nonfruit_scene", "train")]
    w = _weights(sampling.head_sample_weights, samples, balance_within="all")
    assert w[0] == pytest.approx(w[1]) == pytest.approx(w[2])  # one "real" group: three apple photos alike
    assert w[3] == pytest.approx(8.0 * 3 * w[0])  # scene photos: --scene-weight labels' worth
    w = _weights(sampling.head_sample_weights, samples, balance_within="source")
    assert w[0] + w[1] == pytest.approx(w[2])  # grocery balanced apart from the web photos


# ------------------------------------------------------------------------------------------------ calibration
def test_the_fitted_temperature_undoes_overconfidence():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, (4000, 5))
    y = np.array([rng.choice(5, p=p) for p in calibrate.softmax(z)])
    assert calibrate.fit_temperature(z * 2.0, y) == pytest.approx(2.0, rel=0.1)


def test_the_threshold_is_the_largest_that_keeps_fruit_answered():
    not_fruit = 2
    probs = np.array([[0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.45, 0.4, 0.15], [0.1, 0.1, 0.8], [0.5, 0.1, 0.4]])
    y = np.array([0, 0, 1, 2, 2])
    threshold, fruit_abstain, not_fruit_abstain = calibrate.choose_threshold(probs, y, not_fruit, 1 / 3)
    assert threshold == 0.6  # 0.61 would leave two of the three fruit photos unanswered
    assert fruit_abstain == pytest.approx(1 / 3) and not_fruit_abstain == 1.0
    assert calibrate.choose_threshold(probs, y, not_fruit, 0.0)[0] == 0.45


def test_calibrate_fits_the_threshold_on_the_temperature_scaled_probabilities():
    logits = np.log(np.array([[0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.45, 0.4, 0.15], [0.1, 0.1, 0.8]]))
    y = np.array([0, 0, 1, 2])
    c = calibrate.calibrate(logits, y, not_fruit=2, max_fruit_abstain=0.0)
    expected = calibrate.choose_threshold(calibrate.softmax(logits / c.temperature), y, 2, 0.0)
    assert (c.abstain_threshold, c.fruit_abstain_rate, c.not_fruit_abstain_rate) == expected


def test_ece_is_the_gap_between_confidence_and_accuracy_per_bin():
    assert ece([], []) is None
    assert ece([1.0, 1.0], [0.0, 0.0]) == pytest.approx(1.0)
    assert ece([0.75] * 4, [1, 1, 1, 0]) == pytest.approx(0.0)
    assert ece([0.0, 0.95], [0.0, 1.0]) == pytest.approx(0.025)  # a confidence of 0 counts in the first bin
    conf = np.array([0.9, 0.9, 0.3], dtype=np.float32)  # training passes float32 probabilities
    assert ece(conf, np.array([1.0, 0.0, 0.0])) == pytest.approx(2 / 3 * 0.4 + 1 / 3 * 0.3)


# ------------------------------------------------------------------------------------------------ scores
def test_top1_by_source_reports_each_source_and_optionally_its_size():
    pred, y = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    src = np.array(["grocery", "grocery", "extra3", "extra3"])
    assert scores.top1_by_source(pred, y, src) == {"val_top1_extra3": 0.5, "val_top1_grocery": 1.0}
    assert list(scores.top1_by_source(pred, y, src, counts=True)) == [
        "val_top1_extra3",
        "val_n_extra3",
        "val_top1_grocery",
        "val_n_grocery",
    ]


def test_head_val_scores_split_grocery_web_and_studio_and_abstain_with_a_threshold():
    labels = ["apple", "pear", "not_fruit"]
    logits = np.log(np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1], [0.1, 0.1, 0.8], [0.9, 0.05, 0.05]]))
    y = np.array([0, 1, 1, 2, 0])
    src = np.array(["grocery", "extra3", "extra", "nonfruit_photo", "fruits360"])
    s = scores.val_scores(logits, y, src, labels)
    assert (s["grocery"], s["web"], s["fruits360"]) == (1.0, 0.5, 1.0)
    assert s["web_per_label"] == {"pear": 0.5} and "fruit_abstain" not in s
    s = scores.val_scores(logits, y, src, labels, thr=0.6)
    assert s["not_fruit_abstain"] == 1.0 and s["fruit_abstain"] == pytest.approx(1 / 3)


# ------------------------------------------------------------------------------------------------ soup
def _tail(weight, bias, batches=0, labels=("apple", "not_fruit"), k=8):
    state = {"fc.weight": np.array(weight, np.float32), "fc.bias": np.array(bias, np.float32)}
    state["bn1.num_batches_tracked"] = np.array(batches, np.int64)
    return {"tail": state, "labels": list(labels), "k": k}


def test_a_soup_averages_the_float_weights_and_keeps_the_counters_of_the_first_tail():
    got = soup.average_tails([_tail([1.0, 3.0], [0.0], batches=5), _tail([3.0, 7.0], [1.0], batches=9)])
    np.testing.assert_allclose(got["tail"]["fc.weight"], [2.0, 5.0])
    np.testing.assert_allclose(got["tail"]["fc.bias"], [0.5])
    assert got["tail"]["bn1.num_batches_tracked"] == 5  # BatchNorm is frozen in the fine-tune: counters are not weights
    assert got["labels"] == ["apple", "not_fruit"] and got["k"] == 8


@pytest.mark.parametrize(
    "other",
    [
        _tail([1.0, 1.0], [0.0], labels=("orange", "not_fruit")),  # rows would mean other fruit
        _tail([1.0, 1.0], [0.0], k=11),  # blocks 8-10 are not in this tail
        {"tail": {"fc.weight": np.zeros(2, np.float32)}, "labels": ["apple", "not_fruit"], "k": 8},
    ],
    ids=["other labels", "other cut", "other layers"],
)
def test_a_soup_refuses_tails_that_are_not_the_same_network(other):
    with pytest.raises(soup.IngredientMismatch):
        soup.average_tails([_tail([1.0, 1.0], [0.0]), other])


def test_a_run_with_an_extra_label_joins_a_soup_once_that_label_s_row_is_dropped():
    with_fig = _tail([[1.0], [5.0], [3.0]], [0.0, 9.0, 1.0], labels=("apple", "fig", "not_fruit"))
    trimmed = soup.drop_labels(with_fig, {"fig"})
    assert trimmed["labels"] == ["apple", "not_fruit"]
    np.testing.assert_allclose(trimmed["tail"]["fc.weight"], [[1.0], [3.0]])
    np.testing.assert_allclose(trimmed["tail"]["fc.bias"], [0.0, 1.0])
    got = soup.average_tails([_tail([[3.0], [5.0]], [2.0, 3.0]), trimmed])
    np.testing.assert_allclose(got["tail"]["fc.weight"], [[2.0], [4.0]])
    assert with_fig["labels"] == ["apple", "fig", "not_fruit"]  # the ingredient itself is left as it was


def test_a_soup_needs_two_tails():
    with pytest.raises(soup.IngredientMismatch):
        soup.average_tails([_tail([1.0, 1.0], [0.0])])


# ------------------------------------------------------------------------------------------------ cards
def test_a_trained_model_s_card_carries_the_preprocessing_the_shipped_models_declare():
    default = (REPO / "functions" / "models" / "DEFAULT").read_text().strip()
    shipped = json.loads((REPO / "functions" / "models" / default / "model_card.json").read_text())
    assert card.PREPROCESSING == shipped["preprocessing"]


def test_a_head_card_keeps_the_parent_s_contract_and_drops_its_figures():
    parent = {"model_id": "v3", "input": {"shape": [1, 224, 224, 3]}, "quantization": "wi8", "metrics": {}}
    parent |= {"bench": {}, "targets": [], "validation": {}, "runtime_checks": {}, "labels": ["apple", "not_fruit"]}
    args = argparse.Namespace(
        max_fruit_abstain=0.03,
        view="crop",
        balance_power=1.0,
        balance_within="source",
        studio_weight=0.6,
        anchor=1e-3,
        epochs=30,
        lr=3e-3,
        smoothing=0.1,
        photo_views=4,
        synth_views=300,
        scene_negatives=None,
        scene_views=20,
        scene_weight=8.0,
        feedback=None,
    )
    info = {"temperature": 1.2, "abstain_threshold": 0.4}
    c = card.head_card(
        parent, args, model_id="v4", parent="v3", file_bytes=10, head={}, info=info, checks={}, command="x"
    )
    assert c["input"] == parent["input"] and c["labels"] == parent["labels"] and c["parent_model"] == "v3"
    assert not {"metrics", "bench", "targets"} & set(c)
    assert c["quantization"] == "wi8; classifier head float32"
    assert (c["temperature"], c["abstain_threshold"], c["validation"]) == (1.2, 0.4, info)
    assert c["training"]["scene_views"] is None  # no scene photos: their settings are not claimed


def test_targets_say_met_not_met_or_unmeasured():
    summary = {"extra3_test_top1": 0.9, "grocery_test_top1": 0.5, "fruit_test_abstain_rate": 0.01}
    t = {row["target"]: row for row in card_report.targets({"metrics": {"summary": summary}})}
    assert t["realworld-extra3 test top-1"] == {
        "target": "realworld-extra3 test top-1",
        "goal": ">= 85%",
        "measured": "90.0%",
        "met": True,
    }
    assert t["Grocery test top-1"]["met"] is False
    assert t["Fruits-360 test top-1"]["met"] is None and t["Fruits-360 test top-1"]["measured"] is None
    assert t["fruit test images abstaining"]["met"] is True

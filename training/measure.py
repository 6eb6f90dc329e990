"""A model's figures on every test and val set, and its bench, measured by the serving code on the serving runtime:
`python -m fruitclf evaluate` (fruitclf.ml.evaluate) and `python -m fruitclf bench`, run in functions/venv
(tflite-runtime 2.14, as in production). Standard library only."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

FUNCTIONS = pathlib.Path(__file__).resolve().parents[1] / "functions"

TEST_SETS = {
    "grocery_test": ("grocery-test", "Grocery Store Dataset, authors' test split (real smartphone photos)"),
    "fruits360_test": ("fruits360-test", "Fruits-360 subset Test (studio frames, 100x100), label level"),
    "not_fruit_test": (
        "notfruit-test",
        "not-fruit negatives test split (grocery vegetables/packages, studio vegetables)",
    ),
    "extra_test": ("extra-test", "realworld-extra + realworld-extra2 test splits (web/field photos)"),
    "extra3_test": ("extra3-test", "realworld-extra3 test split (web and phone photos, 19 labels)"),
    "everyday_test": ("everyday-test", "everyday-nonfruit test split (MS-COCO photos: pets, rooms, streets, food)"),
}
VAL_SETS = {
    "grocery_val": "grocery-val",
    "not_fruit_val": "notfruit-val",
    "web_val": "web-val",
    "everyday_val": "everyday-val",
}
REAL_PHOTO_VAL = ("grocery_val", "web_val")
WEAK_LABELS = ("lime", "apple", "orange")  # issue 19: each >= 85% on the real-photo val splits


def run_cli(models_dir: pathlib.Path, model_id: str, *args) -> dict:
    py = FUNCTIONS / "venv" / "bin" / "python"
    env = dict(os.environ, FRUITCLF_MODELS_DIR=str(models_dir))
    r = subprocess.run(
        [str(py), "-m", "fruitclf", "--model", model_id, *args], cwd=FUNCTIONS, env=env, capture_output=True, text=True
    )
    if r.returncode != 0:
        raise SystemExit(f"fruitclf {args} failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _pooled_top1(per_label_by_set: dict, sets, label: str) -> float | None:
    """LABEL's top-1 over several val sets together (each set's per_label n and top1)."""
    rows = [per_label_by_set[k][label] for k in sets if label in per_label_by_set.get(k, {})]
    n = sum(r["n"] for r in rows)
    return sum(r["top1"] * r["n"] for r in rows) / n if n else None


def measure(models_dir: pathlib.Path, model_id: str, root: pathlib.Path, bench_args) -> dict:
    """Every test and val set through `fruitclf evaluate`, and `fruitclf bench` unless bench_args is None."""
    metrics = {}
    for key, (folder, desc) in TEST_SETS.items():
        if (root / folder).is_dir():
            res = run_cli(models_dir, model_id, "evaluate", str(root / folder), "--json")
            if res["unreadable"]:
                print(f"{folder}: {len(res['unreadable'])} unreadable files: {res['unreadable']}", flush=True)
            res["dir"] = folder
            res["description"] = desc
            metrics[key] = res
            print(
                model_id, key, json.dumps({k: res[k] for k in ("n", "top1", "top3", "abstain_rate", "ece")}), flush=True
            )
    val, val_per_label = {}, {}
    for key, folder in VAL_SETS.items():
        if (root / folder).is_dir():
            res = run_cli(models_dir, model_id, "evaluate", str(root / folder), "--json")
            val[key] = {k: res[k] for k in ("n", "top1", "top3", "abstain_rate", "ece")}
            val_per_label[key] = res["per_label"]
    fruit_keys = [k for k in ("grocery_test", "fruits360_test", "extra_test", "extra3_test") if k in metrics]
    fruit_n = sum(metrics[k]["fruit_n"] for k in fruit_keys)
    fruit_abst = sum(metrics[k]["fruit_abstain_rate"] * metrics[k]["fruit_n"] for k in fruit_keys)
    summary = {
        "grocery_test_top1": metrics.get("grocery_test", {}).get("top1"),
        "grocery_test_top3": metrics.get("grocery_test", {}).get("top3"),
        "fruits360_test_top1": metrics.get("fruits360_test", {}).get("top1"),
        "not_fruit_test_abstain_rate": metrics.get("not_fruit_test", {}).get("abstain_rate"),
        "fruit_test_abstain_rate": fruit_abst / fruit_n if fruit_n else None,
        "fruit_test_n": fruit_n,
        "extra_test_top1": metrics.get("extra_test", {}).get("top1"),
        "extra3_test_top1": metrics.get("extra3_test", {}).get("top1"),
        **{
            f"extra3_test_{label}_top1": metrics.get("extra3_test", {}).get("per_label", {}).get(label, {}).get("top1")
            for label in ("guava", "lime", "coconut")
        },
        "everyday_test_abstain_rate": metrics.get("everyday_test", {}).get("abstain_rate"),
        **{f"real_val_{label}_top1": _pooled_top1(val_per_label, REAL_PHOTO_VAL, label) for label in WEAK_LABELS},
        **{f"{k}_ece": m.get("ece") for k, m in metrics.items()},
    }
    out = {
        "metrics": {
            "summary": summary,
            **metrics,
            "val": val,
            "how": "python -m fruitclf evaluate <dir> --json with tflite-runtime 2.14 on the committed "
            "model.tflite; dirs from training/make_eval_dirs.py",
        }
    }
    if bench_args is not None:
        out["bench"] = run_cli(models_dir, model_id, "bench", "--json", *bench_args)
    return out

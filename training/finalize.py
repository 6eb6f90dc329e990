"""Measure a trained model with the serving runtime and write its model card (JSON metrics + MODEL_CARD.md).

    python -m training.finalize --model-dir functions/models/<id> --eval-root /tmp/fruitclf-eval   # repository root

Runs `python -m fruitclf evaluate DIR --json` (functions/venv, tflite-runtime: fruitclf.ml.evaluate, the same
evaluation as the CLI's) on each test set made by training.make_eval_dirs and `python -m fruitclf bench --json`,
then fills model_card.json and MODEL_CARD.md. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import pathlib

from .card_report import markdown, targets
from .measure import measure
from .provenance import BACKBONE, DRAWINGS, EVERYDAY_NONFRUIT, SCENE_NEGATIVES, TRAINING_DATA


def extra_sources(training: dict) -> list[dict]:
    """The optional training sources a run used, read from its card's training record."""
    command = training.get("command", "")
    scenes = training.get("scene_negatives") or "--scene-negatives" in command
    extra = [SCENE_NEGATIVES] if scenes else []
    if scenes and "train_head" not in command:  # train.py fetches them --with-drawings (docs/model.md)
        extra.append(DRAWINGS)
    if any(view.startswith("everyday/") for view in training.get("views", {})):
        extra.append(EVERYDAY_NONFRUIT)
    return extra


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    card["training_data"] = TRAINING_DATA + extra_sources(card["training"])
    card["backbone"] = BACKBONE
    if a.weaknesses:
        card["known_weaknesses"] = json.loads(pathlib.Path(a.weaknesses).read_text())
    card.setdefault("known_weaknesses", [])
    card["targets"] = targets(card)
    (mdir / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    (mdir / "MODEL_CARD.md").write_text(markdown(card))
    print(json.dumps(card["targets"], indent=2))


if __name__ == "__main__":
    main()

"""What validating an organisation's model costs: time per check and the sandboxed child's peak memory.

    .venv/bin/python tests/bench/bench_validation.py [--runs 10] [--model fruit-lite0-v4] [--photos 0] [--json]

Validates a shipped model (its own labels and card) `runs` times in a row with the default settings and prints,
per check, the median and the spread (min-max) of its time, then the child's wall time and peak resident set
size. The static checks run in this process; loads, outputs and latency are the child's stages (outputs: the
eight generated images; latency: 24 timed runs at one thread). `--photos N` adds N photo-sized JPEGs, as the
accuracy check adds an org's corrected photos, and times the model serving the org on them in this process too
(`serving_ms`, at `--serving-threads`, default 1 as service/model_accuracy.py runs it). Figures, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "functions"))

from fruitclf.ml import model, preprocess  # noqa: E402
from fruitclf.ml.model_validation import validate_model  # noqa: E402


def _spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def _photos(folder: pathlib.Path, n: int) -> list[pathlib.Path]:
    from PIL import Image

    paths = []
    for i in range(n):
        paths.append(folder / f"{i}.jpg")
        Image.effect_noise((640, 480), 40 + i % 60).convert("RGB").save(paths[-1], quality=90)
    return paths


def _serving_ms(classifier: model.Classifier, photos: list[pathlib.Path]) -> float:
    """The accuracy check's other half: the (trusted) serving model on the same photos, in this process."""
    t0 = time.perf_counter()
    for path in photos:
        classifier.classify(classifier.to_input(preprocess.load_rgb(path)))
    return (time.perf_counter() - t0) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--model", default=model.default_model_id())
    ap.add_argument("--photos", type=int, default=0, help="photos for the accuracy check (default 0)")
    ap.add_argument("--serving-threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    folder = model.models_dir() / args.model
    labels = model.labels_from_text((folder / "labels.txt").read_text())
    card = json.loads((folder / "model_card.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        photos = _photos(pathlib.Path(tmp), args.photos)
        reports = [validate_model(folder / "model.tflite", labels, card, images=photos) for _ in range(args.runs)]
        serving = model.Classifier(args.model, num_threads=args.serving_threads) if photos else None
        serving_ms = [_serving_ms(serving, photos) for _ in range(args.runs)] if serving else None
    if not all(r.ready for r in reports):
        print(json.dumps(reports[0].to_dict(), indent=2), file=sys.stderr)
        return 1
    names = list(reports[0].figures["check_ms"])
    result = {
        "model": args.model,
        "runs": args.runs,
        "check_ms": {name: _spread([r.figures["check_ms"][name] for r in reports]) for name in names},
        "child_wall_s": _spread([r.figures["child_wall_s"] for r in reports]),
        "child_peak_rss_mb": _spread([r.figures["child_peak_rss_mb"] for r in reports]),
        "latency_p50_ms": _spread([r.check("latency").figures["p50_ms"] for r in reports]),
        "photos": args.photos,
        "serving_ms": _spread(serving_ms) if serving_ms else None,
        "serving_threads": args.serving_threads,
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

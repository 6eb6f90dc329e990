"""What serving organisations' own models costs an instance: load time, memory per extra loaded model, and
classify time with an org model next to the shipped one.

    PYTHONPATH=functions .venv/bin/python tests/bench/bench_org_models.py [--models 6] [--runs 200] [--json]

Loads the shipped model `models` times as organisation versions do (Classifier.from_bytes: from bytes, with
its labels and card), each a separate interpreter, and prints the median and spread of the load time and of
the resident memory each one adds (after its warm-up inference, as serving weighs it for ORG_MODEL_CACHE_MB). Then it times
`Classifier.classify` on one prepared photo with the shipped classifier and with an org copy, interleaved in
rounds so that the machine's load falls on both alike. Figures, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from PIL import Image

from fruitclf.ml import model
from fruitclf.ml.loaded_models import resident_bytes


def _spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2), "max": round(max(values), 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=6)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    shipped = model.get_classifier().load()
    data = (shipped.path / "model.tflite").read_bytes()
    photo = Image.new("RGB", (640, 480), (200, 60, 40))
    x = shipped.to_input(photo)
    shipped.classify(x)
    loads, added, copies = [], [], []
    for i in range(args.models):
        before = resident_bytes()
        t0 = time.perf_counter()
        copy = model.Classifier.from_bytes(f"bench/v{i}", data, shipped.labels, shipped.card)
        loads.append((time.perf_counter() - t0) * 1000)
        copy.warm_up()  # as serving loads one (service/org_models.py): the arena and unpacked weights counted
        added.append((resident_bytes() - before) / 2**20)
        copies.append(copy)
    timed = {"shipped": [], "org": []}
    for _ in range(args.runs):
        for name, clf in (("shipped", shipped), ("org", copies[0])):
            t0 = time.perf_counter()
            clf.classify(x)
            timed[name].append((time.perf_counter() - t0) * 1000)
    figures = {
        "model_bytes": len(data),
        "threads": shipped.num_threads,
        "load_ms": _spread(loads),
        "rss_added_mb": _spread(added),
        "classify_ms": {name: _spread(values) for name, values in timed.items()},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"model {len(data) / 1e6:.1f} MB, {args.models} org copies, {shipped.num_threads} threads")
    for name in ("load_ms", "rss_added_mb"):
        print(f"{name:>14}: median {figures[name]['median']}  ({figures[name]['min']}-{figures[name]['max']})")
    for name, spread in figures["classify_ms"].items():
        print(f"classify {name:>7}: p50 {spread['median']} ms  ({spread['min']}-{spread['max']}), {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())

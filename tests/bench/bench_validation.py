"""What validating an organisation's model costs: time per check and the sandboxed child's peak memory.

    .venv/bin/python tests/bench/bench_validation.py [--runs 10] [--model fruit-lite0-v4] [--json]

Validates a shipped model (its own labels and card) `runs` times in a row with the default settings and prints,
per check, the median and the spread (min-max) of its time, then the child's wall time and peak resident set
size. The static checks run in this process; loads, outputs and latency are the child's stages (outputs: the
eight generated images; latency: 24 timed runs at one thread). Figures, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "functions"))

from fruitclf.ml import model  # noqa: E402
from fruitclf.ml.model_validation import validate_model  # noqa: E402


def _spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--model", default=model.default_model_id())
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    folder = model.models_dir() / args.model
    labels = model.labels_from_text((folder / "labels.txt").read_text())
    card = json.loads((folder / "model_card.json").read_text())
    reports = [validate_model(folder / "model.tflite", labels, card) for _ in range(args.runs)]
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
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

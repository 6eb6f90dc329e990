#!/usr/bin/env python
"""Users' corrections become training data: fetch the corrected photos, retrain the head, compare, publish.

Runs in the serving venv (functions/venv: numpy, Pillow, tflite-runtime, firebase-admin), no torch, from the
repository root once `functions/venv/bin/pip install -e . --no-deps` made this package importable there:

    # 1. the export (GET /api/feedback/export?scope=org&format=jsonl, or csv) and its photos
    functions/venv/bin/python -m training.feedback fetch --export feedback-org.jsonl --dest /tmp/fb   # Storage, Admin SDK
    functions/venv/bin/python -m training.feedback fetch --export feedback-org.csv --dest /tmp/fb --images <exported folder>
    # 2a. quick: retrain only the head of the current model, near its present weights
    functions/venv/bin/python -m training.feedback retrain --base functions/models/fruit-lite0-v4 --photos /tmp/fb \
        --out functions/models/fruit-lite0-v4-fb1
    # 2b. or the full head training with every dataset (training venv): python -m training.train_head --feedback /tmp/fb
    # 3. the same splits, current vs new
    functions/venv/bin/python -m training.feedback compare --current fruit-lite0-v4 --candidate fruit-lite0-v4-fb1 DIR...

then pin the new id for one organisation (its `modelId`), and later write it to functions/models/DEFAULT
(docs/model.md, "Corrections become training data"). Or, with no redeploy, upload it as a version of the
organisation's own model, as one of its admins (validated, then pinned or rolled out: docs/models.md):

    functions/venv/bin/python -m training.feedback publish --model-dir functions/models/fruit-lite0-v4-fb1 \
        --org acme --version fb1 --as admin@acme.example

A model can be retrained here only if its card has a `head` (a float32 classifier head at known byte offsets,
written by training.train_head): the new model is the same file with those bytes replaced.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

from .calibrate import softmax

FUNCTIONS = pathlib.Path(__file__).resolve().parents[1] / "functions"


# ----------------------------------------------------------------------------------------------- fetch
def read_export(path: pathlib.Path) -> list[dict]:
    """Rows of the export (JSONL or CSV, as GET /api/feedback/export returns them)."""
    text = pathlib.Path(path).read_text()
    if text.lstrip().startswith("{"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    rows = list(csv.DictReader(io.StringIO(text)))
    for r in rows:  # CSV has no types: "" is null, "True"/"False" are booleans
        r["correct"] = {"True": True, "False": False, "true": True, "false": False}.get(r.get("correct") or "")
        r["correctedLabel"] = r.get("correctedLabel") or None
    return rows


def example_label(row: dict) -> str | None:
    """The label a row teaches: the correction, or the model's label when a person confirmed it."""
    if row.get("correctedLabel"):
        return row["correctedLabel"]
    if row.get("correct") is True:
        return row.get("modelLabel")
    return None


def fetch(rows, dest: pathlib.Path, labels: list[str], images: pathlib.Path | None = None) -> dict:
    """Write DEST/<label>/<id> for every row that teaches one of LABELS; returns what was kept and skipped.

    Images come from IMAGES/<imagePath> (an exported folder), else from Storage through the Admin SDK (the
    API's own data layer: the emulators when their env vars are set, else the project's bucket)."""
    if images is None:
        from fruitclf.data import blobs

        read = blobs.get
    else:
        read = lambda p: (images / p).read_bytes()  # noqa: E731
    kept, skipped = {}, []
    for row in rows:
        label = example_label(row)
        if label is None:
            continue
        if label not in labels:
            skipped.append({"id": row["id"], "reason": f"label {label!r} is not one of the model's labels"})
            continue
        try:
            data = read(row["imagePath"])
        except Exception as exc:  # one missing photo must not stop the rest; it is listed
            skipped.append({"id": row["id"], "reason": f"image {row['imagePath']} unavailable: {exc}"})
            continue
        out = dest / label / row["id"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        kept[row["id"]] = label
    return {"kept": kept, "skipped": skipped}


# ----------------------------------------------------------------------------------------------- retrain
def read_head(model_dir: pathlib.Path):
    card = json.loads((model_dir / "model_card.json").read_text())
    h = card.get("head")
    if not h:
        raise SystemExit(f"{model_dir} has no float32 head in its card: retrain it with python -m training.train_head")
    data = (model_dir / "model.tflite").read_bytes()
    w = np.frombuffer(data, np.float32, h["classes"] * h["features"], h["weights_offset"]).reshape(
        h["classes"], h["features"]
    )
    b = np.frombuffer(data, np.float32, h["classes"], h["bias_offset"])
    return card, data, w.copy(), b.copy()


def photo_features(model_dir: pathlib.Path, paths, feature_tensor: int):
    """Pooled features of each photo (the tensor before the head), with the model's own eval transform."""
    from fruitclf.ml.model import _interpreter_class
    from fruitclf.ml.preprocess import load_rgb, to_input

    it = _interpreter_class()(
        model_path=str(model_dir / "model.tflite"), num_threads=1, experimental_preserve_all_tensors=True
    )
    it.allocate_tensors()
    idx = it.get_input_details()[0]["index"]
    feats = []
    for p in paths:
        it.set_tensor(idx, to_input(load_rgb(p)))
        it.invoke()
        feats.append(it.get_tensor(feature_tensor)[0].copy())
    return np.stack(feats)


def fit_head(x, y, w0, b0, steps=300, lr=0.01, anchor=1e-3, anchor_x=None, anchor_y=None):
    """Full-batch Adam on cross-entropy, pulled towards the current head (anchor * ||W - W0||^2) so that a
    handful of photos moves the head only where they need it; optional anchor examples keep the old data in."""
    if anchor_x is not None:
        x, y = np.concatenate([x, anchor_x]), np.concatenate([y, anchor_y])
    w, b = w0.copy(), b0.copy()
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    onehot = np.eye(len(b0), dtype=np.float32)[y]
    for t in range(1, steps + 1):
        g = (softmax(x @ w.T + b) - onehot) / len(y)
        grads = [g.T @ x + 2 * anchor * (w - w0), g.sum(0)]
        for k, (p, gr) in enumerate(zip((w, b), grads, strict=True)):
            m[k] = 0.9 * m[k] + 0.1 * gr
            v[k] = 0.999 * v[k] + 0.001 * gr * gr
            p -= lr * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
    return w.astype(np.float32), b.astype(np.float32)


def retrain(
    base: pathlib.Path,
    photos: pathlib.Path,
    out: pathlib.Path,
    anchor_npz: pathlib.Path | None = None,
    anchor: float = 1e-3,
) -> dict:
    card, data, w0, b0 = read_head(base)
    labels = (base / "labels.txt").read_text().split()
    files = sorted(p for p in photos.glob("*/*") if p.is_file() and p.parent.name in labels)
    if not files:
        raise SystemExit(f"no photos under {photos}/<label>/")
    y = np.array([labels.index(p.parent.name) for p in files])
    x = photo_features(base, files, card["head"]["feature_tensor"])
    ax = ay = None
    if anchor_npz:
        a = np.load(anchor_npz)
        ax, ay = a["features"].astype(np.float32), a["labels"]
    w, b = fit_head(x, y, w0, b0, anchor=anchor, anchor_x=ax, anchor_y=ay)
    h = card["head"]
    new = bytearray(data)
    new[h["weights_offset"] : h["weights_offset"] + w.nbytes] = w.tobytes()
    new[h["bias_offset"] : h["bias_offset"] + b.nbytes] = b.tobytes()
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.tflite").write_bytes(bytes(new))
    (out / "labels.txt").write_text((base / "labels.txt").read_text())
    before = softmax(x @ w0.T + b0).argmax(1)
    after_np = softmax(x @ w.T + b)
    after = photo_probs(out, files)  # the written file, on this runtime
    if np.abs(after - after_np).max() > 1e-4:
        raise SystemExit("REJECTED: the written model does not reproduce the retrained head")
    report = {
        "photos": len(files),
        "per_label": {name: int((y == i).sum()) for i, name in enumerate(labels) if (y == i).any()},
        "top1_before": float((before == y).mean()),
        "top1_after": float((after.argmax(1) == y).mean()),
        "anchor_examples": 0 if ax is None else len(ay),
    }
    for k in ("metrics", "bench", "targets", "validation", "runtime_checks"):
        card.pop(k, None)
    card.update(
        {
            "model_id": out.name,
            "parent_model": base.name,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "training": {
                "method": "head retrained on users' corrected photos (training/feedback.py retrain)",
                "anchor": anchor,
                "feedback": report,
            },
        }
    )
    (out / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    return report


def photo_probs(model_dir: pathlib.Path, paths) -> np.ndarray:
    from fruitclf.ml.model import Classifier
    from fruitclf.ml.preprocess import load_rgb, to_input

    clf = Classifier(model_dir.name, path=model_dir, num_threads=1)
    return np.stack([clf.predict_array(to_input(load_rgb(p))) for p in paths])


# ----------------------------------------------------------------------------------------------- compare
def compare(models_dir: pathlib.Path, current: str, candidate: str, dirs) -> dict:
    """`fruitclf evaluate` of both models on the same folders (top-1, top-3, abstaining, ECE)."""
    out = {}
    for d in dirs:
        row = {}
        for mid in (current, candidate):
            r = subprocess.run(
                [sys.executable, "-m", "fruitclf", "--model", mid, "evaluate", str(d), "--json"],
                cwd=FUNCTIONS,
                env=dict(os.environ, FRUITCLF_MODELS_DIR=str(models_dir)),
                capture_output=True,
                text=True,
                check=True,
            )
            res = json.loads(r.stdout.strip().splitlines()[-1])
            row[mid] = {k: res.get(k) for k in ("n", "top1", "top3", "abstain_rate", "ece")}
        out[str(d)] = row
    return out


# ----------------------------------------------------------------------------------------------- publish
def org_card(model_dir: pathlib.Path) -> dict:
    """The org model card for a model folder: what serving reads from our own card (its preprocessing object,
    abstain threshold and output kind), a name, and where it came from."""
    card = json.loads((model_dir / "model_card.json").read_text())
    model_id = card.get("model_id", model_dir.name)
    org = {
        "name": f"{model_id} (retrained on feedback)"[:80],
        "notes": f"training.feedback retrain of {card.get('parent_model') or model_id}",
        "abstain_threshold": card["abstain_threshold"],
        "preprocessing": card["preprocessing"],
    }
    if isinstance(card.get("output"), dict) and "kind" in card["output"]:
        org["output"] = {"kind": card["output"]["kind"]}
    return org


def publish(model_dir: pathlib.Path, org_id: str, version: str, admin_email: str, notes: str = "") -> dict:
    """Upload a retrained model folder as a version of `org_id`'s own model through the admin CLI
    (`python -m fruitclf admin upload-model`): the same registration and validation as the API's. Returns the
    registered version (status `validating`); raises SystemExit with the CLI's message when it is refused."""
    with tempfile.TemporaryDirectory(prefix="feedback-publish-") as tmp:
        card = pathlib.Path(tmp) / "card.json"
        card.write_text(json.dumps(org_card(model_dir)))
        files = ["--model", model_dir / "model.tflite", "--labels", model_dir / "labels.txt", "--card", card]
        args = ["upload-model", org_id, version, *files, "--as", admin_email, "--notes", notes]
        done = subprocess.run(
            [sys.executable, "-m", "fruitclf", "admin", *map(str, args)],
            cwd=FUNCTIONS,
            capture_output=True,
            text=True,
            timeout=300,
        )
    if done.returncode:
        raise SystemExit(f"upload-model refused: {(done.stdout + done.stderr).strip()}")
    return json.loads(done.stdout)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="write the export's corrected/confirmed photos to DEST/<label>/<id>")
    f.add_argument("--export", required=True, type=pathlib.Path)
    f.add_argument("--dest", required=True, type=pathlib.Path)
    f.add_argument("--labels", type=pathlib.Path, default=None, help="labels.txt (default: the default model's)")
    f.add_argument(
        "--images",
        type=pathlib.Path,
        help="a folder holding the images under their imagePath (default: read Storage via the Admin SDK)",
    )
    r = sub.add_parser("retrain", help="a new model: the base model with its head retrained on the photos")
    r.add_argument("--base", required=True, type=pathlib.Path)
    r.add_argument("--photos", required=True, type=pathlib.Path)
    r.add_argument("--out", required=True, type=pathlib.Path)
    r.add_argument("--anchor-npz", type=pathlib.Path, help="features/labels of earlier training photos to keep in")
    r.add_argument("--anchor", type=float, default=1e-3)
    c = sub.add_parser("compare", help="evaluate the current and the candidate model on the same folders")
    c.add_argument("--models-dir", type=pathlib.Path, default=FUNCTIONS / "models")
    c.add_argument("--current", required=True)
    c.add_argument("--candidate", required=True)
    c.add_argument("dirs", nargs="+", type=pathlib.Path)
    p = sub.add_parser("publish", help="upload a retrained model folder as a version of an org's own model")
    p.add_argument("--model-dir", required=True, type=pathlib.Path, help="model.tflite, labels.txt, model_card.json")
    p.add_argument("--org", required=True)
    p.add_argument("--version", required=True, help="lowercase letters, digits, dots and dashes (at most 40)")
    p.add_argument("--as", dest="as_email", required=True, metavar="EMAIL", help="an admin of the org")
    p.add_argument("--notes", default="")
    a = ap.parse_args(argv)
    if a.cmd == "fetch":
        labels_file = (
            a.labels or FUNCTIONS / "models" / (FUNCTIONS / "models" / "DEFAULT").read_text().strip() / "labels.txt"
        )
        res = fetch(read_export(a.export), a.dest, labels_file.read_text().split(), a.images)
    elif a.cmd == "publish":
        res = publish(a.model_dir, a.org, a.version, a.as_email, a.notes)
    elif a.cmd == "retrain":
        res = retrain(a.base, a.photos, a.out, a.anchor_npz, a.anchor)
    else:
        res = compare(a.models_dir, a.current, a.candidate, a.dirs)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()

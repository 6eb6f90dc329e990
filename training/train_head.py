"""A new model from a shipped one: same backbone, a new classifier head trained with more (and balanced) real photos.

    python -m training.train_head --data ../shared/datasets \
        --base functions/models/fruit-lite0-v3 --out functions/models/fruit-lite0-v4 --compare

Steps (features cached under --work, so a rerun costs seconds):
 1. plan views as train does (real photos of every source, balanced later; studio frames plain and composited;
    not-fruit photos; with --scene-negatives, everyday-scene photos as not_fruit), with the "eval" view of each photo
    made by every candidate input view (views.py): plan.py;
 2. run the base model's backbone (its .tflite cut at the pooled features, see tflite_head.py) over every view:
    features.py;
 3. train a softmax head on the pooled features, starting from the base head, with class-balanced weights
    (each label's real photos weigh the same in total, --balance-power) and studio frames down-weighted: head.py,
    sampling.py;
 4. --compare: one head per input view (and weighting), scored on the validation splits only (grocery val, the
    held-out share of the web-photo train splits, Fruits-360 val frames, not-fruit val); the base model's own head
    is scored on the same features: scores.py;
 5. calibrate a temperature and the abstain threshold on the real-photo val splits, fold the temperature into the
    head and write <out>/model.tflite (base backbone bytes + float32 head) with labels.txt and model_card.json,
    after checking it on ai-edge-litert here and tflite-runtime 2.14 (functions/venv) against numpy: calibrate.py,
    export.py, accept.py, card.py.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import pathlib
import sys
import time

import numpy as np
import torch

from . import accept, card, datasets, head, tflite_head
from .calibrate import calibrate, softmax
from .datasets import REAL_VAL_SOURCES
from .export import write_head_model
from .features import cache_pooled_features, pooled_runner
from .plan import plan_views
from .progress import log
from .sampling import head_sample_weights
from .scores import val_scores
from .seed import SEED

VIEWS = ("crop", "squash", "pad", "crop43")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument(
        "--base", required=True, help="model folder whose backbone is kept (e.g. functions/models/fruit-lite0-v3)"
    )
    ap.add_argument("--out", help="new model folder; omit to only compare")
    ap.add_argument("--work", default="/tmp/fruitclf-work")
    ap.add_argument("--views", default=",".join(VIEWS), help="candidate input views to cache and compare")
    ap.add_argument("--view", default="crop", help="input view of the exported model")
    ap.add_argument("--compare", action="store_true", help="score every view and weighting on val, then stop")
    ap.add_argument("--photo-views", type=int, default=4)
    ap.add_argument("--neg-views", type=int, default=4)
    ap.add_argument("--studio-frames", type=int, default=40)
    ap.add_argument("--synth-views", type=int, default=300, help="synthetic not_fruit views (flat, gradient, noise)")
    ap.add_argument("--studio-weight", type=float, default=0.6)
    ap.add_argument("--balance-power", type=float, default=1.0)
    ap.add_argument(
        "--balance-within",
        choices=["all", "source"],
        default="all",
        help="balance the labels over all real photos, or within grocery and within web photos",
    )
    ap.add_argument("--anchor", type=float, default=1e-3, help="pull towards the base head: anchor * ||W - W0||^2")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--smoothing", type=float, default=0.1)
    ap.add_argument("--max-fruit-abstain", type=float, default=0.03)
    ap.add_argument(
        "--scene-negatives",
        default=None,
        help="folder of everyday-scene photos as not_fruit, <dir>/not_fruit/<file> (training/fetch_scene_negatives.sh)",
    )
    ap.add_argument(
        "--scene-views", type=int, default=20, help="views per scene photo (one eval view, the rest random)"
    )
    ap.add_argument(
        "--scene-weight",
        type=float,
        default=8.0,
        help="total weight of the scene photos, relative to one label's real photos",
    )
    ap.add_argument("--feedback", default=None, help="folder of corrected photos <label>/<file> (training/feedback.py)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    base = pathlib.Path(args.base)
    t_start = time.time()
    args.base_key = hashlib.sha1((base / "model.tflite").read_bytes()).hexdigest()[:10]

    labels = (base / "labels.txt").read_text().split()
    lab_idx = {label: i for i, label in enumerate(labels)}
    root = datasets.ensure_unpacked(pathlib.Path(args.data), work / "data")
    samples = datasets.list_samples(root)
    skipped = collections.Counter(s.label for s in samples if s.label not in lab_idx)
    samples = [s for s in samples if s.label in lab_idx]
    log(f"{len(samples)} samples; not in the base labels, skipped: {dict(skipped)}")
    train_views, val_views = plan_views(samples, labels, argparse.Namespace(**{**vars(args), "synth_views": 0}))
    # views that do not depend on the input view (random crops, composites) vs "eval" views of photos
    fixed = [v for v in train_views if v[1] != "eval"]
    evalv = [v for v in train_views if v[1] == "eval"]
    run = pooled_runner(base, work, args.threads)
    f_fixed = cache_pooled_features(run, samples, fixed, "crop", args, "train-random")
    if args.synth_views:  # flat colours, gradients, noise as not_fruit: cached apart, so the views above keep their key
        samples.append(datasets.Sample("<synthetic>", "not_fruit", "synthetic", "train"))
        rng = np.random.default_rng(SEED)
        synth = [(len(samples) - 1, "synth", int(rng.integers(1 << 30))) for _ in range(args.synth_views)]
        f_fixed = np.concatenate([f_fixed, cache_pooled_features(run, samples, synth, "crop", args, "train-synth")])
        fixed = fixed + synth

    def add_photos(photos, views_each, seed, name):
        """Append photos to the samples: one eval view and views_each - 1 random crops each, features cached apart."""
        rng = np.random.default_rng(seed)
        first = len(samples)
        samples.extend(photos)
        plan = [
            (first + n, kind, int(rng.integers(1 << 30)) if kind == "photo" else 0)
            for n in range(len(photos))
            for kind in ["eval"] + ["photo"] * (views_each - 1)
        ]
        return plan, cache_pooled_features(run, samples, plan, "crop", args, name)

    if args.scene_negatives:  # landscapes, sky, leaves...: the shared not-fruit photos are grocery items only
        scenes = datasets.list_folder(pathlib.Path(args.scene_negatives), "nonfruit_scene", "train")
        if not scenes or {s.label for s in scenes} != {"not_fruit"}:
            raise SystemExit(f"{args.scene_negatives}: expected photos under not_fruit/ only")
        sv, f_scenes = add_photos(scenes, args.scene_views, SEED + 2, "train-scenes")
        f_fixed = np.concatenate([f_fixed, f_scenes])
        fixed = fixed + sv
        log(f"{len(scenes)} scene photos from {args.scene_negatives}, {len(sv)} views")
    if args.feedback:  # users' corrected photos (training/feedback.py fetch): one eval view + random views each
        photos = [
            s for s in datasets.list_folder(pathlib.Path(args.feedback), "feedback", "train") if s.label in lab_idx
        ]
        fb, f_fb = add_photos(photos, args.photo_views, SEED + 1, "train-feedback")
        f_fixed = np.concatenate([f_fixed, f_fb])
        fixed = fixed + fb
        log(
            f"{len(photos)} corrected photos from {args.feedback}: {dict(collections.Counter(s.label for s in photos))}"
        )
    cand = args.views.split(",") if args.compare else [args.view]
    f_eval = {v: cache_pooled_features(run, samples, evalv, v, args, "train-eval") for v in cand}
    f_val = {v: cache_pooled_features(run, samples, val_views, v, args, "val") for v in cand}
    tr_views = fixed + evalv
    y = np.array([lab_idx[samples[i].label] for i, _, _ in tr_views])
    vy = np.array([lab_idx[samples[i].label] for i, _, _ in val_views])
    vsrc = np.array([samples[i].source for i, _, _ in val_views])
    w0, b0 = tflite_head.head_weights(tflite_head.read(base / "model.tflite"))
    log(f"{len(tr_views)} training views, {len(val_views)} val views: {dict(collections.Counter(vsrc.tolist()))}")

    def fit(view, **over):
        a = argparse.Namespace(**{**vars(args), **over})
        x = np.concatenate([f_fixed, f_eval[view]])
        return head.fit(x, y, head_sample_weights(samples, tr_views, y, a), w0, b0, a)

    if args.compare:
        rows = compare_heads(fit, f_val, w0, b0, vy, vsrc, labels, cand, base.name)
        (work / "compare.json").write_text(json.dumps(rows, indent=1))
        log(f"wrote {work / 'compare.json'}")
        return

    if args.view != "crop":
        raise SystemExit(
            "serving implements only the crop view (fruitclf.ml.preprocess.to_input); use other views with --compare"
        )
    W, B = fit(args.view)
    vl = f_val[args.view].astype(np.float32) @ W.T + B
    cal = np.isin(vsrc, REAL_VAL_SOURCES + ("nonfruit_photo",))
    c = calibrate(vl[cal], vy[cal], lab_idx["not_fruit"], args.max_fruit_abstain)
    T, thr = c.temperature, c.abstain_threshold
    val = val_scores(vl, vy, vsrc, labels, T, thr)
    base_val = val_scores(f_val[args.view].astype(np.float32) @ w0.T + b0, vy, vsrc, labels)
    log("val:", json.dumps({"temperature": T, "threshold": thr, **val}))
    write_model(
        base,
        pathlib.Path(args.out),
        W / T,
        B / T,
        labels,
        args,
        {
            "temperature": T,
            "abstain_threshold": thr,
            "val_fruit_abstain_rate": c.fruit_abstain_rate,
            "val_not_fruit_abstain_rate": c.not_fruit_abstain_rate,
            "val": val,
            "val_base_head_same_view": base_val,
            "train_counts": {
                f"{a}/{b}": n
                for (a, b), n in sorted(
                    collections.Counter((samples[i].source, samples[i].split) for i, _, _ in tr_views).items()
                )
            },
            "seconds": round(time.time() - t_start),
        },
    )


def compare_heads(fit, f_val, w0, b0, vy, vsrc, labels, cand, base_name):
    """Val scores of the base head and of new heads per input view and balance power, and of a few views averaged."""
    rows = []
    for v in cand:
        vl = f_val[v].astype(np.float32) @ w0.T + b0
        rows.append({"model": f"{base_name} (base head)", "view": v, **val_scores(vl, vy, vsrc, labels)})
    for v in cand:
        for bp in (0.5, 1.0):
            W, B = fit(v, balance_power=bp)
            vl = f_val[v].astype(np.float32) @ W.T + B
            rows.append({"model": f"new head, balance {bp}", "view": v, **val_scores(vl, vy, vsrc, labels)})
            log(
                json.dumps({k: rows[-1][k] for k in ("model", "view", "grocery", "web", "fruits360", "web_label_mean")})
            )
    if "crop" in cand:  # a few views averaged (one inference each): the crop head on every view's features
        W, B = fit("crop")
        for combo in (("crop", "squash"), ("crop", "crop43"), tuple(cand)):
            if all(v in cand for v in combo):
                p = np.mean([softmax(f_val[v].astype(np.float32) @ W.T + B) for v in combo], axis=0)
                rows.append(
                    {
                        "model": "new head (crop), probabilities averaged",
                        "view": "+".join(combo),
                        "inferences": len(combo),
                        **val_scores(np.log(p + 1e-12), vy, vsrc, labels),
                    }
                )
    return rows


def write_model(base, out, W, B, labels, args, info):
    out.mkdir(parents=True, exist_ok=True)
    model_path, file_bytes, head_at = write_head_model(base, out, W, B)
    (out / "labels.txt").write_text("\n".join(labels) + "\n")
    # the written model vs numpy (features of the base backbone -> new head -> softmax), on both runtimes
    x = np.random.default_rng(SEED).uniform(-1, 1, (8, 224, 224, 3)).astype(np.float32)
    ref = softmax(pooled_runner(base, pathlib.Path(args.work), args.threads)(x) @ W.T + B)
    checks = accept.check_head_model(model_path, x, ref, pathlib.Path(args.work), args.threads)
    model_card = card.head_card(
        json.loads((base / "model_card.json").read_text()),
        args,
        model_id=out.name,
        parent=base.name,
        file_bytes=file_bytes,
        head=head_at,
        info=info,
        checks=checks,
        command="python -m training.train_head " + " ".join(sys.argv[1:]),
    )
    (out / "model_card.json").write_text(json.dumps(model_card, indent=2) + "\n")
    log(f"wrote {out} ({file_bytes} bytes)")


if __name__ == "__main__":
    main()

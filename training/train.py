"""Train the fruit classifier and export it as TFLite (CPU only, fixed seeds).

    python -m training.train --data ../shared/datasets --out functions/models/<model-id>     # from the repository root

Steps (each cached under --work, so a rerun resumes):
 1. unpack the shared tars into --work/data (outside the repository): datasets.py;
 2. plan augmented views (real photos: random crops/scale/colour/blur; studio frames: plain, or composited
    onto non-fruit backgrounds, several fruit per picture like a grocery bin): plan.py, augment.py;
 3. run the frozen front of ImageNet EfficientNet-Lite0 (stem + blocks[:K]) once over every view, cache fp16:
    backbone.py, features.py;
 4. fine-tune the tail (blocks[K:], conv_head) and train a new classifier on the cached features: finetune.py,
    sampling.py;
 5. calibrate a temperature and the abstain threshold on the val splits: calibrate.py;
 6. export NHWC float input -> softmax probabilities as TFLite (weight-only int8) and check it on
    ai-edge-litert (here) and tflite-runtime 2.14 (functions/venv) against PyTorch: export.py, accept.py;
 7. write labels.txt and model_card.json: card.py.
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import random
import sys
import time

import numpy as np
import torch

from fruitclf.ml import preprocess  # the serving eval transform, used here verbatim
from fruitclf.ml.evaluate import ece

from . import accept, card, datasets
from .backbone import Exported, Front, load_backbone, new_tail
from .calibrate import calibrate, softmax
from .export import export_tflite
from .features import cache_front_features
from .finetune import predict, train_tail
from .plan import plan_views
from .progress import log
from .sampling import sample_weights
from .scores import top1_by_source
from .seed import SEED


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with the shared dataset tars (or unpacked sets)")
    ap.add_argument("--out", required=True, help="output model folder, e.g. functions/models/fruit-lite0-v3")
    ap.add_argument("--work", default="/tmp/fruitclf-work", help="scratch folder (unpacked data, feature caches)")
    ap.add_argument("--backbone", default="efficientnet-lite0")
    ap.add_argument("--k", type=int, default=11, help="blocks[:k] frozen and cached; blocks[k:] fine-tuned")
    ap.add_argument("--photo-views", type=int, default=6)
    ap.add_argument("--neg-views", type=int, default=4)
    ap.add_argument("--studio-frames", type=int, default=40)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--synth-views", type=int, default=0, help="synthetic not_fruit views (flat, gradient, noise)")
    ap.add_argument("--studio-weight", type=float, default=0.6, help="sampling weight of Fruits-360 views")
    ap.add_argument(
        "--balance-power",
        type=float,
        default=0.5,
        help="a view is sampled with weight count(label)^-power: 0.5 softens the class imbalance, 1.0 removes it",
    )
    ap.add_argument(
        "--balance-within",
        choices=["source", "all"],
        default="source",
        help="source: each label weighs the same within grocery, web and each not-fruit source; all: by label only",
    )
    ap.add_argument(
        "--scene-negatives",
        default=None,
        help="folder DIR/not_fruit/* of extra everyday pictures (training/fetch_scene_negatives.sh), train only",
    )
    ap.add_argument("--mixup", type=float, default=0.0, help="mixup alpha on cached features (0: off)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr-body", type=float, default=3e-4)
    ap.add_argument("--lr-head", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--smoothing", type=float, default=0.1)
    ap.add_argument("--max-fruit-abstain", type=float, default=0.03)
    ap.add_argument("--drop-labels", default="", help="comma-separated labels to leave out")
    ap.add_argument("--quant", choices=["wi8", "wi8-float-stem", "none"], default="wi8")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--front-runtime", choices=["tflite", "torch"], default="tflite")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model-id", default=None)
    ap.add_argument(
        "--calib-sources",
        default="grocery,nonfruit_photo",
        help="val sources used for the temperature and the abstain threshold",
    )
    ap.add_argument(
        "--train-seed",
        type=int,
        default=SEED,
        help="seed of the fine-tune's sampling order, dropout and mixup draws only: runs differing in it share the "
        "view plan and feature caches (ingredients of a soup, training.soup)",
    )
    ap.add_argument("--reuse-tail", action="store_true", help="reuse --work/tail-<model-id>.pt if present")
    args = ap.parse_args(argv)

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model_id = args.model_id or out.name
    t_start = time.time()

    root = datasets.ensure_unpacked(pathlib.Path(args.data), work / "data")
    samples = datasets.list_samples(root)
    if args.synth_views:
        samples.append(datasets.Sample("<synthetic>", "not_fruit", "synthetic", "train"))
    if args.scene_negatives:  # training/fetch_scene_negatives.sh: wallpapers and drawings from Debian packages
        samples += datasets.list_folder(pathlib.Path(args.scene_negatives), "everyday", "train")
    dropped = [x for x in args.drop_labels.split(",") if x]
    labels = sorted({s.label for s in samples if s.label != "not_fruit" and s.label not in dropped}) + ["not_fruit"]
    lab_idx = {label: i for i, label in enumerate(labels)}
    log(f"{len(samples)} samples, {len(labels)} labels")

    net = load_backbone(args.backbone)
    front = Front(net, args.k).eval()
    for p in front.parameters():
        p.requires_grad_(False)

    train_views, val_views = plan_views(samples, labels, args)
    log(f"{len(train_views)} training views, {len(val_views)} val views")
    tr_f = cache_front_features(front, samples, train_views, args, "train")
    va_f = cache_front_features(front, samples, val_views, args, "val")
    tr_y = np.array([lab_idx[samples[i].label] for i, _, _ in train_views])
    va_y = np.array([lab_idx[samples[i].label] for i, _, _ in val_views])

    weights = sample_weights(samples, train_views, tr_y, args)
    va_src = np.array([samples[i].source for i, _, _ in val_views])

    tail = new_tail(net, args.k, labels)  # keeps ImageNet's fruit knowledge: those rows start from its classifier
    ckpt = work / f"tail-{model_id}.pt"
    soup_of = None
    if args.reuse_tail and ckpt.exists():
        state = torch.load(ckpt)
        if state["labels"] != labels or state["k"] != args.k:
            raise SystemExit(f"{ckpt} was trained with other labels/k")
        tail.load_state_dict(state["tail"])
        soup_of = state.get("ingredients")  # training.soup's average of other runs' tails
        log(f"reusing fine-tuned tail {ckpt}" + (f" (a soup of {', '.join(soup_of)})" if soup_of else ""))
    else:
        epoch_ckpt = work / f"epochs-{model_id}.pt"  # per-epoch checkpoint: a stopped run resumes
        train_tail(tail, tr_f, tr_y, weights, va_f, va_y, args, ckpt_path=epoch_ckpt, val_sources=va_src)
        torch.save({"tail": tail.state_dict(), "labels": labels, "k": args.k}, ckpt)

    # calibrate on real photos only (grocery val + not-fruit val by default): studio frames are easy and would make
    # the temperature too sharp and the threshold too high for photos
    va_logits = predict(tail, va_f)
    cal = np.isin(va_src, args.calib_sources.split(","))
    calibration = calibrate(va_logits[cal], va_y[cal], lab_idx["not_fruit"], args.max_fruit_abstain)
    va_p = softmax(va_logits / calibration.temperature)
    val_report = {
        "temperature": calibration.temperature,
        "abstain_threshold": calibration.abstain_threshold,
        "val_fruit_abstain_rate": calibration.fruit_abstain_rate,
        "val_not_fruit_abstain_rate": calibration.not_fruit_abstain_rate,
        "val_ece": ece(va_p.max(1), (va_p.argmax(1) == va_y).astype(float)),
        **top1_by_source(va_p.argmax(1), va_y, va_src, counts=True),
    }
    log("val:", json.dumps(val_report))

    # export, then accept only if both runtimes give PyTorch's answers on a few val images
    tail.eval()
    module = Exported(front, tail, calibration.temperature).eval()
    rng = np.random.default_rng(SEED)
    chk_idx = rng.choice(len(val_views), size=min(24, len(val_views)), replace=False)
    chk_x = np.stack(
        [preprocess.to_input(preprocess.load_rgb(samples[val_views[j][0]].path))[0] for j in chk_idx]
    ).astype(np.float32)
    with torch.inference_mode():
        ref = module(torch.from_numpy(chk_x)).numpy()
    model_path = export_tflite(module, out / "model.tflite", args.quant, chk_x)
    checks = accept.check_export(model_path, chk_x, ref, work, args.quant)

    (out / "labels.txt").write_text("\n".join(labels) + "\n")
    model_card = card.fine_tune_card(
        args,
        model_id=model_id,
        file_bytes=model_path.stat().st_size,
        labels=labels,
        dropped=dropped,
        calibration=calibration,
        val_report=val_report,
        checks=checks,
        train_counts=collections.Counter((samples[i].source, samples[i].split) for i, _, _ in train_views),
        seconds=round(time.time() - t_start),
        soup_of=soup_of,
        command="python -m training.train " + " ".join(sys.argv[1:] if argv is None else argv),
    )
    (out / "model_card.json").write_text(json.dumps(model_card, indent=2) + "\n")
    log(f"wrote {out} ({model_path.stat().st_size} bytes) in {time.time() - t_start:.0f}s")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""A new model from a shipped one: same backbone, a new classifier head trained with more (and balanced) real photos.

    /work/train-venv/bin/python training/train_head.py --data ../shared/datasets \
        --base functions/models/fruit-lite0-v3 --out functions/models/fruit-lite0-v4 --compare

Steps (features cached under --work, so a rerun costs seconds):
 1. plan views as train.py does (real photos of every source, balanced later; studio frames plain and composited;
    not-fruit photos; with --scene-negatives, everyday-scene photos as not_fruit), with the "eval" view of each photo
    made by every candidate input view (views.py);
 2. run the base model's backbone (its .tflite cut at the pooled features, see tflite_head.py) over every view;
 3. train a softmax head on the pooled features, starting from the base head, with class-balanced weights
    (each label's real photos weigh the same in total, --balance-power) and studio frames down-weighted;
 4. --compare: one head per input view (and weighting), scored on the validation splits only (grocery val, the
    held-out share of the web-photo train splits, Fruits-360 val frames, not-fruit val); the base model's own head
    is scored on the same features;
 5. calibrate a temperature and the abstain threshold on the real-photo val splits, fold the temperature into the
    head and write <out>/model.tflite (base backbone bytes + float32 head) with labels.txt and model_card.json,
    after checking it on ai-edge-litert here and tflite-runtime 2.14 (functions/venv) against numpy.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import datasets  # noqa: E402
import tflite_head  # noqa: E402
import train  # noqa: E402  (view planning and augmentation, shared with the full fine-tune)
from train import REAL_PHOTO_SOURCES, SEED, choose_threshold, ece, fit_temperature, log, softmax  # noqa: E402
from train_check import invoke_each  # noqa: E402

VIEWS = ("crop", "squash", "pad", "crop43")
REAL_VAL = ("grocery", "extra", "extra2", "extra3")  # real fruit photos held out for validation


def feature_runner(base_dir: pathlib.Path, work: pathlib.Path, threads: int):
    from ai_edge_litert.interpreter import Interpreter

    src = base_dir / "model.tflite"
    path = work / f"features-{base_dir.name}-{hashlib.sha1(src.read_bytes()).hexdigest()[:10]}.tflite"
    if not path.exists():
        path.write_bytes(tflite_head.feature_model_bytes(tflite_head.read(src)))
    it = Interpreter(model_path=str(path), num_threads=threads)
    it.allocate_tensors()
    return lambda x: invoke_each(it, x)


def cache_features(run, samples, views, input_view, args, name):
    key = hashlib.sha1(
        json.dumps([args.base_key, input_view, [(samples[i].path, k, s) for i, k, s in views]]).encode()
    ).hexdigest()[:12]
    path = pathlib.Path(args.work) / f"pooled-{name}-{input_view}-{key}.npy"
    if path.exists():
        return np.load(path)
    bg_paths = [s.path for s in samples if s.source == "nonfruit_photo" and s.split == "train"]
    class_frames = collections.defaultdict(list)
    for s in samples:
        if s.source in ("fruits360", "nonfruit_studio") and s.split == "train":
            class_frames[str(pathlib.Path(s.path).parent)].append(s.path)
    ds = train.ViewDataset(samples, views, bg_paths, class_frames, input_view=input_view)
    dl = torch.utils.data.DataLoader(ds, batch_size=32, num_workers=args.workers, shuffle=False)
    out = np.zeros((len(views), 1280), np.float16)
    t0 = time.time()
    for bi, (x, idx) in enumerate(dl):
        out[idx.numpy()] = run(x.permute(0, 2, 3, 1).contiguous().numpy())
        if bi % 40 == 0:
            log(
                f"  {name}/{input_view}: {min((bi + 1) * 32, len(views))}/{len(views)}, {(time.time() - t0) / ((bi + 1) * 32) * 1000:.1f} ms/view"
            )
    np.save(path, out)
    return out


def sample_weights(samples, views, y, args):
    """Each label's real photos weigh the same in total (power 1; 0.5 softens); studio and not-fruit likewise."""

    def group(s):
        if s.source not in REAL_PHOTO_SOURCES:
            return s.source
        # --balance-within source: grocery photos are balanced among themselves, web photos among themselves
        return "real-grocery" if args.balance_within == "source" and s.source == "grocery" else "real"

    g = [group(samples[i]) for i, _, _ in views]
    cnt = collections.Counter(zip(g, y.tolist(), strict=True))
    src_w = {
        "real": 1.0,
        "real-grocery": 1.0,
        "nonfruit_photo": 1.0,
        "everyday": 1.0,
        "nonfruit_studio": 0.5,
        "fruits360": args.studio_weight,
        "synthetic": 0.5,
        "nonfruit_scene": args.scene_weight,
    }
    w = np.array([src_w[gi] * cnt[(gi, yi)] ** -args.balance_power for gi, yi in zip(g, y.tolist(), strict=True)])
    return w / w.mean()


def train_head(x, y, w, w0, b0, args):
    torch.manual_seed(SEED)
    W = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    B = torch.nn.Parameter(torch.from_numpy(b0.copy()))
    W0 = torch.from_numpy(w0.copy())
    opt = torch.optim.AdamW([W, B], lr=args.lr, weight_decay=0.0)
    xt, yt, wt = torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y), torch.from_numpy(w.astype(np.float32))
    g = torch.Generator().manual_seed(SEED)
    steps = args.epochs * (len(y) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    for _ in range(args.epochs):
        perm = torch.randperm(len(y), generator=g)
        for b in range(len(y) // args.batch):
            idx = perm[b * args.batch : (b + 1) * args.batch]
            logits = xt[idx] @ W.T + B
            loss = (F.cross_entropy(logits, yt[idx], reduction="none", label_smoothing=args.smoothing) * wt[idx]).mean()
            loss = loss + args.anchor * ((W - W0) ** 2).sum()  # stay near the base head: keep what it knew
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return W.detach().numpy(), B.detach().numpy()


def score(logits, y, src, labels, T=1.0, thr=None):
    p = softmax(logits / T)
    top, conf = p.argmax(1), p.max(1)
    nf = labels.index("not_fruit")
    out = {}
    real = np.isin(src, REAL_VAL)
    for name, m in (
        ("grocery", src == "grocery"),
        ("web", np.isin(src, ("extra", "extra2", "extra3"))),
        ("fruits360", src == "fruits360"),
        ("real", real),
    ):
        out[name] = float((top[m] == y[m]).mean())
    web = np.isin(src, ("extra", "extra2", "extra3"))
    per = {labels[c]: float((top[web & (y == c)] == c).mean()) for c in sorted(set(y[web].tolist()))}
    out["web_per_label"] = per
    out["web_label_mean"] = float(np.mean(list(per.values())))
    if thr is not None:
        abst = (top == nf) | (conf < thr)
        fruit = y != nf
        out["not_fruit_abstain"] = float(abst[~fruit].mean())
        out["fruit_abstain"] = float(abst[fruit & real].mean())
        out["ece_real"] = ece(conf[real], (top[real] == y[real]).astype(float))
    return out


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
    train_views, val_views = train.plan_views(samples, labels, argparse.Namespace(**{**vars(args), "synth_views": 0}))
    # views that do not depend on the input view (random crops, composites) vs "eval" views of photos
    fixed = [v for v in train_views if v[1] != "eval"]
    evalv = [v for v in train_views if v[1] == "eval"]
    run = feature_runner(base, work, args.threads)
    f_fixed = cache_features(run, samples, fixed, "crop", args, "train-random")
    if args.synth_views:  # flat colours, gradients, noise as not_fruit: cached apart, so the views above keep their key
        samples.append(datasets.Sample("<synthetic>", "not_fruit", "synthetic", "train"))
        rng = np.random.default_rng(SEED)
        synth = [(len(samples) - 1, "synth", int(rng.integers(1 << 30))) for _ in range(args.synth_views)]
        f_fixed = np.concatenate([f_fixed, cache_features(run, samples, synth, "crop", args, "train-synth")])
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
        return plan, cache_features(run, samples, plan, "crop", args, name)

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
    f_eval = {v: cache_features(run, samples, evalv, v, args, "train-eval") for v in cand}
    f_val = {v: cache_features(run, samples, val_views, v, args, "val") for v in cand}
    tr_views = fixed + evalv
    y = np.array([lab_idx[samples[i].label] for i, _, _ in tr_views])
    vy = np.array([lab_idx[samples[i].label] for i, _, _ in val_views])
    vsrc = np.array([samples[i].source for i, _, _ in val_views])
    w0, b0 = tflite_head.head_weights(tflite_head.read(base / "model.tflite"))
    log(f"{len(tr_views)} training views, {len(val_views)} val views: {dict(collections.Counter(vsrc.tolist()))}")

    def fit(view, **over):
        a = argparse.Namespace(**{**vars(args), **over})
        x = np.concatenate([f_fixed, f_eval[view]])
        return train_head(x, y, sample_weights(samples, tr_views, y, a), w0, b0, a)

    if args.compare:
        rows = []
        for v in cand:
            vl = f_val[v].astype(np.float32) @ w0.T + b0
            rows.append({"model": f"{base.name} (base head)", "view": v, **score(vl, vy, vsrc, labels)})
        for v in cand:
            for bp in (0.5, 1.0):
                W, B = fit(v, balance_power=bp)
                vl = f_val[v].astype(np.float32) @ W.T + B
                rows.append({"model": f"new head, balance {bp}", "view": v, **score(vl, vy, vsrc, labels)})
                log(
                    json.dumps(
                        {k: rows[-1][k] for k in ("model", "view", "grocery", "web", "fruits360", "web_label_mean")}
                    )
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
                            **score(np.log(p + 1e-12), vy, vsrc, labels),
                        }
                    )
        (work / "compare.json").write_text(json.dumps(rows, indent=1))
        log(f"wrote {work / 'compare.json'}")
        return

    if args.view != "crop":
        raise SystemExit(
            "serving implements only the crop view (fruitclf.ml.preprocess.to_input); use other views with --compare"
        )
    W, B = fit(args.view)
    vl = f_val[args.view].astype(np.float32) @ W.T + B
    cal = np.isin(vsrc, REAL_VAL + ("nonfruit_photo",))
    T = fit_temperature(vl[cal], vy[cal])
    thr, fr_abs, nf_abs = choose_threshold(softmax(vl[cal] / T), vy[cal], lab_idx["not_fruit"], args.max_fruit_abstain)
    val = score(vl, vy, vsrc, labels, T, thr)
    base_val = score(f_val[args.view].astype(np.float32) @ w0.T + b0, vy, vsrc, labels)
    log("val:", json.dumps({"temperature": T, "threshold": thr, **val}))
    write_model(
        base,
        pathlib.Path(args.out),
        W / T,
        B / T,
        labels,
        f_val[args.view][:24].astype(np.float32),
        args,
        {
            "temperature": T,
            "abstain_threshold": thr,
            "val_fruit_abstain_rate": fr_abs,
            "val_not_fruit_abstain_rate": nf_abs,
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


def write_model(base, out, W, B, labels, check_feats, args, info):
    out.mkdir(parents=True, exist_ok=True)
    data, head = tflite_head.with_head(tflite_head.read(base / "model.tflite"), W, B)
    (out / "model.tflite").write_bytes(data)
    (out / "labels.txt").write_text("\n".join(labels) + "\n")
    checks = check_runtimes(out / "model.tflite", base, W, B, args)
    card = json.loads((base / "model_card.json").read_text())
    for k in ("metrics", "bench", "targets", "validation", "runtime_checks"):
        card.pop(k, None)
    card.update(
        {
            "model_id": out.name,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "parent_model": base.name,
            "architecture": f"{base.name}'s network up to the pooled features (bytes unchanged), new linear classifier "
            "(float32) trained on those features, temperature folded into it",
            "file_bytes": len(data),
            "quantization": card.get("quantization", "") + "; classifier head float32",
            "head": head,
            "temperature": info["temperature"],
            "abstain_threshold": info["abstain_threshold"],
            "abstain_threshold_selection": f"largest threshold (step 0.01) keeping the fruit abstain rate on the real-photo "
            f"val splits (grocery, web photos) <= {args.max_fruit_abstain:.0%}; temperature "
            "fitted by NLL on the same val photos plus the not-fruit val photos",
            "validation": info,
            "runtime_checks": checks,
            "training": {
                "seed": SEED,
                "method": "head on cached pooled features (training/train_head.py)",
                "input_view": args.view,
                "balance_power": args.balance_power,
                "balance_within": args.balance_within,
                "studio_weight": args.studio_weight,
                "anchor": args.anchor,
                "epochs": args.epochs,
                "lr": args.lr,
                "label_smoothing": args.smoothing,
                "photo_views": args.photo_views,
                "synth_views": args.synth_views,
                "scene_negatives": args.scene_negatives,
                "scene_views": args.scene_views if args.scene_negatives else None,
                "scene_weight": args.scene_weight if args.scene_negatives else None,
                "feedback": args.feedback,
                "command": "training/train_head.py " + " ".join(sys.argv[1:]),
            },
        }
    )
    (out / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    log(f"wrote {out} ({len(data)} bytes)")


def check_runtimes(model_path, base, W, B, args):
    """The written model vs numpy (features of the base backbone -> new head -> softmax), on both runtimes."""
    rng = np.random.default_rng(SEED)
    x = rng.uniform(-1, 1, (8, 224, 224, 3)).astype(np.float32)
    run = feature_runner(base, pathlib.Path(args.work), args.threads)
    ref = softmax(run(x) @ W.T + B)
    work = pathlib.Path(args.work)
    np.save(work / "head_check_x.npy", x)
    np.save(work / "head_check_ref.npy", ref)
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model_path), num_threads=args.threads)
    it.allocate_tensors()
    lite = invoke_each(it, x)
    checks = {
        "ai_edge_litert": {
            "max_abs_diff": float(np.abs(lite - ref).max()),
            "top1_agree": float((lite.argmax(1) == ref.argmax(1)).mean()),
        }
    }
    serving_py = REPO / "functions" / "venv" / "bin" / "python"
    code = (
        f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import train_check as c; "
        f"print(json.dumps(c.check({str(model_path)!r}, {str(work / 'head_check_x.npy')!r}, {str(work / 'head_check_ref.npy')!r})))"
    )
    r = subprocess.run([str(serving_py), "-c", code], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("tflite-runtime check failed to run:\n" + r.stderr)
    checks["tflite_runtime"] = json.loads(r.stdout.strip().splitlines()[-1])
    log("runtime checks:", json.dumps(checks))
    for name, c in checks.items():
        if c["top1_agree"] < 1.0 or c["max_abs_diff"] > 1e-4:
            shutil.rmtree(model_path.parent)
            raise SystemExit(f"REJECTED: {name} differs from the numpy reference: {c}")
    return checks


if __name__ == "__main__":
    main()

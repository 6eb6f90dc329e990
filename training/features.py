"""Feature caching: every planned view rendered once (ViewDataset) and run through the frozen part of a network,
the outputs kept under --work (keyed by what produced them) so that a rerun or a resumed run costs seconds.

Two caches: the fine-tune's front feature maps (train.py: ImageNet front as TFLite, fp16 memory-mapped) and the head
retrain's pooled features (train_head.py: a shipped model cut before its classifier, tflite_head).
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import pathlib
import random
import time

import numpy as np
import torch

from fruitclf.ml import preprocess  # the serving eval transform, used here verbatim

from . import augment, tflite_head, views
from .backbone import FrontNHWC
from .datasets import NEGATIVE_PHOTO_SOURCES
from .export import to_tflite
from .progress import log
from .seed import SEED
from .train_check import invoke_each


class ViewDataset(torch.utils.data.Dataset):
    def __init__(self, samples, views, bg_paths, class_frames, input_view="crop"):
        self.samples, self.views, self.bg_paths, self.class_frames = samples, views, bg_paths, class_frames
        self.input_view = input_view  # how an "eval" view of a photo becomes the square input (views.py)
        self.cache = {}

    @classmethod
    def for_plan(cls, samples, plan, bg_sources, input_view="crop"):
        """The views of PLAN, composites pasted onto the training photos of BG_SOURCES (or flat/gradient)."""
        bg_paths = [s.path for s in samples if s.source in bg_sources and s.split == "train"]
        class_frames = collections.defaultdict(list)
        for s in samples:
            if s.source in ("fruits360", "nonfruit_studio") and s.split == "train":
                class_frames[str(pathlib.Path(s.path).parent)].append(s.path)
        return cls(samples, plan, bg_paths, class_frames, input_view=input_view)

    def __len__(self):
        return len(self.views)

    def __getitem__(self, n):
        i, kind, seed = self.views[n]
        s = self.samples[i]
        rng = random.Random(seed)
        if kind in ("eval", "plain"):
            x = views.to_input(preprocess.load_rgb(s.path), self.input_view)[0]
        elif kind == "synth":
            x = preprocess.to_input(augment.synthetic_negative(rng))[0]
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


# ----------------------------------------------------------------------------------------------- fine-tune: front
def front_runner(front, args):
    """The frozen front as a TFLite model (XNNPACK is ~20x faster than PyTorch on these CPUs); checked vs PyTorch."""
    from ai_edge_litert.interpreter import Interpreter

    path = pathlib.Path(args.work) / f"front-{args.backbone}-k{args.k}.tflite"
    sample = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32))
    if not path.exists():
        log(f"exporting frozen front to {path}")
        to_tflite(FrontNHWC(front), sample, path)
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


def cache_front_features(front, samples, views, args, name):
    key = hashlib.sha1(
        json.dumps([args.backbone, args.k, [(samples[i].path, k, s) for i, k, s in views]]).encode()
    ).hexdigest()[:12]
    path = pathlib.Path(args.work) / f"feat-{name}-{key}.npy"
    if path.exists():
        log(f"cached features {path}")
        return np.load(path, mmap_mode="r")
    ds = ViewDataset.for_plan(samples, views, NEGATIVE_PHOTO_SOURCES)
    dl = torch.utils.data.DataLoader(
        ds, batch_size=64, num_workers=args.workers, shuffle=False, worker_init_fn=lambda w: np.random.seed(SEED + w)
    )
    run_front = front_runner(front, args) if args.front_runtime == "tflite" else (lambda x: front(x).numpy())
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


# ----------------------------------------------------------------------------------------------- head: pooled
def pooled_runner(base_dir: pathlib.Path, work: pathlib.Path, threads: int):
    """BASE_DIR's model cut at the pooled features (tflite_head), as a function of an NHWC batch."""
    from ai_edge_litert.interpreter import Interpreter

    src = base_dir / "model.tflite"
    path = work / f"features-{base_dir.name}-{hashlib.sha1(src.read_bytes()).hexdigest()[:10]}.tflite"
    if not path.exists():
        path.write_bytes(tflite_head.feature_model_bytes(tflite_head.read(src)))
    it = Interpreter(model_path=str(path), num_threads=threads)
    it.allocate_tensors()
    return lambda x: invoke_each(it, x)


def cache_pooled_features(run, samples, views, input_view, args, name):
    key = hashlib.sha1(
        json.dumps([args.base_key, input_view, [(samples[i].path, k, s) for i, k, s in views]]).encode()
    ).hexdigest()[:12]
    path = pathlib.Path(args.work) / f"pooled-{name}-{input_view}-{key}.npy"
    if path.exists():
        return np.load(path)
    # composites only on the shared not-fruit photos, as when v4 was trained (the cache key does not hold this)
    ds = ViewDataset.for_plan(samples, views, ("nonfruit_photo",), input_view=input_view)
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

"""The view plan: which views of which sample train and validate the model, drawn from the one seed.

A view is (sample index, kind, seed). Kinds: eval (the serving transform of a photo or frame), photo (a random
photo-like view of a real photo), plain (a studio frame as it is), comp (studio frames composited onto a background,
several fruit per picture like a grocery bin), synth (a synthetic not-fruit picture). Rendering a view is
features.ViewDataset's job; this module only decides, so it needs neither torch nor the images.
"""

from __future__ import annotations

import collections
import pathlib
import random

from .datasets import NEGATIVE_PHOTO_SOURCES, REAL_PHOTO_SOURCES
from .seed import SEED


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

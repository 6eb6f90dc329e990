"""How often each training view is drawn (numpy only): labels balanced within groups of sources, each source
weighted.

sample_weights is the fine-tune's (train.py), head_sample_weights the head retrain's (train_head.py, how v4 was made).
"""

from __future__ import annotations

import collections

import numpy as np

from .datasets import REAL_PHOTO_SOURCES

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


def head_sample_weights(samples, views, y, args):
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

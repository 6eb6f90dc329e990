"""Validation figures (numpy only): top-1 per source, and a head's scores on the real-photo val splits."""

from __future__ import annotations

import numpy as np

from fruitclf.ml.evaluate import ece

from .calibrate import softmax
from .datasets import REAL_VAL_SOURCES

WEB_SOURCES = ("extra", "extra2", "extra3")


def top1_by_source(pred, y, sources, counts: bool = False) -> dict:
    """{"val_top1_<source>": top-1 (and "val_n_<source>": images, with COUNTS)} for every source in SOURCES."""
    out = {}
    for src in sorted(set(sources)):
        m = sources == src
        out[f"val_top1_{src}"] = float((pred[m] == y[m]).mean())
        if counts:
            out[f"val_n_{src}"] = int(m.sum())
    return out


def val_scores(logits, y, src, labels, T=1.0, thr=None):
    """Top-1 on grocery, web, Fruits-360 and all real val photos, web top-1 per label; with a threshold THR also
    the abstain rates (not-fruit, real fruit photos) and the ECE on real photos."""
    p = softmax(logits / T)
    top, conf = p.argmax(1), p.max(1)
    nf = labels.index("not_fruit")
    out = {}
    real = np.isin(src, REAL_VAL_SOURCES)
    for name, m in (
        ("grocery", src == "grocery"),
        ("web", np.isin(src, WEB_SOURCES)),
        ("fruits360", src == "fruits360"),
        ("real", real),
    ):
        out[name] = float((top[m] == y[m]).mean())
    web = np.isin(src, WEB_SOURCES)
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

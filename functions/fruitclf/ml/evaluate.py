"""A model's figures on a folder of labelled images: top-1/top-3, abstaining, ECE, per label and per source, confusion.

The one evaluation of a model: `python -m fruitclf evaluate` prints it, training/finalize.py writes it into the
model card, and training calibrates with the same `ece`.
"""

from __future__ import annotations

import pathlib

import numpy as np

from . import model, preprocess

METRIC_NOTES = (
    "fruit folders: top1/top3 = true label is the top-1/in the top-3 (abstaining is not "
    "penalised there; see abstain_rate); not_fruit folder: correct = abstained. ece over fruit "
    "images: top-1 probability vs top-1 correctness, 15 equal-width bins. Files are opened by "
    "content whatever their extension; the ones that could not be read are in `unreadable` "
    "and counted in no figure."
)


def iter_labelled(root: pathlib.Path):
    """(label, source, file) for every file under ROOT/<label>/, whatever its name or extension: images are
    recognised by their content, so a .jfif or an extension-less JPEG counts and a broken file is reported.
    The source is the first folder under the label folder (ROOT/<label>/<source>/...), "" for files directly in it."""
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(d.rglob("*")):
            if f.is_file():
                rel = f.relative_to(d).parts
                yield d.name, (rel[0] if len(rel) > 1 else ""), f


def ece(conf, correct, bins: int = 15) -> float | None:
    """Expected calibration error: |accuracy - confidence| per equal-width confidence bin (lo, hi], weighted by
    the bin's share of the images (a confidence of exactly 0 counts in the first bin); None without images.
    Computed in the precision it is given (training passes float32 probabilities, evaluate_dir Python floats)."""
    conf, correct = np.asarray(conf), np.asarray(correct)
    if conf.size == 0:
        return None
    e = 0.0
    for b in range(bins):
        in_bin = (conf > b / bins) & (conf <= (b + 1) / bins)
        if b == 0:
            in_bin |= conf == 0
        if in_bin.any():
            e += in_bin.mean() * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return float(e)


class Tally:
    """Counts for one group of images (a label or a source folder)."""

    def __init__(self):
        self.n = self.top1 = self.top3 = self.abstained = 0
        self.confusion: dict[str, int] = {}

    def add(self, ok1: bool, ok3: bool, abstained: bool, predicted: str, label: str) -> None:
        self.n += 1
        self.top1 += ok1
        self.top3 += ok3
        self.abstained += abstained
        if predicted != label:
            self.confusion[predicted] = self.confusion.get(predicted, 0) + 1

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "top1": self.top1 / self.n,
            "top3": self.top3 / self.n,
            "abstain_rate": self.abstained / self.n,
            "confused_with": dict(sorted(self.confusion.items(), key=lambda kv: -kv[1])[:3]),
        }


def evaluate_dir(root: pathlib.Path, model_id: str | None = None, limit: int | None = None) -> dict:
    """Every image under ROOT/<label>/ through the model (at most LIMIT per label); a not_fruit image is right
    when the model abstains."""
    clf = model.get_classifier(model_id)
    labels = set(clf.labels)
    per_label: dict[str, Tally] = {}
    per_source: dict[str, Tally] = {}
    pairs: dict[tuple[str, str], int] = {}
    n = top1 = top3 = abstained = 0
    fruit_n = fruit_abst = nf_n = nf_abst = 0
    conf_l, corr_l, unreadable, unknown = [], [], [], set()
    counts: dict[str, int] = {}
    for label, source, f in iter_labelled(root):
        if limit and counts.get(label, 0) >= limit:
            continue
        counts[label] = counts.get(label, 0) + 1
        try:
            p = clf.classify(preprocess.load_rgb(f), k=3)
        except preprocess.ImageDecodeError as e:
            unreadable.append({"file": str(f), "label": label, "reason": str(e)})
            continue
        if label not in labels:
            unknown.add(label)
        names = [name for name, _ in p.topk]
        if label == "not_fruit":
            ok1 = ok3 = p.abstained
            nf_n += 1
            nf_abst += p.abstained
        else:
            ok1 = names[0] == label
            ok3 = label in names
            fruit_n += 1
            fruit_abst += p.abstained
            conf_l.append(p.confidence)
            corr_l.append(1.0 if ok1 else 0.0)
        pred = "ABSTAIN" if p.abstained else names[0]
        if label == "not_fruit" and p.abstained:
            pred = label
        if pred != label:
            pairs[(label, pred)] = pairs.get((label, pred), 0) + 1
        for group, key in ((per_label, label), (per_source, source)):
            group.setdefault(key, Tally()).add(ok1, ok3, p.abstained, pred, label)
        n += 1
        top1 += ok1
        top3 += ok3
        abstained += p.abstained
    return {
        "dir": str(root),
        "model_id": clf.model_id,
        "n": n,
        "top1": top1 / n if n else None,
        "top3": top3 / n if n else None,
        "abstain_rate": abstained / n if n else None,
        "fruit_n": fruit_n,
        "fruit_abstain_rate": fruit_abst / fruit_n if fruit_n else None,
        "not_fruit_n": nf_n,
        "not_fruit_abstain_rate": nf_abst / nf_n if nf_n else None,
        "ece": ece(conf_l, corr_l),
        "abstain_threshold": clf.abstain_threshold,
        "metric_notes": METRIC_NOTES,
        "per_label": {name: t.to_dict() for name, t in sorted(per_label.items())},
        "per_source": {s: t.to_dict() for s, t in sorted(per_source.items())},
        "confusion_pairs": [
            {"label": truth, "predicted": guess, "n": c}
            for (truth, guess), c in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "unknown_labels": sorted(unknown),
        "unreadable": unreadable,
    }

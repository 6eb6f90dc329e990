"""Dataset listing for the shared fruit datasets (see ../shared/datasets/MANIFEST.md).

Every sample is (path, label, source, split). Tars found in the data folder are unpacked once into a scratch
folder outside the repository.
"""

from __future__ import annotations

import csv
import hashlib
import os
import pathlib
import tarfile
from dataclasses import dataclass

SETS = [
    "fruits360-subset",
    "realworld-grocerystore",
    "nonfruit-negatives",
    "realworld-extra",
    "realworld-extra2",
    "realworld-extra3",
]
# Sets used when their tar is there (added later; older copies of the shared folder lack them).
OPTIONAL_SETS = ["everyday-nonfruit"]
# The web-photo sets ship only train and test: a fixed share of each train split (chosen by a hash of the file name,
# so every run and every machine agrees) is held out as their validation split.
VAL_PERCENT = 15
# Sources (Sample.source) that training treats alike.
REAL_PHOTO_SOURCES = ("grocery", "extra", "extra2", "extra3", "feedback")  # real fruit photos
NEGATIVE_PHOTO_SOURCES = ("nonfruit_photo", "everyday")  # real photos that are not fruit
REAL_VAL_SOURCES = ("grocery", "extra", "extra2", "extra3")  # real fruit photos with a val split


@dataclass(frozen=True)
class Sample:
    path: str
    label: str
    source: (
        str  # fruits360 | grocery | nonfruit_photo | nonfruit_studio | everyday | extra | extra2 | extra3 | feedback
    )
    split: str  # train | val | test


def ensure_unpacked(data: pathlib.Path, scratch: pathlib.Path) -> pathlib.Path:
    """Return a folder holding the unpacked sets (data itself if they are already unpacked there)."""
    data = pathlib.Path(data)
    if all((data / s).is_dir() for s in SETS):
        return data
    scratch = pathlib.Path(scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    for s in SETS + OPTIONAL_SETS:
        if (scratch / s).is_dir() and (scratch / s / ".complete").exists():
            continue
        tar = data / f"{s}.tar"
        if not tar.exists():
            if s in OPTIONAL_SETS:
                continue
            raise SystemExit(f"missing {tar} (and no unpacked {data / s})")
        print(f"unpacking {tar} -> {scratch}", flush=True)
        with tarfile.open(tar) as t:
            t.extractall(scratch, filter="data")
        (scratch / s / ".complete").write_text("ok\n")
    return scratch


def _resolve(root: pathlib.Path, rel: str) -> str:
    p = root / rel
    if not p.exists():
        p = root.parent / rel
    if not p.exists():
        raise FileNotFoundError(f"{rel} not under {root}")
    return str(p)


def list_samples(root: pathlib.Path) -> list[Sample]:
    root = pathlib.Path(root)
    out: list[Sample] = []
    # Fruits-360 subset: Training -> train, Test -> test
    f360 = root / "fruits360-subset"
    cls2label = {}
    with open(f360 / "classes.csv", newline="") as f:
        for row in csv.DictReader(f):
            cls2label[row["fruits360_class"]] = row["suggested_label"]
    for split_dir, split in (("Training", "train"), ("Test", "test")):
        for cls in sorted(os.listdir(f360 / split_dir)):
            if cls not in cls2label:
                continue
            for fn in sorted(os.listdir(f360 / split_dir / cls)):
                out.append(Sample(str(f360 / split_dir / cls / fn), cls2label[cls], "fruits360", split))
    # Grocery store photos
    g = root / "realworld-grocerystore"
    with open(g / "labels.csv", newline="") as f:
        for row in csv.DictReader(f):
            out.append(Sample(_resolve(g, row["path"]), row["label"], "grocery", row["split"]))
    # Not-fruit negatives
    n = root / "nonfruit-negatives"
    with open(n / "labels.csv", newline="") as f:
        for row in csv.DictReader(f):
            src = "nonfruit_studio" if row["coarse_group"] == "Studio" else "nonfruit_photo"
            out.append(Sample(_resolve(n, row["path"]), "not_fruit", src, row["split"]))
    for name, src in (("realworld-extra", "extra"), ("realworld-extra2", "extra2")):
        d = root / name
        with open(d / "labels.csv", newline="") as f:
            for row in csv.DictReader(f):
                out.append(Sample(_resolve(d, row["path"]), row["label"], src, _web_split(row["path"], row["split"])))
    d = root / "realworld-extra3"
    with open(d / "provenance.tsv", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            out.append(Sample(str(d / row["file"]), row["label"], "extra3", _web_split(row["file"], row["split"])))
    # Everyday photos that are not fruit (MS-COCO; pets, rooms, streets, other food), with their own splits.
    e = root / "everyday-nonfruit"
    if e.is_dir():
        for split in ("train", "val", "test"):
            for p in sorted((e / split / "not_fruit").glob("*.jpg")):
                out.append(Sample(str(p), "not_fruit", "everyday", split))
    return out


def _web_split(path: str, split: str) -> str:
    if split != "train":
        return split
    h = int(hashlib.sha1(pathlib.Path(path).name.encode()).hexdigest(), 16)
    return "val" if h % 100 < VAL_PERCENT else "train"


def make_eval_dirs(samples: list[Sample], dest: pathlib.Path) -> dict[str, pathlib.Path]:
    """Symlink trees DEST/<set>/<label>/<source>/<file> for `python -m fruitclf evaluate` (test and val splits)."""
    dest = pathlib.Path(dest)
    groups = {
        "grocery-test": lambda s: s.source == "grocery" and s.split == "test",
        "fruits360-test": lambda s: s.source == "fruits360" and s.split == "test",
        "notfruit-test": lambda s: s.source.startswith("nonfruit") and s.split == "test",
        "extra-test": lambda s: s.source in ("extra", "extra2") and s.split == "test",
        "extra3-test": lambda s: s.source == "extra3" and s.split == "test",
        "grocery-val": lambda s: s.source == "grocery" and s.split == "val",
        "notfruit-val": lambda s: s.source.startswith("nonfruit") and s.split == "val",
        "web-val": lambda s: s.source in ("extra", "extra2", "extra3") and s.split == "val",
        "everyday-test": lambda s: s.source == "everyday" and s.split == "test",
        "everyday-val": lambda s: s.source == "everyday" and s.split == "val",
    }
    made = {}
    for name, pred in groups.items():
        for s in samples:
            if not pred(s):
                continue
            d = dest / name / s.label / s.source  # evaluate reports per source folder
            d.mkdir(parents=True, exist_ok=True)
            link = d / (pathlib.Path(s.path).parent.name.replace(" ", "_") + "__" + pathlib.Path(s.path).name)
            if not link.exists():
                link.symlink_to(s.path)
        made[name] = dest / name
    return made


def list_folder(folder: pathlib.Path, source: str, split: str) -> list[Sample]:
    """Photos under FOLDER/<label>/<file> (e.g. corrected photos from training/feedback.py), every file kept."""
    folder = pathlib.Path(folder)
    return [Sample(str(p), p.parent.name, source, split) for p in sorted(folder.glob("*/*")) if p.is_file()]

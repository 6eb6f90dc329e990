"""Is a full-integer (int8 activations) model worth shipping? Measure before converting a real model.

    python -m training.int8_probe --data ../shared/datasets --out /tmp/int8-probe [--tail CKPT --labels L]
    functions/venv/bin/python -m training.tflite_speed /tmp/int8-probe/fp32.tflite /tmp/int8-probe/int8.tflite
    /work/train-venv/bin/python -m training.tflite_speed /tmp/int8-probe/fp32.tflite /tmp/int8-probe/int8.tflite

Writes the same network twice, float32 and ai-edge-quantizer's full-integer recipe (static_wi8_ai8, calibrated on
real training photos): by default ImageNet EfficientNet-Lite0 with its own classifier, since speed depends on the
graph, not on what the weights learnt. tflite_speed then times both at one thread in interleaved rounds on the
runtime of the venv it runs in (tflite-runtime 2.14 in functions/venv, ai-edge-litert in the training venv). Issue
19 keeps an int8 model only if it runs at most 0.55 times v4's time on the serving runtime.
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np
import torch

from fruitclf.ml import preprocess

from . import datasets
from .backbone import load_backbone
from .export import to_tflite
from .progress import log


class ImageNetLite0(torch.nn.Module):
    """NHWC float input -> ImageNet class probabilities."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x.permute(0, 3, 1, 2)), dim=-1)


def calibration_inputs(data: pathlib.Path, work: pathlib.Path, n: int) -> np.ndarray:
    """N real training photos (grocery and web), spread over labels, as model inputs."""
    root = datasets.ensure_unpacked(data, work / "data")
    photos = [s for s in datasets.list_samples(root) if s.split == "train" and s.source in ("grocery", "extra3")]
    photos.sort(key=lambda s: s.path)
    pick = photos[:: max(1, len(photos) // n)][:n]
    return np.concatenate([preprocess.to_input(preprocess.load_rgb(s.path)) for s in pick]).astype(np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with the shared dataset tars")
    ap.add_argument("--out", required=True, help="folder for fp32.tflite and int8.tflite")
    ap.add_argument("--work", default="/tmp/fruitclf-work", help="scratch folder (unpacked data)")
    ap.add_argument("--calibration-photos", type=int, default=64)
    a = ap.parse_args(argv)
    from ai_edge_quantizer import quantizer, recipe

    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    xs = calibration_inputs(pathlib.Path(a.data), pathlib.Path(a.work), a.calibration_photos)
    module = ImageNetLite0(load_backbone()).eval()
    to_tflite(module, torch.from_numpy(xs[:1]), out / "fp32.tflite")
    qt = quantizer.Quantizer(str(out / "fp32.tflite"))
    qt.load_quantization_recipe(recipe.static_wi8_ai8())
    calibration = qt.calibrate({"serving_default": [{"args_0": x[None]} for x in xs]})
    qt.quantize(calibration).export_model(str(out / "int8.tflite"), overwrite=True)
    log(f"wrote {out / 'fp32.tflite'} and {out / 'int8.tflite'} ({len(xs)} calibration photos)")


if __name__ == "__main__":
    main()

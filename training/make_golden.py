#!/usr/bin/env python
"""Write tests/fixtures/golden_input.png (a tiny generated image) and golden_output.json: training's eval transform
of it (fruitclf.ml.preprocess, the code train.py uses), subsampled every 16th pixel. Run with any venv that has
numpy + pillow: python training/make_golden.py"""

import json
import pathlib
import sys

import numpy as np
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "functions"))
from fruitclf.ml import preprocess  # noqa: E402

out = REPO / "tests" / "fixtures"
out.mkdir(parents=True, exist_ok=True)
y, x = np.mgrid[0:150, 0:200].astype(np.float32)
a = np.stack([128 + 100 * np.sin(x / 9.0), 128 + 90 * np.cos(y / 7.0), (x + y) % 256], -1)
Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(out / "golden_input.png", optimize=True)
arr = preprocess.to_input(preprocess.load_rgb(out / "golden_input.png"))[0, ::16, ::16, :]
(out / "golden_output.json").write_text(
    json.dumps({"stride": 16, "shape": list(arr.shape), "values": [round(float(v), 7) for v in arr.ravel()]}) + "\n"
)
print("wrote", out)

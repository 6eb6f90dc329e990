"""Generated pictures: the golden test image and the images a candidate model is validated on.

Nothing here comes from a dataset, so the validation function carries its images in code. The set covers what
a model's arithmetic can trip on (flat black, white and grey, saturated colour, noise, sharp edges, gradients).
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def golden_pattern() -> Image.Image:
    """tests/fixtures/golden_input.png (training/make_golden.py writes it from here): 200x150, smooth waves."""
    y, x = np.mgrid[0:150, 0:200].astype(np.float32)
    a = np.stack([128 + 100 * np.sin(x / 9.0), 128 + 90 * np.cos(y / 7.0), (x + y) % 256], -1)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def validation_images() -> list[tuple[str, Image.Image]]:
    """(name, RGB image) pairs, deterministic, of a few sizes and aspect ratios."""
    rng = np.random.default_rng(17)
    y, x = np.mgrid[0:240, 0:320]
    squares = ((x // 20 + y // 20) % 2 * 255).astype(np.uint8)
    return [
        ("golden", golden_pattern()),
        ("black", Image.new("RGB", (320, 240), (0, 0, 0))),
        ("white", Image.new("RGB", (240, 320), (255, 255, 255))),
        ("grey", Image.new("RGB", (300, 300), (128, 128, 128))),
        ("red", Image.new("RGB", (256, 256), (255, 0, 0))),
        ("noise", Image.fromarray(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8))),
        ("checkerboard", Image.fromarray(np.stack([squares] * 3, -1))),
        ("gradient", Image.fromarray(np.stack([x * 255 // 319, y * 255 // 239, (x + y) % 256], -1).astype(np.uint8))),
    ]

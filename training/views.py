"""Candidate input views (how a photo becomes the model's 224x224 square), for the measurement of issue 13.

crop: the central square (short side): the serving transform, fruitclf.ml.preprocess.to_input itself, which
won the measurement (docs/model.md) and is what every shipped model uses; the others are kept for measuring:
squash: the whole photo resized to a square (aspect not kept);
pad: the whole photo fitted into the square, the rest filled with mid grey (127, i.e. 0 after normalising);
crop43: the central part at most 4:3, then squashed (half way between crop and squash).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from fruitclf.ml import preprocess

SIZE = 224
PAD_GREY = (127, 127, 127)


def view_image(img: Image.Image, view: str, size: int = SIZE) -> Image.Image:
    w, h = img.size
    if view == "squash":
        return img.resize((size, size), Image.BILINEAR)
    if view == "crop43":
        cw, ch = min(w, round(h * 4 / 3)), min(h, round(w * 4 / 3))
        box = ((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch)
        return img.resize((size, size), Image.BILINEAR, box=box)
    if view == "pad":
        scale = size / max(w, h)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        canvas = Image.new("RGB", (size, size), PAD_GREY)
        canvas.paste(img.resize((nw, nh), Image.BILINEAR), ((size - nw) // 2, (size - nh) // 2))
        return canvas
    raise ValueError(f"unknown view {view!r}")


def to_input(img: Image.Image, view: str) -> np.ndarray:
    if view == "crop":
        return preprocess.to_input(img)
    return preprocess.to_input(view_image(img, view))  # already square: only normalised

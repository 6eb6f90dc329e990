"""Augmentations with PIL only (no torchvision): photo-like views of real photos and of studio frames, and
synthetic not-fruit pictures.

Every function takes an explicit ``random.Random`` so that the whole view plan is reproducible from one seed.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

SIZE = 224


def random_resized_crop(img: Image.Image, rng: random.Random, scale=(0.25, 1.0), ratio=(3 / 4, 4 / 3)) -> Image.Image:
    w, h = img.size
    area = w * h
    for _ in range(10):
        target = area * rng.uniform(*scale)
        logr = rng.uniform(math.log(ratio[0]), math.log(ratio[1]))
        ar = math.exp(logr)
        cw = int(round(math.sqrt(target * ar)))
        ch = int(round(math.sqrt(target / ar)))
        if 0 < cw <= w and 0 < ch <= h:
            x = rng.randint(0, w - cw)
            y = rng.randint(0, h - ch)
            return img.resize((SIZE, SIZE), Image.BILINEAR, box=(x, y, x + cw, y + ch))
    s = min(w, h)
    return img.resize(
        (SIZE, SIZE), Image.BILINEAR, box=((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
    )


def colour(img: Image.Image, rng: random.Random, strength: float = 1.0) -> Image.Image:
    if rng.random() < 0.8:
        img = ImageEnhance.Brightness(img).enhance(1 + strength * rng.uniform(-0.3, 0.3))
    if rng.random() < 0.8:
        img = ImageEnhance.Contrast(img).enhance(1 + strength * rng.uniform(-0.3, 0.3))
    if rng.random() < 0.8:
        img = ImageEnhance.Color(img).enhance(1 + strength * rng.uniform(-0.3, 0.3))
    if rng.random() < 0.3:  # white balance / colour cast
        a = np.asarray(img, dtype=np.float32)
        gains = np.array([rng.uniform(0.9, 1.1) for _ in range(3)], dtype=np.float32)
        img = Image.fromarray(np.clip(a * gains, 0, 255).astype(np.uint8))
    return img


def blur_noise(img: Image.Image, rng: random.Random) -> Image.Image:
    if rng.random() < 0.25:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.8)))
    if rng.random() < 0.15:
        a = np.asarray(img, dtype=np.float32)
        a = a + np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(2, 8), a.shape).astype(np.float32)
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return img


def photo_view(img: Image.Image, rng: random.Random) -> Image.Image:
    """A random view of a real photo: rotation, crop/scale, flip, colour, blur."""
    if rng.random() < 0.3:
        img = img.rotate(rng.uniform(-20, 20), resample=Image.BILINEAR, expand=False)
        w, h = img.size
        m = 0.12
        img = img.crop((int(w * m), int(h * m), int(w * (1 - m)), int(h * (1 - m))))
    out = random_resized_crop(img, rng)
    if rng.random() < 0.5:
        out = out.transpose(Image.FLIP_LEFT_RIGHT)
    out = colour(out, rng)
    return blur_noise(out, rng)


def studio_alpha(frame: Image.Image) -> Image.Image:
    """Soft mask of a Fruits-360 frame: its background is (near) white."""
    a = np.asarray(frame, dtype=np.int16)
    mn = a.min(axis=2)
    spread = a.max(axis=2) - mn
    bg = (mn > 225) & (spread < 30)
    alpha = np.where(bg, 0, 255).astype(np.uint8)
    m = Image.fromarray(alpha, "L").filter(ImageFilter.MinFilter(3)).filter(ImageFilter.GaussianBlur(1.0))
    return m


def background(rng: random.Random, bg_paths: list[str], cache: dict) -> Image.Image:
    r = rng.random()
    if r < 0.6 and bg_paths:
        p = rng.choice(bg_paths)
        if p not in cache:
            im = Image.open(p)
            im.draft("RGB", (256, 256))
            cache[p] = im.convert("RGB")
        im = cache[p]
        im = random_resized_crop(im, rng, scale=(0.2, 1.0))
        if rng.random() < 0.5:
            im = im.filter(ImageFilter.GaussianBlur(rng.uniform(1, 4)))
        return im
    if r < 0.8:  # flat colour (table, plate, cloth)
        c = tuple(rng.randint(0, 255) for _ in range(3))
        return Image.new("RGB", (SIZE, SIZE), c)
    # two-colour gradient
    c1 = np.array([rng.randint(0, 255) for _ in range(3)], dtype=np.float32)
    c2 = np.array([rng.randint(0, 255) for _ in range(3)], dtype=np.float32)
    t = np.linspace(0, 1, SIZE, dtype=np.float32)[:, None, None]
    g = c1 * (1 - t) + c2 * t
    g = np.repeat(g, SIZE, axis=1)
    im = Image.fromarray(g.astype(np.uint8))
    return im.rotate(rng.choice([0, 90, 180, 270]))


def composite_view(frames: list[Image.Image], rng: random.Random, bg_paths: list[str], cache: dict) -> Image.Image:
    """Paste one or several studio frames of one class onto a non-fruit background, like a photo of fruit."""
    canvas = background(rng, bg_paths, cache).copy()
    if rng.random() < 0.5:
        n, lo, hi = 1, 0.45, 1.0
    else:
        n, lo, hi = rng.randint(2, 7), 0.25, 0.55
    for i in range(n):
        fr = frames[i % len(frames)]
        if rng.random() < 0.5:
            fr = fr.transpose(Image.FLIP_LEFT_RIGHT)
        alpha = studio_alpha(fr)
        ang = rng.uniform(0, 360)
        fr = fr.rotate(ang, resample=Image.BILINEAR, fillcolor=(255, 255, 255))
        alpha = alpha.rotate(ang, resample=Image.BILINEAR, fillcolor=0)
        s = int(SIZE * rng.uniform(lo, hi))
        fr = colour(fr.resize((s, s), Image.BILINEAR), rng, 0.5)
        alpha = alpha.resize((s, s), Image.BILINEAR)
        x = rng.randint(-s // 4, SIZE - s + s // 4)
        y = rng.randint(-s // 4, SIZE - s + s // 4)
        canvas.paste(fr, (x, y), alpha)
    canvas = colour(canvas, rng, 0.7)
    if rng.random() < 0.5:
        canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    return blur_noise(canvas, rng)


def synthetic_negative(rng: random.Random) -> Image.Image:
    """A blank-ish picture that is not fruit: flat colour, gradient or noise (optionally blurred)."""
    w, h = rng.choice([(224, 224), (320, 240), (240, 320), (400, 300)])
    r = rng.random()
    if r < 0.35:
        img = Image.new("RGB", (w, h), tuple(rng.randint(0, 255) for _ in range(3)))
    elif r < 0.6:
        img = background(rng, [], {}).resize((w, h))
    else:
        g = np.random.default_rng(rng.randrange(1 << 30))
        cells = rng.choice([1, 4, 16, 64, 224])
        a = g.integers(0, 256, (max(1, h * cells // 224), max(1, w * cells // 224), 3), dtype=np.uint8)
        img = Image.fromarray(a).resize((w, h), rng.choice([Image.NEAREST, Image.BILINEAR]))
    if rng.random() < 0.5:
        img = colour(img, rng)
    return blur_noise(img, rng)

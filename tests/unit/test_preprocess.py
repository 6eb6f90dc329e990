"""fruitclf.ml.preprocess: decoding, modes, EXIF, errors, and equality with training's eval transform."""

from __future__ import annotations

import io
import pathlib

import numpy as np
import pytest
from PIL import Image, ImageOps

from conftest import jpeg_bytes
from fruitclf.ml import preprocess
from fruitclf.ml.preprocess import ImageDecodeError, load_rgb, to_input

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"


def photo_like(w, h, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.stack([128 + 100 * np.sin(x / 37.0), 128 + 90 * np.cos(y / 23.0), 128 + 60 * np.sin((x + y) / 50.0)], -1)
    a += rng.normal(0, 6, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def reference_eval_transform(data: bytes) -> np.ndarray:
    """Independent re-statement of training's eval transform (training/train.py uses fruitclf.ml.preprocess)."""
    img = Image.open(io.BytesIO(data))
    if img.format == "JPEG":
        img.draft("RGB", (224, 224))
    img = ImageOps.exif_transpose(img).convert("RGB")
    w, h = img.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    img = img.crop((left, top, left + s, top + s)).resize((224, 224), Image.BILINEAR)
    return ((np.asarray(img, dtype=np.float32) - 127.0) / 128.0)[None]


@pytest.mark.parametrize(
    "size", [(1024, 768), (768, 1024), (348, 464), (100, 100), (224, 224), (300, 225), (5000, 224)]
)
def test_to_input_matches_reference(size):
    data = jpeg_bytes(photo_like(*size), quality=92)
    x = to_input(load_rgb(data))
    assert x.shape == (1, 224, 224, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x, reference_eval_transform(data))


def test_to_input_png_matches_reference():
    buf = io.BytesIO()
    photo_like(640, 480, seed=3).save(buf, "PNG")
    np.testing.assert_array_equal(to_input(load_rgb(buf.getvalue())), reference_eval_transform(buf.getvalue()))


def test_constant_image_normalisation():
    x = to_input(Image.new("RGB", (500, 300), (255, 127, 0)))
    assert (
        np.all(x[..., 0] == np.float32(128 / 128))
        and np.all(x[..., 1] == 0)
        and np.all(x[..., 2] == np.float32(-127 / 128))
    )


def test_golden_fixture():
    """A tiny generated image and its eval-transform output, produced once by training/make_golden.py."""
    import json

    src, gold = FIXTURES / "golden_input.png", FIXTURES / "golden_output.json"
    g = json.loads(gold.read_text())
    got = to_input(load_rgb(src))[0, :: g["stride"], :: g["stride"], :]
    np.testing.assert_allclose(got.ravel(), np.array(g["values"], dtype=np.float32), atol=1e-5)


def test_draft_keeps_both_sides_at_least_224():
    img = load_rgb(jpeg_bytes(photo_like(1024, 768)))
    assert img.size == (512, 384)
    full = load_rgb(jpeg_bytes(photo_like(1024, 768)), draft=False)
    assert full.size == (1024, 768)
    assert min(load_rgb(jpeg_bytes(photo_like(900, 230))).size) >= 224


def test_exif_orientation_applied():
    img = photo_like(400, 200)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    data = jpeg_bytes(img, exif=exif)
    out = load_rgb(data)
    assert out.size == (200, 400)


@pytest.mark.parametrize("mode", ["L", "1", "P", "RGBA", "LA", "CMYK", "I;16", "I", "F", "YCbCr", "PA"])
def test_any_mode_to_rgb(mode):
    base = photo_like(64, 48)
    if mode == "I;16":
        img = Image.frombytes("I;16", base.size, (np.asarray(base.convert("L"), dtype="<u2") * 257).tobytes())
    elif mode == "I":
        img = base.convert("L").convert("I")
    elif mode == "F":
        img = base.convert("L").convert("F")
    elif mode == "PA":
        img = base.convert("RGBA").convert("PA") if hasattr(Image, "Palette") else base.convert("P")
    else:
        img = base.convert(mode)
    buf = io.BytesIO()
    fmt = "TIFF" if mode in ("I;16", "I", "F", "CMYK", "PA") else "PNG"
    try:
        if mode == "YCbCr":
            raise ValueError("no lossless container for YCbCr here")
        img.save(buf, fmt)
        out = load_rgb(buf.getvalue())
    except (OSError, ValueError) as e:  # a format that cannot store this mode: convert in memory instead
        if isinstance(e, ImageDecodeError):
            raise
        out = preprocess._to_rgb(img)
    assert out.mode == "RGB" and out.size == (64, 48)
    if mode in ("I;16", "I", "L", "F"):
        grey = np.asarray(base.convert("L"), dtype=np.int16)
        assert np.abs(np.asarray(out, dtype=np.int16)[..., 0] - grey).max() <= 1
    to_input(out)


def test_alpha_composited_on_white():
    img = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    img.putpixel((0, 0), (255, 0, 0, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    out = np.asarray(load_rgb(buf.getvalue()))
    assert tuple(out[0, 0]) == (255, 0, 0) and tuple(out[5, 5]) == (255, 255, 255)


def test_palette_with_transparency():
    img = Image.new("P", (8, 8), 0)
    img.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    img.putpixel((1, 1), 1)
    img.info["transparency"] = 0
    buf = io.BytesIO()
    img.save(buf, "PNG", transparency=0)
    out = np.asarray(load_rgb(buf.getvalue()))
    assert tuple(out[1, 1]) == (0, 255, 0) and tuple(out[0, 0]) == (255, 255, 255)


def test_path_input(tmp_path):
    p = tmp_path / "x.jpg"
    p.write_bytes(jpeg_bytes(photo_like(300, 200)))
    assert load_rgb(p).size == (300, 224) or min(load_rgb(p).size) >= 200
    assert load_rgb(str(p)).mode == "RGB"


def _bad_inputs(tmp_path):
    good = jpeg_bytes(photo_like(640, 480))
    png = io.BytesIO()
    photo_like(200, 200).save(png, "PNG")
    png = png.getvalue()
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("this is not an image\n")
    return {
        "zero bytes": (b"", "empty"),
        "text": (b"hello world, definitely not a picture", "not a recognised image"),
        "html": (b"<html><body>404</body></html>", "not a recognised image"),
        "truncated jpeg": (good[: len(good) // 3], "truncated"),
        "jpeg header only": (good[:200], ""),
        "truncated png": (png[: len(png) // 2], ""),
        "corrupt jpeg body": (good[:600] + bytes(range(256)) * 4, ""),
        "empty file": (tmp_path / "empty.jpg", "empty"),
        "text file": (tmp_path / "text.jpg", "not a recognised image"),
        "missing file": (tmp_path / "nope.jpg", "cannot read"),
    }


def test_bad_inputs_raise_clear_errors(tmp_path):
    for name, (data, needle) in _bad_inputs(tmp_path).items():
        with pytest.raises(ImageDecodeError) as ei:
            load_rgb(data)
        msg = str(ei.value)
        assert msg and needle in msg, (name, msg)
        assert isinstance(ei.value, ValueError)


def test_wrong_type():
    with pytest.raises(TypeError):
        load_rgb(12345)  # type: ignore[arg-type]

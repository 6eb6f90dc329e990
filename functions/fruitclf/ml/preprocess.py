"""Image decoding and preprocessing shared by serving and training.

The training pipeline (training/train.py) imports this very module for its evaluation transform, so serving
and training cannot drift apart. The eval transform is:

1. decode (JPEG: ``Image.draft('RGB', (224, 224))`` lets libjpeg decode at 1/2, 1/4 or 1/8 scale while
   keeping both sides >= 224), convert any mode to 8-bit RGB (alpha is composited onto white,
   16-bit/float greyscale is rescaled), apply the EXIF orientation;
2. crop the central square (side = the short side, integer offsets ``(w - s) // 2``, ``(h - s) // 2``);
3. resize it to 224x224 with PIL's BILINEAR filter (antialiased when downscaling);
4. ``(x - 127) / 128`` as float32, NHWC, shape (1, 224, 224, 3).

Memory matters as much as the result: a small upload can hold a huge image, so full-size work is done at most
once, wide conversions run in strips of rows, and nothing is widened beyond float32 (see docs/benchmarks.md).
The pixel limit is the caller's (the API's lives in config.py); Pillow's own decompression-bomb guard still
applies here.
"""

from __future__ import annotations

import io
import pathlib
import struct
import warnings

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

try:  # HEIC/HEIF photos from phones; optional at serving time
    import pillow_heif

    pillow_heif.register_heif_opener()
except Exception:  # pragma: no cover - optional dependency
    pass

INPUT_SIZE = 224
MEAN = 127.0
SCALE = 128.0
STRIP_ROWS = 256  # rows converted at a time, so a conversion never holds a second full-size wide copy
# Formats whose decoder can scale down while decoding (an MPO is a JPEG with more pictures appended).
DRAFT_FORMATS = ("JPEG", "MPO")
# EXIF orientation -> the transposition that shows the image upright (as ImageOps.exif_transpose does).
_ORIENTATION: dict[object, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageDecodeError(ValueError):
    """The input could not be decoded as an image."""


def _open(data: bytes | str | pathlib.Path) -> Image.Image:
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) == 0:
            raise ImageDecodeError("empty input: 0 bytes, expected an image file (JPEG, PNG, WebP, HEIC, ...)")
        fp: io.BytesIO | pathlib.Path = io.BytesIO(data)
        what = f"input ({len(data)} bytes)"
    elif isinstance(data, (str, pathlib.Path)):
        p = pathlib.Path(data)
        try:
            size = p.stat().st_size
        except OSError as e:
            raise ImageDecodeError(f"cannot read image file {p}: {e.strerror or e}") from e
        if size == 0:
            raise ImageDecodeError(f"empty file {p}: 0 bytes, expected an image file")
        fp = p
        what = f"file {p}"
    else:
        raise TypeError(f"expected bytes or a path, got {type(data).__name__}")
    try:
        img = Image.open(fp)
    except UnidentifiedImageError as e:
        raise ImageDecodeError(
            f"{what} is not a recognised image format (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC)"
        ) from e
    except Image.DecompressionBombError as e:
        raise ImageDecodeError(f"{what} is too large: {e}") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageDecodeError(f"{what} could not be opened as an image: {e}") from e
    w, h = img.size
    if w <= 0 or h <= 0:
        raise ImageDecodeError(f"{what} has an invalid size {w}x{h}")
    return img


def _in_strips(img: Image.Image, convert_strip) -> Image.Image:
    """`convert_strip` applied to STRIP_ROWS rows at a time, pasted into one RGB image: the result is the same
    as converting the whole image (every conversion here works pixel by pixel), without a full-size temporary."""
    out = Image.new("RGB", img.size)
    for top in range(0, img.height, STRIP_ROWS):
        strip = img.crop((0, top, img.width, min(img.height, top + STRIP_ROWS)))
        out.paste(convert_strip(strip), (0, top))
    return out


def _over_white(strip: Image.Image) -> Image.Image:
    rgba = strip.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")


def _grey16_to_rgb(strip: Image.Image) -> Image.Image:
    # round(v / 257) in integers (v / 257 is never exactly halfway for an integer v, so this is exact).
    a = np.asarray(strip, dtype=np.uint32)
    return Image.fromarray(((a * 2 + 257) // 514).astype(np.uint8), "L").convert("RGB")


def _wide_grey_to_rgb(img: Image.Image) -> Image.Image:
    """32-bit integer or float greyscale (TIFF; the API does not accept these formats): rescaled to 8 bits."""
    a = np.nan_to_num(np.asarray(img, dtype=np.float32))
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if lo >= 0 and hi <= 1.0 and img.mode == "F":
        a = a * 255.0  # float image in [0, 1]
    elif lo >= 0 and hi <= 255:
        pass  # already 8-bit range
    elif lo >= 0 and hi <= 65535:
        a = a / 257.0  # 16-bit range
    else:
        a = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
    a = np.clip(np.nan_to_num(a), 0, 255).round().astype(np.uint8)
    return Image.fromarray(a, "L").convert("RGB")


def _to_rgb(img: Image.Image) -> Image.Image:
    mode = img.mode
    if mode == "RGB":
        return img
    if mode in ("RGBA", "LA", "RGBa", "La", "PA") or (mode == "P" and "transparency" in img.info):
        return _in_strips(img, _over_white)
    if mode.startswith("I;16"):
        return _in_strips(img, _grey16_to_rgb)
    if mode in ("I", "F"):
        return _wide_grey_to_rgb(img)
    try:
        return img.convert("RGB")
    except (ValueError, OSError) as e:
        raise ImageDecodeError(f"cannot convert image mode {mode} to RGB: {e}") from e


def load_rgb(data: bytes | str | pathlib.Path, draft: bool = True, draft_size: int = INPUT_SIZE) -> Image.Image:
    """Decode an image, apply its EXIF orientation and return an 8-bit RGB PIL image.

    ``draft=True`` lets JPEG decoding downscale by 1/2, 1/4 or 1/8 while both sides stay >= ``draft_size``
    (default 224: what the model sees is then identical to training's eval transform, which uses the same
    call; the API asks for more for the copy it stores). Raises
    :class:`ImageDecodeError` for empty, corrupt, truncated or non-image input.
    """
    img = _open(data)
    try:
        if draft and img.format in DRAFT_FORMATS:
            img.draft("RGB", (draft_size, draft_size))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img.load()
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)  # a multi-picture file (MPO, animated WebP): its first picture
            transpose = _ORIENTATION.get(img.getexif().get(ExifTags.Base.Orientation))
            out = _to_rgb(img)
            out.load()
            del img  # the decoded original is no longer needed: let it go before any further full-size copy
            if transpose is not None:
                out = out.transpose(transpose)
    except ImageDecodeError:
        raise
    except Image.DecompressionBombError as e:
        raise ImageDecodeError(f"image is too large: {e}") from e
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error) as e:
        msg = str(e) or type(e).__name__
        if "truncated" in msg.lower():
            raise ImageDecodeError(f"image data is truncated or incomplete ({msg})") from e
        raise ImageDecodeError(f"image data is corrupt and could not be decoded ({msg})") from e
    return out


def center_square(img: Image.Image) -> tuple[int, int, int, int]:
    w, h = img.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    return (left, top, left + s, top + s)


def _square(img: Image.Image, size: int) -> Image.Image:
    """The central square of an RGB copy of img, BILINEAR-resized to size x size."""
    if img.mode != "RGB":
        img = _to_rgb(img)
    sq = img.crop(center_square(img)) if img.size[0] != img.size[1] else img
    if sq.size != (size, size):
        sq = sq.resize((size, size), Image.Resampling.BILINEAR)
    return sq


def to_input(img: Image.Image, size: int = INPUT_SIZE) -> np.ndarray:
    """Training's eval transform: central square crop, BILINEAR resize to size x size, (x - 127) / 128.

    Returns float32 of shape (1, size, size, 3) (NHWC).
    """
    x = np.asarray(_square(img, size), dtype=np.float32)
    x = (x - MEAN) * (1.0 / SCALE)
    return x[None, ...]


def spec_input(img: Image.Image, spec: dict) -> np.ndarray:
    """The input a model card's `preprocessing` object describes (checked by ml/model_checks.check_preprocessing):
    the same crop and resize, then raw uint8 pixels or (x - mean) / scale in float32, per channel or not."""
    pixels = _square(img, int(spec["size"]))
    if spec["dtype"] == "uint8":
        return np.asarray(pixels, dtype=np.uint8)[None, ...]
    mean = np.asarray(spec["mean"], dtype=np.float32)
    scale = np.asarray(spec["scale"], dtype=np.float32)
    return ((np.asarray(pixels, dtype=np.float32) - mean) / scale)[None, ...]

"""Image decoding and preprocessing shared by serving and training.

The training pipeline (training/train.py) imports this very module for its evaluation transform, so serving
and training cannot drift apart. The eval transform is:

1. decode (JPEG: ``Image.draft('RGB', (224, 224))`` lets libjpeg decode at 1/2, 1/4 or 1/8 scale while
   keeping both sides >= 224), apply the EXIF orientation, convert any mode to 8-bit RGB
   (alpha is composited onto white, 16-bit/float greyscale is rescaled);
2. crop the central square (side = the short side, integer offsets ``(w - s) // 2``, ``(h - s) // 2``);
3. resize it to 224x224 with PIL's BILINEAR filter (antialiased when downscaling);
4. ``(x - 127) / 128`` as float32, NHWC, shape (1, 224, 224, 3).
"""
from __future__ import annotations

import io
import pathlib
import struct
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF photos from phones; optional at serving time
    import pillow_heif  # type: ignore

    pillow_heif.register_heif_opener()
except Exception:  # pragma: no cover - optional dependency
    pass

INPUT_SIZE = 224
MEAN = 127.0
SCALE = 128.0
MAX_PIXELS = 80_000_000  # refuse decompression bombs early (about 9000x9000)


class ImageDecodeError(ValueError):
    """The input could not be decoded as an image."""


def _open(data: bytes | str | pathlib.Path) -> Image.Image:
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) == 0:
            raise ImageDecodeError("empty input: 0 bytes, expected an image file (JPEG, PNG, WebP, HEIC, ...)")
        fp = io.BytesIO(data)
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
        raise ImageDecodeError(f"{what} is not a recognised image format (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC)") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageDecodeError(f"{what} could not be opened as an image: {e}") from e
    w, h = img.size
    if w <= 0 or h <= 0:
        raise ImageDecodeError(f"{what} has an invalid size {w}x{h}")
    if w * h > MAX_PIXELS:
        raise ImageDecodeError(f"{what} is too large ({w}x{h} pixels; at most {MAX_PIXELS} pixels)")
    return img


def _to_rgb(img: Image.Image) -> Image.Image:
    mode = img.mode
    if mode == "RGB":
        return img
    if mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
        mode = img.mode
        if mode == "RGB":
            return img
    if mode in ("RGBA", "LA", "RGBa", "La", "PA"):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        bg.alpha_composite(rgba)
        return bg.convert("RGB")
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        a = np.nan_to_num(np.asarray(img, dtype=np.float64))
        lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
        if mode.startswith("I;16"):
            a = a / 257.0
        elif lo >= 0 and hi <= 1.0 and mode == "F":
            a = a * 255.0  # float image in [0, 1]
        elif lo >= 0 and hi <= 255:
            pass  # already 8-bit range
        elif lo >= 0 and hi <= 65535:
            a = a / 257.0  # 16-bit range
        else:
            a = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
        a = np.clip(np.nan_to_num(a), 0, 255).round().astype(np.uint8)
        return Image.fromarray(a, "L").convert("RGB")
    if mode == "CMYK" and img.format == "JPEG":
        # Adobe CMYK JPEGs are stored inverted; PIL's JpegImagePlugin already handles the common case.
        return img.convert("RGB")
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
        if draft and img.format == "JPEG":
            img.draft("RGB", (draft_size, draft_size))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img.load()
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            img = ImageOps.exif_transpose(img) or img
            out = _to_rgb(img)
            out.load()
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


def to_input(img: Image.Image, size: int = INPUT_SIZE) -> np.ndarray:
    """Training's eval transform: central square crop, BILINEAR resize to size x size, (x - 127) / 128.

    Returns float32 of shape (1, size, size, 3) (NHWC).
    """
    if img.mode != "RGB":
        img = _to_rgb(img)
    sq = img.crop(center_square(img)) if img.size[0] != img.size[1] else img
    if sq.size != (size, size):
        sq = sq.resize((size, size), Image.BILINEAR)
    x = np.asarray(sq, dtype=np.float32)
    x = (x - MEAN) * (1.0 / SCALE)
    return x[None, ...]

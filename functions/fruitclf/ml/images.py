"""Check an uploaded image before anything else happens, and normalise it for storage and the model.

Order matters: size, then format (from the header only), then the pixel count, and only then a full decode,
so hostile input is refused before it costs memory or CPU.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from .. import errors
from .preprocess import ImageDecodeError, load_rgb

# Pillow's format names. HEIF covers the iPhone camera's default (HEIC), through pillow-heif.
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
STORED_MAX_SIDE = 1024
STORED_JPEG_QUALITY = 85


@dataclass(frozen=True)
class NormalisedImage:
    rgb: Image.Image  # EXIF orientation applied, RGB, at most STORED_MAX_SIDE on its long side
    jpeg: bytes  # what is stored: re-encoded, so no EXIF/GPS or other metadata survives
    source_format: str
    source_size: tuple[int, int]


def _describe_limit(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):.0f} MB" if n_bytes >= 1024 * 1024 else f"{n_bytes} bytes"


def check_size(n_bytes: int, max_bytes: int) -> None:
    if n_bytes == 0:
        raise errors.bad_request("The image is empty (0 bytes).", "empty-image")
    if n_bytes > max_bytes:
        raise errors.ApiError(413, "image-too-large", f"The image is larger than the {_describe_limit(max_bytes)} limit.")


def normalise(data: bytes, max_bytes: int, max_pixels: int) -> NormalisedImage:
    check_size(len(data), max_bytes)
    try:
        header = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _too_many_pixels("The image", max_pixels)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _unsupported()
    if header.format not in ACCEPTED_FORMATS:
        raise _unsupported(header.format)
    width, height = header.size
    if width * height > max_pixels:
        raise _too_many_pixels(f"The image ({width}x{height})", max_pixels)
    try:
        # A large JPEG is decoded at reduced scale (libjpeg's DCT scaling), never below the stored size.
        rgb = load_rgb(data, draft_size=STORED_MAX_SIDE)
    except ImageDecodeError:
        raise errors.ApiError(415, "corrupt-image", "The image file is damaged or incomplete and cannot be read.")
    rgb.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE), Image.BILINEAR)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=STORED_JPEG_QUALITY, optimize=False)
    return NormalisedImage(rgb=rgb, jpeg=out.getvalue(), source_format=header.format, source_size=(width, height))


def _too_many_pixels(what: str, max_pixels: int) -> errors.ApiError:
    return errors.ApiError(422, "too-many-pixels", f"{what} has too many pixels: at most {max_pixels:,} are accepted.")


def _unsupported(found: str | None = None) -> errors.ApiError:
    accepted = ", ".join("HEIC" if f == "HEIF" else f for f in ACCEPTED_FORMATS)
    what = f"a {found} file" if found else "not an image we can read"
    return errors.ApiError(415, "unsupported-image", f"This is {what}. Accepted formats: {accepted}.")

"""The one image pipeline of the API: check an upload, decode it, and produce the stored copy and the model input.

Order matters: size, then format (from the header only), then the pixel count, and only then a decode, so
hostile input is refused before it costs memory or CPU. Decoding runs under a per-process pixel budget, so the
function's memory stays bounded however many worst-case uploads arrive at once (docs/benchmarks.md).

The stored copy is re-encoded from pixels: it carries no EXIF, XMP, ICC profile, comment or any other segment
of the upload. The model input is training's eval transform (ml/preprocess.py) of the same upload.
"""

from __future__ import annotations

import ctypes
import functools
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from .. import errors
from . import preprocess

# Pillow's format names. HEIF covers the iPhone camera's default (HEIC), through pillow-heif; MPO is the JPEG
# with extra pictures some phone cameras write (its first picture is used).
ACCEPTED_FORMATS = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
}
STORED_MAX_SIDE = 1024
STORED_JPEG_QUALITY = 85


@dataclass(frozen=True)
class PreparedImage:
    jpeg: bytes  # what is stored: RGB, at most STORED_MAX_SIDE on its long side, EXIF orientation applied
    model_input: np.ndarray  # (1, S, S, 3) float32: training's eval transform of the upload
    source_format: str
    source_size: tuple[int, int]


class PixelBudget:
    """At most `capacity` pixels being decoded at once in this process. A decode waits for its share; one
    image can never need more than the whole budget (the pixel limit is the capacity)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._free = capacity
        self._changed = threading.Condition()

    @contextmanager
    def reserve(self, pixels: int) -> Iterator[None]:
        pixels = min(pixels, self.capacity)
        with self._changed:
            self._changed.wait_for(lambda: self._free >= pixels)
            self._free -= pixels
        try:
            yield
        finally:
            with self._changed:
                self._free += pixels
                self._changed.notify_all()


@functools.cache
def _budget(max_pixels: int) -> PixelBudget:
    _return_freed_memory_promptly()
    return PixelBudget(max_pixels)


def _return_freed_memory_promptly() -> None:
    """Let the memory of a finished decode go back to the system before the next one starts.

    glibc's malloc keeps freed memory in per-thread arenas and raises its mmap threshold after large frees, so
    with its defaults 8 request threads that decode one large image each, in turn, end up holding 8 times the
    memory of one decode although the budget lets only one run at a time (measured: 2.0 GB instead of 0.4 GB).
    A fixed threshold makes large buffers plain mappings that are unmapped when freed, and two arenas serve
    every thread. Elsewhere than glibc this does nothing.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_mmap_threshold, m_arena_max = -3, -8  # from glibc's malloc.h
    libc.mallopt(m_mmap_threshold, 1 << 20)
    libc.mallopt(m_arena_max, 2)


def _describe_limit(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):.0f} MB" if n_bytes >= 1024 * 1024 else f"{n_bytes} bytes"


def check_size(n_bytes: int, max_bytes: int) -> None:
    if n_bytes == 0:
        raise errors.bad_request("The image is empty (0 bytes).", "empty-image")
    if n_bytes > max_bytes:
        raise errors.ApiError(
            413, "image-too-large", f"The image is larger than the {_describe_limit(max_bytes)} limit."
        )


def _check_header(data: bytes, max_pixels: int) -> tuple[str, tuple[int, int]]:
    """The format and size from the header alone (nothing is decoded yet)."""
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
    return header.format, header.size


def _stored_jpeg(rgb: Image.Image) -> bytes:
    rgb.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE), Image.Resampling.BILINEAR)
    # Pillow carries some of the upload's metadata (a JPEG comment, for one) from `info` into what it saves:
    # without it the file holds only SOI, APP0 (JFIF), DQT, SOF, DHT, SOS and EOI.
    rgb.info.clear()
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=STORED_JPEG_QUALITY, optimize=False)
    return out.getvalue()


def _model_input(rgb: Image.Image, spec: dict | None):
    return preprocess.spec_input(rgb, spec) if spec else preprocess.to_input(rgb)


def prepare(data: bytes, max_bytes: int, max_pixels: int, spec: dict | None = None) -> PreparedImage:
    """Validate an upload and produce its stored JPEG and the model's input (as the model card's
    `preprocessing` object `spec` says; None: training's transform at 224); every refusal is an ApiError
    (400 empty, 413 too large, 415 not an accepted or a damaged image, 422 too many pixels)."""
    side = int(spec["size"]) if spec else preprocess.INPUT_SIZE
    check_size(len(data), max_bytes)
    source_format, source_size = _check_header(data, max_pixels)
    try:
        with _budget(max_pixels).reserve(source_size[0] * source_size[1]):
            if source_format in preprocess.DRAFT_FORMATS:
                # libjpeg decodes at a reduced scale (1/2 to 1/8): one pass at the model's scale (both sides
                # >= 224, exactly training's transform; in full when the card says `jpeg_draft: false`) and one
                # at the stored copy's (>= 1024).
                draft = spec is None or spec.get("jpeg_draft", True)
                model_input = _model_input(preprocess.load_rgb(data, draft=draft, draft_size=side), spec)
                jpeg = _stored_jpeg(preprocess.load_rgb(data, draft_size=STORED_MAX_SIDE))
            else:
                rgb = preprocess.load_rgb(data)
                model_input = _model_input(rgb, spec)
                jpeg = _stored_jpeg(rgb)
    except preprocess.ImageDecodeError:
        raise errors.ApiError(415, "corrupt-image", "The image file is damaged or incomplete and cannot be read.")
    return PreparedImage(jpeg=jpeg, model_input=model_input, source_format=source_format, source_size=source_size)


def _too_many_pixels(what: str, max_pixels: int) -> errors.ApiError:
    return errors.ApiError(422, "too-many-pixels", f"{what} has too many pixels: at most {max_pixels:,} are accepted.")


def _unsupported(found: str | None = None) -> errors.ApiError:
    accepted = ", ".join(dict.fromkeys("HEIC" if f == "HEIF" else f for f in ACCEPTED_FORMATS if f != "MPO"))
    what = f"a {found} file" if found else "not an image we can read"
    return errors.ApiError(415, "unsupported-image", f"This is {what}. Accepted formats: {accepted}.")

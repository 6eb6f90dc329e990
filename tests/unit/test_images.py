"""The API's image pipeline: every refusal is an ApiError with the status a client acts on, every accepted image
gives a clean stored JPEG and the model's input, and hostile images cost bounded memory."""

import io
import struct
import threading
import zlib

import numpy as np
import pytest
from PIL import Image

from fruitclf.errors import ApiError
from fruitclf.ml import images, preprocess

MB = 1024 * 1024


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def prepare(data: bytes, max_bytes=10 * MB, max_pixels=40_000_000) -> images.PreparedImage:
    return images.prepare(data, max_bytes, max_pixels)


def refusal(data: bytes, max_bytes=10 * MB, max_pixels=40_000_000) -> ApiError:
    with pytest.raises(ApiError) as caught:
        prepare(data, max_bytes, max_pixels)
    return caught.value


def stored(result: images.PreparedImage) -> Image.Image:
    return Image.open(io.BytesIO(result.jpeg))


def jpeg_markers(data: bytes) -> list[str]:
    """The segment markers of a JPEG file, in order, up to the start of scan and from its end."""
    names = {0xD8: "SOI", 0xDB: "DQT", 0xC0: "SOF0", 0xC2: "SOF2", 0xC4: "DHT", 0xDA: "SOS", 0xD9: "EOI", 0xFE: "COM"}
    names.update({0xE0 + n: f"APP{n}" for n in range(16)})
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, pos = ["SOI"], 2
    while True:
        assert data[pos] == 0xFF, f"no marker at {pos}"
        code = data[pos + 1]
        markers.append(names.get(code, f"0x{code:02X}"))
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if code == 0xDA:  # entropy-coded data follows until EOI
            assert data[-2:] == b"\xff\xd9"
            return markers + ["EOI"]
        pos += 2 + length


def test_the_model_input_is_training_s_transform_and_the_stored_copy_a_jpeg():
    for fmt in ("JPEG", "PNG", "WEBP"):
        data = encode(Image.effect_noise((300, 200), 40).convert("RGB"), fmt)
        result = prepare(data)
        assert result.source_format == fmt
        assert stored(result).format == "JPEG" and stored(result).mode == "RGB" and stored(result).size == (300, 200)
        assert result.model_input.dtype == np.float32
        np.testing.assert_array_equal(result.model_input, preprocess.to_input(preprocess.load_rgb(data)))


def test_palette_and_alpha_images_are_converted():
    rgba = Image.new("RGBA", (50, 50), (255, 0, 0, 0))
    result = prepare(encode(rgba, "PNG"), MB, 10_000)
    assert stored(result).mode == "RGB"
    assert stored(result).getpixel((0, 0)) == (255, 255, 255), "transparent pixels are composited onto white"


def test_large_images_are_stored_at_most_1024_on_the_long_side():
    result = prepare(encode(Image.new("RGB", (3000, 1500)), "JPEG"))
    assert stored(result).size == (1024, 512)


def test_exif_is_applied_then_dropped():
    exif = Image.Exif()
    exif[0x0112] = 8
    exif[0x010F] = "PhoneMaker"
    result = prepare(encode(Image.new("RGB", (40, 20)), "JPEG", exif=exif.tobytes()), MB, 10_000)
    assert stored(result).size == (20, 40)
    assert not stored(result).getexif()


def test_the_stored_jpeg_carries_pixels_only():
    """EXIF (with GPS), XMP, an ICC profile and a comment with HTML in it: none of it reaches the stored copy."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    icc = b"\x00" * 128 + b"acsp" + b"\x00" * 300  # an ICC header's shape is enough for Pillow to embed it
    photo = Image.effect_noise((120, 80), 40).convert("RGB")
    upload = encode(
        photo,
        "JPEG",
        exif=exif.tobytes(),
        icc_profile=icc,
        comment=b"<script>alert(1)</script>",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>',
    )
    assert {"APP1", "APP2", "COM"} <= set(jpeg_markers(upload)), "the upload really carries the metadata"
    kept = jpeg_markers(prepare(upload).jpeg)
    assert set(kept) <= {"SOI", "APP0", "DQT", "SOF0", "DHT", "SOS", "EOI"}, kept
    assert kept.count("APP0") <= 1
    assert b"script" not in prepare(upload).jpeg and b"PhoneMaker" not in prepare(upload).jpeg


def test_a_multi_picture_jpeg_is_accepted_as_its_first_picture():
    first, second = Image.new("RGB", (64, 48), (250, 0, 0)), Image.new("RGB", (64, 48), (0, 0, 250))
    upload = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(upload)).format == "MPO"
    result = prepare(upload)
    assert result.source_format == "MPO"
    red, _, blue = stored(result).getpixel((32, 24))
    assert red > 200 and blue < 50
    assert set(jpeg_markers(result.jpeg)) <= {"SOI", "APP0", "DQT", "SOF0", "DHT", "SOS", "EOI"}


def test_refusals_carry_the_right_status():
    assert (refusal(b"").status, refusal(b"").code) == (400, "empty-image")
    assert refusal(b"x" * 11, max_bytes=10).status == 413
    assert refusal(b"plain text").status == 415
    assert refusal(encode(Image.new("RGB", (8, 8)), "GIF")).code == "unsupported-image"
    photo = encode(Image.effect_noise((200, 200), 60).convert("RGB"), "JPEG")
    assert refusal(photo[: len(photo) // 2]).code == "corrupt-image"
    bomb = refusal(encode(Image.new("1", (5000, 5000)), "PNG"), max_pixels=1_000_000)
    assert (bomb.status, bomb.code) == (422, "too-many-pixels")
    # Past twice Pillow's own limit, opening the header already refuses: still a 422, not a crash.
    huge = refusal(encode(Image.new("1", (20000, 20000)), "PNG"))
    assert (huge.status, huge.code) == (422, "too-many-pixels")


def test_messages_name_the_limit_and_the_formats():
    assert "10 MB" in refusal(b"x" * (10 * MB + 1)).message
    assert "JPEG, PNG, WEBP, HEIC" in refusal(b"plain text").message


def test_heic_from_phones_is_accepted():
    pillow_heif = pytest.importorskip(
        "pillow_heif", reason="pillow-heif is in functions/requirements.txt; this venv lacks it"
    )
    pillow_heif.register_heif_opener()
    result = prepare(encode(Image.new("RGB", (64, 48), (200, 10, 10)), "HEIF"), MB, 10_000)
    assert result.source_format == "HEIF"
    assert stored(result).size == (64, 48)


# -- hostile images: tiny files that decode into a lot of memory (figures at the real limit: docs/benchmarks.md)


def grey16_png(width: int, height: int) -> bytes:
    return encode(Image.new("I;16", (width, height), 40000), "PNG")


def rgba16_png(width: int, height: int) -> bytes:
    """A 16-bit RGBA PNG (Pillow cannot write one): 8 bytes a pixel once decoded, a few hundred bytes here."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = (b"\x00" + b"\x80\x00\x20\x00\x10\x00\x80\x00" * width) * height
    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


HOSTILE = {
    "16-bit grey PNG": lambda w, h: grey16_png(w, h),
    "16-bit RGBA PNG": rgba16_png,
    "RGBA PNG": lambda w, h: encode(Image.new("RGBA", (w, h), (200, 30, 30, 128)), "PNG"),
    "lossless RGBA WebP": lambda w, h: encode(Image.new("RGBA", (w, h), (20, 200, 20, 100)), "WEBP", lossless=True),
    "progressive JPEG": lambda w, h: encode(
        Image.new("RGB", (w, h), (120, 80, 40)), "JPEG", progressive=True, subsampling=0
    ),
    "CMYK JPEG": lambda w, h: encode(Image.new("CMYK", (w, h), (10, 20, 30, 40)), "JPEG"),
    "palette PNG with transparency": lambda w, h: encode(Image.new("P", (w, h), 0), "PNG", transparency=0),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_images_at_the_limit_are_accepted_and_over_it_refused(kind):
    at_limit = HOSTILE[kind](1200, 900)
    result = prepare(at_limit, max_pixels=1200 * 900)
    assert stored(result).size == (1024, 768) and result.model_input.shape == (1, 224, 224, 3)
    assert result.model_input.dtype == np.float32
    over = refusal(at_limit, max_pixels=1200 * 900 - 1)
    assert (over.status, over.code) == (422, "too-many-pixels")


def test_sixteen_bit_grey_is_scaled_to_eight_bits_exactly():
    result = prepare(grey16_png(300, 300))
    assert stored(result).getpixel((150, 150))[0] in (155, 156)  # 40000 / 257 = 155.6, then JPEG rounding
    np.testing.assert_array_equal(result.model_input, preprocess.to_input(Image.new("RGB", (300, 300), (156,) * 3)))


def test_decodes_share_a_pixel_budget():
    budget = images.PixelBudget(100)
    inside, peak, lock = [0], [0], threading.Lock()

    def decode(pixels):
        share = min(pixels, budget.capacity)  # an image larger than the budget waits for all of it
        with budget.reserve(pixels):
            with lock:
                inside[0] += share
                peak[0] = max(peak[0], inside[0])
            threading.Event().wait(0.01)  # hold the share a moment so that the others queue behind it
            with lock:
                inside[0] -= share

    threads = [threading.Thread(target=decode, args=(pixels,)) for pixels in (60, 60, 30, 500, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] <= 100, "never more pixels in flight than the budget"
    with budget.reserve(100):  # every share was given back: the whole budget is free again
        pass


@pytest.mark.parametrize("jpeg_draft", [True, False])
def test_a_cards_jpeg_draft_decides_whether_the_model_sees_a_reduced_decode(jpeg_draft):
    # the browser follows the same flag (frontend/src/ondevice/preprocess.js): both must read it the same way
    data = encode(Image.effect_noise((1024, 768), 60).convert("RGB"), "JPEG", quality=90)
    spec = {"size": 32, "mean": 127, "scale": 128, "dtype": "float32", "jpeg_draft": jpeg_draft}
    result = images.prepare(data, 10 * MB, 40_000_000, spec)
    drafted = preprocess.spec_input(preprocess.load_rgb(data, draft_size=32), spec)
    in_full = preprocess.spec_input(preprocess.load_rgb(data, draft=False), spec)
    assert not np.array_equal(drafted, in_full)
    assert np.array_equal(result.model_input, drafted if jpeg_draft else in_full)

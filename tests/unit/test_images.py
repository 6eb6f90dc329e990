"""Upload validation and normalisation: every refusal is an ApiError with the status a client acts on."""

import io

import pytest
from PIL import Image

from fruitclf.ml import images
from fruitclf.errors import ApiError

MB = 1024 * 1024


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def refusal(data: bytes, max_bytes=10 * MB, max_pixels=40_000_000) -> ApiError:
    with pytest.raises(ApiError) as caught:
        images.normalise(data, max_bytes, max_pixels)
    return caught.value


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats_become_an_rgb_jpeg(fmt):
    result = images.normalise(encode(Image.new("RGB", (300, 200), (10, 200, 30)), fmt), 10 * MB, 40_000_000)
    assert result.source_format == fmt
    assert result.rgb.mode == "RGB" and result.rgb.size == (300, 200)
    assert Image.open(io.BytesIO(result.jpeg)).format == "JPEG"


def test_palette_and_alpha_images_are_converted():
    rgba = Image.new("RGBA", (50, 50), (255, 0, 0, 0))
    result = images.normalise(encode(rgba, "PNG"), MB, 10_000)
    assert result.rgb.mode == "RGB"
    assert result.rgb.getpixel((0, 0)) == (255, 255, 255), "transparent pixels are composited onto white"


def test_large_images_are_stored_at_most_1024_on_the_long_side():
    result = images.normalise(encode(Image.new("RGB", (3000, 1500)), "JPEG"), 10 * MB, 40_000_000)
    assert max(result.rgb.size) == 1024
    assert Image.open(io.BytesIO(result.jpeg)).size == (1024, 512)


def test_exif_is_applied_then_dropped():
    exif = Image.Exif()
    exif[0x0112] = 8
    exif[0x010F] = "PhoneMaker"
    result = images.normalise(encode(Image.new("RGB", (40, 20)), "JPEG", exif=exif.tobytes()), MB, 10_000)
    stored = Image.open(io.BytesIO(result.jpeg))
    assert stored.size == (20, 40)
    assert not stored.getexif()


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
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif is in functions/requirements.txt; this venv lacks it")
    pillow_heif.register_heif_opener()
    result = images.normalise(encode(Image.new("RGB", (64, 48), (200, 10, 10)), "HEIF"), MB, 10_000)
    assert result.source_format == "HEIF"
    assert result.rgb.size == (64, 48)

"""The mobile door under abuse: whatever lands in uploads/<uid>/, the trigger classifies it or records why not,
removes it, and writes nothing else; objects outside that folder are never classified.

Production's storage.rules refuse much of this at upload time (size, content type, other folders); the local
rules stand-in lets it through (README), so these check the trigger itself: the line behind the rules.
"""

from __future__ import annotations

import io
import struct
import uuid
from types import SimpleNamespace

import pytest
from PIL import Image

from hostile import attack
from support import emulators
from support.emulators import wait_for


def _png(size, mode="1") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims other dimensions (what a decoder allocates for)."""
    data = bytearray(emulators.jpeg_bytes(size=(16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _saved(fmt: str, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (32, 32), 90).save(out, fmt)
    return out.getvalue()


BAD_UPLOADS = {
    "eleven-megabytes": (b"\xff\xd8\xff" + b"\x00" * (11 * 1024 * 1024), "image-too-large"),
    "zero-bytes": (b"", "empty-image"),
    "text": (b"just some text pretending to be a photo", "unsupported-image"),
    "html": (b"<html><script>alert(1)</script></html>", "unsupported-image"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "unsupported-image"),
    "pdf": (b"%PDF-1.7\n" + b"\x00" * 200, "unsupported-image"),
    "gif": (_saved("GIF", "P"), "unsupported-image"),
    "bmp": (_saved("BMP"), "unsupported-image"),
    "tiff": (_saved("TIFF"), "unsupported-image"),
    "ico": (_saved("ICO"), "unsupported-image"),
    "fake-heic": (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 300, "unsupported-image"),
    "truncated-jpeg": (emulators.jpeg_bytes()[:1500], "corrupt-image"),
    "png-bomb-400-megapixels": (_png((20000, 20000)), "too-many-pixels"),
    "jpeg-header-claiming-65000-square": (_jpeg_claiming(65000, 65000), "too-many-pixels"),
}


@pytest.mark.parametrize("kind", BAD_UPLOADS)
def test_a_bad_upload_is_removed_and_only_its_error_is_recorded(user, kind):
    data, code = BAD_UPLOADS[kind]
    path = f"uploads/{user.uid}/{kind}.jpg"
    assert attack.storage_upload(user, path, data).status_code == 200
    [error] = wait_for(lambda: emulators.user_documents(user.uid, "uploadErrors"))
    wait_for(lambda: emulators.user_objects(user.uid, "uploads") == [])
    stored = error.to_dict()
    assert stored["error"]["code"] == code, stored
    assert stored["uploadPath"] == path
    assert set(attack.snapshot(user)) == {f"users/{user.uid}/uploadErrors/{error.id}"}, "nothing but the error"


@pytest.mark.parametrize(
    "name",
    [
        "...jpg",
        "%2e%2e%2fx.jpg",
        "name with spaces & quotes'\".jpg",
        "\u00e9\u00e8\U0001f34c.jpg",
        "x" * 900 + ".jpg",
        "photo.jpg\u202egpj.exe",
    ],
    ids=["dots", "encoded-traversal", "spaces-and-quotes", "unicode", "900-chars", "rtl-override"],
)
def test_odd_upload_names_are_classified_where_they_belong(user, name):
    path = f"uploads/{user.uid}/{name}"
    assert attack.storage_upload(user, path, emulators.jpeg_bytes()).status_code == 200
    [doc] = wait_for(lambda: emulators.user_documents(user.uid))
    wait_for(lambda: emulators.user_objects(user.uid, "uploads") == [])
    assert doc.to_dict()["uploadPath"] == path
    assert emulators.user_objects(user.uid) == [f"users/{user.uid}/images/{doc.id}.jpg"], "stored under its own id"


@pytest.mark.parametrize(
    "path",
    [
        "users/{uid}/images/planted.jpg",
        "uploads/{uid}/nested/deeper.jpg",
        "uploads/{uid}",
        "elsewhere/{uid}/x.jpg",
        "uploads//x.jpg",
    ],
    ids=["into-the-servers-folder", "nested", "no-name", "other-folder", "empty-uid"],
)
def test_objects_outside_the_upload_folder_are_never_classified(user, path):
    """Rules keep clients out of these paths in production; if an object lands there anyway, the trigger leaves
    it alone: no classification, no error, no quota spent. Its event is handled here, in-process, so that its
    effects (none) are complete when the assertions run; the emulator delivers the same event to the same code."""
    from fruitclf.doors.cloud_functions import handle_storage_upload

    path = path.format(uid=user.uid)
    meta = attack.storage_upload(user, path, emulators.jpeg_bytes())
    assert meta.status_code == 200
    with attack.nothing_written(user):
        handle_storage_upload(
            SimpleNamespace(
                data=SimpleNamespace(name=path, bucket=emulators.BUCKET, generation=meta.json()["generation"])
            )
        )
    assert emulators.bucket().get_blob(path) is not None, "left where it is"


def test_an_upload_for_an_account_that_does_not_exist_is_removed_and_leaves_nothing():
    ghost = f"ghost{uuid.uuid4().hex}"
    path = f"uploads/{ghost}/x.jpg"
    emulators.bucket().blob(path).upload_from_string(emulators.jpeg_bytes(), content_type="image/jpeg")
    wait_for(lambda: emulators.user_objects(ghost, "uploads") == [])
    assert attack.snapshot(ghost) == {}

"""POST /api/classify: what a valid photo produces, and that bad input is refused with nothing written."""

import io
import json

import pytest
import requests
from PIL import Image

from support import emulators
from support.emulators import API


def classify(user, data: bytes, name="photo.jpg", mimetype="image/jpeg"):
    return requests.post(f"{API}/classify", headers=user.headers, files={"image": (name, data, mimetype)}, timeout=60)


def assert_nothing_written(user):
    assert emulators.user_documents(user.uid) == []
    assert emulators.user_objects(user.uid) == []


def test_classify_stores_the_image_and_the_document(user):
    response = classify(user, emulators.jpeg_bytes())
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) >= {
        "id",
        "label",
        "confidence",
        "topk",
        "abstained",
        "modelVersion",
        "imagePath",
        "timings",
        "createdAt",
    }
    assert len(body["topk"]) == 3 and body["topk"][0]["label"] == body["label"]
    assert body["imagePath"] == f"users/{user.uid}/images/{body['id']}.jpg"
    assert body["source"] == "web"

    stored = emulators.firestore().document("users", user.uid, "classifications", body["id"]).get()
    assert stored.exists
    assert stored.get("label") == body["label"]
    assert stored.get("modelVersion") == body["modelVersion"]
    assert emulators.user_objects(user.uid) == [body["imagePath"]]


def test_stored_image_has_orientation_applied_and_no_metadata(user):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x8825] = {2: (59.0, 19.0, 0.0)}  # a GPS latitude a photo would carry
    response = classify(user, emulators.jpeg_bytes(size=(640, 480), exif=exif.tobytes()))
    assert response.status_code == 201, response.text
    stored = Image.open(io.BytesIO(emulators.bucket().blob(response.json()["imagePath"]).download_as_bytes()))
    assert stored.size == (480, 640), "EXIF orientation was applied before storing"
    assert not stored.getexif(), "no EXIF (and so no GPS) survives"


def test_real_fruit_photo_gets_the_right_label(user, fruit_photo):
    path, expected = fruit_photo
    response = classify(user, path.read_bytes())
    assert response.status_code == 201, response.text
    assert response.json()["label"] == expected


@pytest.mark.parametrize(
    "data, status, code",
    [
        (b"", 400, "empty-image"),
        (b"this is a text file, not a photo", 415, "unsupported-image"),
        (emulators.jpeg_bytes()[:2000], 415, "corrupt-image"),
        (b"GIF89a" + b"\x00" * 100, 415, "unsupported-image"),
    ],
    ids=["zero-bytes", "text", "truncated-jpeg", "gif"],
)
def test_bad_images_are_refused_and_nothing_is_written(user, data, status, code):
    response = classify(user, data)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert_nothing_written(user)


def test_decompression_bomb_is_refused_before_decoding(user):
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # ~50 KB on disk, 400 megapixels decoded
    response = classify(user, out.getvalue(), "bomb.png", "image/png")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "too-many-pixels"
    assert_nothing_written(user)


def test_oversized_upload_is_refused_with_413(user):
    too_big = emulators.jpeg_bytes() + b"\x00" * (10 * 1024 * 1024)
    response = classify(user, too_big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "image-too-large"
    assert_nothing_written(user)


def test_wrong_field_name_is_a_400(user):
    response = requests.post(
        f"{API}/classify",
        headers=user.headers,
        files={"photo": ("a.jpg", emulators.jpeg_bytes(), "image/jpeg")},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing-image"
    assert_nothing_written(user)


def test_malformed_json_is_a_400(user):
    response = requests.post(
        f"{API}/classify", headers={**user.headers, "Content-Type": "application/json"}, data="{not json", timeout=30
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid-json"
    assert_nothing_written(user)


def test_unknown_body_type_is_a_415(user):
    response = requests.post(
        f"{API}/classify", headers={**user.headers, "Content-Type": "text/plain"}, data="hello", timeout=30
    )
    assert response.status_code == 415
    assert_nothing_written(user)


@pytest.mark.parametrize(
    "path",
    ["uploads/{uid}/../../users/x/images/a.jpg", "../uploads/{uid}/a.jpg", "uploads/{uid}/a/b.jpg", "/etc/passwd", ""],
)
def test_storage_path_traversal_is_refused(user, path):
    response = requests.post(
        f"{API}/classify", headers=user.headers, json={"storagePath": path.format(uid=user.uid)}, timeout=30
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid-storage-path"
    assert_nothing_written(user)


def test_another_users_storage_path_is_forbidden(user, other_user):
    emulators.bucket().blob(f"uploads/{other_user.uid}/theirs.jpg").upload_from_string(
        emulators.jpeg_bytes(), content_type="image/jpeg"
    )
    response = requests.post(
        f"{API}/classify",
        headers=user.headers,
        json={"storagePath": f"uploads/{other_user.uid}/theirs.jpg"},
        timeout=30,
    )
    assert response.status_code == 403
    assert_nothing_written(user)


def test_requests_without_a_token_write_nothing(user):
    response = requests.post(
        f"{API}/classify", files={"image": ("a.jpg", emulators.jpeg_bytes(), "image/jpeg")}, timeout=30
    )
    assert response.status_code == 401
    assert_nothing_written(user)


def test_errors_are_json_without_stack_traces(user):
    response = classify(user, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    assert response.headers["Content-Type"].startswith("application/json")
    assert "Traceback" not in response.text
    assert set(json.loads(response.text)) == {"error"}

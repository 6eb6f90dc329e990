"""The mobile path: Storage SDK upload -> trigger -> the same kind of document, once."""

import urllib.parse
from types import SimpleNamespace

import requests

from support import emulators
from support.emulators import API, BUCKET, STORAGE, wait_for


def sdk_upload(user, name: str, data: bytes, content_type="image/jpeg") -> dict:
    """Upload as the Firebase Storage SDK does (its REST API, with the user's ID token)."""
    path = f"uploads/{user.uid}/{name}"
    response = requests.post(
        f"{STORAGE}/v0/b/{BUCKET}/o",
        params={"name": path, "uploadType": "media"},
        data=data,
        headers={**user.headers, "Content-Type": content_type},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def test_uploaded_photo_is_classified_by_the_trigger(user):
    sdk_upload(user, "from-phone.jpg", emulators.jpeg_bytes())
    [doc] = wait_for(lambda: emulators.user_documents(user.uid))
    data = doc.to_dict()
    assert data["source"] == "mobile"
    assert data["uploadPath"] == f"uploads/{user.uid}/from-phone.jpg"
    assert data["label"] and len(data["topk"]) == 3
    wait_for(lambda: emulators.user_objects(user.uid, "uploads") == [])
    assert emulators.user_objects(user.uid) == [data["imagePath"]]


def test_a_replayed_event_does_not_duplicate(user):
    from fruitclf.doors.upload_trigger import on_upload

    meta = sdk_upload(user, "twice.jpg", emulators.jpeg_bytes(color=(10, 200, 10)))
    event = SimpleNamespace(name=meta["name"], generation=meta["generation"], bucket=BUCKET)
    on_upload(event)  # races the emulator's own delivery of the same event
    on_upload(event)
    wait_for(lambda: emulators.user_objects(user.uid, "uploads") == [])
    assert len(emulators.user_documents(user.uid)) == 1


def test_a_non_image_upload_is_recorded_as_an_error_and_removed(user):
    sdk_upload(user, "notes.jpg", b"definitely not a jpeg", content_type="image/jpeg")
    [error] = wait_for(lambda: emulators.user_documents(user.uid, "uploadErrors"))
    assert error.to_dict()["error"]["code"] == "unsupported-image"
    wait_for(lambda: emulators.user_objects(user.uid, "uploads") == [])
    assert emulators.user_documents(user.uid) == []


def test_classify_by_storage_path_and_the_trigger_give_one_document(user):
    meta = sdk_upload(user, "via-api.jpg", emulators.jpeg_bytes(color=(250, 200, 0)))
    response = requests.post(f"{API}/classify", headers=user.headers, json={"storagePath": meta["name"]}, timeout=60)
    # The trigger may have classified (and removed) the upload first: then the API returns that document.
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "upload-not-found"
    else:
        assert response.status_code == 201, response.text
    wait_for(lambda: emulators.user_objects(user.uid, "uploads") == [])
    assert len(emulators.user_documents(user.uid)) == 1


def test_storage_path_of_a_missing_upload_is_404(user):
    response = requests.post(
        f"{API}/classify",
        headers=user.headers,
        json={"storagePath": f"uploads/{user.uid}/{urllib.parse.quote('nothing.jpg')}"},
        timeout=30,
    )
    assert response.status_code == 404
    assert emulators.user_documents(user.uid) == []

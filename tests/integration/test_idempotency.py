"""POST /api/classify with an Idempotency-Key (the web app's offline queue sends one per photo): a repeated
upload, after a tab closed between the server's answer and the queue's delete, is stored once."""

import uuid

import requests

from support import emulators
from support.emulators import API


def post(user, key: str | None, color=(200, 120, 30)):
    headers = {**user.headers, **({"Idempotency-Key": key} if key else {})}
    data = emulators.jpeg_bytes(color=color)
    return requests.post(f"{API}/classify", headers=headers, files={"image": ("p.jpg", data, "image/jpeg")}, timeout=60)


def history_ids(user) -> list[str]:
    return [
        item["id"] for item in requests.get(f"{API}/classifications", headers=user.headers, timeout=30).json()["items"]
    ]


def test_the_same_key_twice_is_one_classification(user):
    key = str(uuid.uuid4())
    first, again = post(user, key), post(user, key)
    assert first.status_code == 201 and again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["label"] == first.json()["label"]
    assert history_ids(user) == [first.json()["id"]]


def test_other_keys_and_no_key_are_separate_classifications(user):
    ids = {
        post(user, str(uuid.uuid4())).json()["id"],
        post(user, str(uuid.uuid4())).json()["id"],
        post(user, None).json()["id"],
    }
    assert len(ids) == 3 and set(history_ids(user)) == ids


def test_a_key_is_per_user(user, other_user):
    key = str(uuid.uuid4())
    mine, theirs = post(user, key), post(other_user, key)
    assert mine.status_code == 201 and theirs.status_code == 201
    assert history_ids(user) == [mine.json()["id"]] and history_ids(other_user) == [theirs.json()["id"]]


def test_a_malformed_key_is_refused_before_anything_is_stored(user):
    response = post(user, "bad key!")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid-idempotency-key"
    assert history_ids(user) == []

"""The web app's batch and offline-queue doors answer an org's members with the org's pinned version. Both send
what frontend/src/api.js `classify` sends: POST /api/classify, multipart with one `image` part (the downscaled
JPEG and its name from frontend/src/image.js); the batch view several at once, the offline queue each photo with
its client id as Idempotency-Key, again after a lost answer (frontend/src/offline/queue.js)."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from support import emulators
from support import org_models as om
from support.emulators import API

LABELS = ["red-apple", "green-pear", "blue-plum"]
COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (210, 30, 30)]


def web_app_classify(user, color, filename: str, client_id: str | None = None) -> requests.Response:
    headers = {**user.headers, **({"Idempotency-Key": client_id} if client_id else {})}
    files = {"image": (filename, emulators.jpeg_bytes(color=color), "image/jpeg")}
    return requests.post(f"{API}/classify", headers=headers, files=files, timeout=60)


def test_the_batch_view_is_answered_by_the_orgs_pinned_version(org, admin, member):
    om.add_version(admin, org, "v1", LABELS)
    assert om.pin(admin, org, "v1").status_code == 200
    with ThreadPoolExecutor(max_workers=len(COLOURS)) as pool:  # the batch view keeps several uploads in flight
        answers = list(pool.map(lambda n: web_app_classify(member, COLOURS[n], f"IMG_{n}.jpg"), range(len(COLOURS))))
    assert [a.status_code for a in answers] == [201] * len(COLOURS)
    results = [a.json() for a in answers]
    assert {r["modelVersion"] for r in results} == {f"{org}/v1"}
    assert [r["label"] for r in results] == ["red-apple", "green-pear", "blue-plum", "red-apple"]
    assert len(emulators.user_documents(member.uid)) == len(COLOURS)


def test_the_offline_queue_is_answered_by_the_orgs_pinned_version_and_a_replay_is_stored_once(org, admin, member):
    om.add_version(admin, org, "v1", LABELS)
    assert om.pin(admin, org, "v1").status_code == 200
    client_id = str(uuid.uuid4())
    first = web_app_classify(member, (40, 200, 40), "photo.jpg", client_id)
    # The queue sends the same photo again when the first answer was lost on the way back.
    again = web_app_classify(member, (40, 200, 40), "photo.jpg", client_id)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["modelVersion"], first.json()["label"]) == (f"{org}/v1", "green-pear")
    assert len(emulators.user_documents(member.uid)) == 1


def test_both_doors_follow_a_staged_rollout_for_the_users_it_chose(org, admin):
    from fruitclf.service.org_models import rollout_bucket

    om.add_version(admin, org, "v1", LABELS)
    om.add_version(admin, org, "v2", ["green-pear", "red-apple", "blue-plum"])
    om.pin(admin, org, "v1")
    assert om.rollout(admin, org, "v2", 50).status_code == 200
    chosen = left = None
    while chosen is None or left is None:
        user = emulators.join_org(emulators.sign_up(), org, "member")
        if rollout_bucket(org, user.uid) < 50:
            chosen = chosen or user
        else:
            left = left or user
    for user, version in ((chosen, "v2"), (left, "v1")):
        batch = web_app_classify(user, (200, 40, 40), "IMG_0.jpg").json()
        queued = web_app_classify(user, (200, 40, 40), "photo.jpg", str(uuid.uuid4())).json()
        assert batch["modelVersion"] == queued["modelVersion"] == f"{org}/{version}"

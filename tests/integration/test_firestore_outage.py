"""Clients keep classifying while Firestore freezes for longer than the function's deadline (FIRESTORE_DEADLINE,
10 s on the stack) and then thaws: the requests caught in it are answered 201 or 503, and whatever the answer,
what is stored is whole. A
classification's document, its image and its counts all exist or none do, and every answered one is stored."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from fruitclf.service.classify import keyed_doc_id
from support import emulators
from support.emulators import API

CLIENTS = 8
OUTAGE_S = 12


def _stored(uid: str) -> tuple[set[str], set[str], int]:
    """(document ids, image ids, the summary's total) of one user."""
    docs = {d.id for d in emulators.user_documents(uid)}
    images = {name.rsplit("/", 1)[1].removesuffix(".jpg") for name in emulators.user_objects(uid)}
    summary = emulators.firestore().document("users", uid, "counters", "summary").get().to_dict() or {}
    return docs, images, int(summary.get("total", 0))


def test_answers_and_stored_classifications_agree_through_a_firestore_outage():
    users = [emulators.sign_up() for _ in range(CLIENTS)]
    answers: list[tuple[str, str, int, float, float]] = []  # (uid, Idempotency-Key, status, sent, answered)
    stop = threading.Event()

    def keep_classifying(user):
        n = 0
        while not stop.is_set():
            n += 1
            key = f"outage-{uuid.uuid4().hex}"
            sent = time.monotonic()
            response = requests.post(
                f"{API}/classify",
                headers={**user.headers, "Idempotency-Key": key},
                files={"image": ("p.jpg", emulators.jpeg_bytes(color=(n * 37 % 255, 120, 40)), "image/jpeg")},
                timeout=120,
            )
            answers.append((user.uid, key, response.status_code, sent, time.monotonic()))

    with ThreadPoolExecutor(CLIENTS) as pool:
        running = [pool.submit(keep_classifying, user) for user in users]
        try:
            emulators.wait_for(lambda: len(answers) >= CLIENTS, timeout_s=120)
            outage = emulators.FirestorePause(OUTAGE_S).start()
            frozen = time.monotonic()
            try:
                outage.wait()
            finally:
                outage.end()
            after_outage = len(answers)
            emulators.wait_for(lambda: len(answers) >= after_outage + 2 * CLIENTS, timeout_s=180)
        finally:
            stop.set()
        for client in running:
            client.result()

    statuses = [status for _, _, status, _, _ in answers]
    assert set(statuses) <= {201, 503}, statuses
    # the outage was met: a request was in flight when Firestore froze (it is answered at the function's deadline,
    # before or after the thaw depending on the load)
    assert any(sent < frozen < answered for *_, sent, answered in answers), "no request met the outage"

    def all_whole() -> bool:
        return all(docs == images and total == len(docs) for docs, images, total in map(_stored, uids))

    uids = [user.uid for user in users]
    try:  # a write whose outcome was unknown settles in the background once Firestore answers again
        emulators.wait_for(all_whole, timeout_s=60, every_s=1)
    except AssertionError:
        pass
    for uid in uids:
        docs, images, total = _stored(uid)
        assert docs - images == set(), "classifications stored without their image"
        assert images - docs == set(), "images stored without their classification"
        assert total == len(docs), "the counters disagree with the stored classifications"
        answered = {keyed_doc_id(key) for who, key, status, _, _ in answers if who == uid and status == 201}
        assert answered <= docs, "an answered classification is missing"

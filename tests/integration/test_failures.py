"""When a backing service fails, the caller gets a 503 and nothing is left half-written.

These run the Flask app in-process (same code as the function) against the emulators, so that one
service can be made to fail without stopping the shared stack.
"""

from google.api_core import exceptions as gexc

from integration.inprocess import post_image
from support import emulators


def test_firestore_down_is_a_503_and_nothing_is_stored(monkeypatch, client_with, user):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")  # read by the Firestore client library itself
    response = post_image(client_with(firestore_deadline_s=2.0), user)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert emulators.user_objects(user.uid) == []


def test_a_failure_before_the_document_is_written_removes_the_image(monkeypatch, app_client, user):
    from fruitclf.ml import model

    def unavailable(*_args, **_kwargs):
        raise gexc.ServiceUnavailable("the vision model's backend is down")

    monkeypatch.setattr(model.Classifier, "classify", unavailable)
    response = post_image(app_client, user)
    assert response.status_code == 503
    assert emulators.user_objects(user.uid) == [], "the image uploaded before the failure was removed"
    assert emulators.user_documents(user.uid) == []


def test_a_write_that_times_out_and_lands_later_leaves_one_whole_classification(monkeypatch, client_with, user):
    """Firestore freezes just as the document is written, for longer than FIRESTORE_DEADLINE, and serves the
    write when it thaws: a write whose caller gave up may still be applied. The answer and what is stored
    agree: the document, its image and its counts, once."""
    from fruitclf.data import store

    app_client = client_with(firestore_deadline_s=2.0)
    pause = emulators.FirestorePause(seconds=3)
    write = store.create_classification
    first_write = [True]

    def freeze_then_write(*args, **kwargs):
        if first_write:
            first_write.clear()
            pause.start()
        return write(*args, **kwargs)

    monkeypatch.setattr(store, "create_classification", freeze_then_write)
    try:
        response = post_image(app_client, user)
    finally:
        pause.end()
    assert response.status_code == 201, response.get_data(as_text=True)
    doc = response.get_json()
    assert [d.id for d in emulators.user_documents(user.uid)] == [doc["id"]]
    assert emulators.user_objects(user.uid) == [f"users/{user.uid}/images/{doc['id']}.jpg"]
    summary = emulators.firestore().document("users", user.uid, "counters", "summary").get().to_dict()
    assert summary["total"] == 1

"""When a backing service fails, the caller gets a 503 and nothing is left half-written.

These run the Flask app in-process (same code as the function) against the emulators, so that one
service can be made to fail without stopping the shared stack.
"""

from google.api_core import exceptions as gexc

from integration.inprocess import post_image
from support import emulators


def test_firestore_down_is_a_503_and_nothing_is_stored(monkeypatch, app_client, user):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
    monkeypatch.setenv("FIRESTORE_DEADLINE", "2")
    response = post_image(app_client, user)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert emulators.user_objects(user.uid) == []


def test_document_write_failing_after_the_upload_removes_the_image(monkeypatch, app_client, user):
    from fruitclf.data import store

    def unavailable(*_args, **_kwargs):
        raise gexc.ServiceUnavailable("firestore is down")

    monkeypatch.setattr(store, "create_classification", unavailable)
    response = post_image(app_client, user)
    assert response.status_code == 503
    assert emulators.user_objects(user.uid) == [], "the image uploaded before the failure was removed"
    assert emulators.user_documents(user.uid) == []

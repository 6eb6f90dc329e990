"""Sessions that end, end: a deleted, disabled or signed-out-everywhere (revoked) account is refused with 401
and its own code, on every endpoint, and writes nothing; a working session is cut off within the instance's
re-check interval (SESSION_CHECK_SECONDS)."""

import dataclasses
from functools import partial

import pytest

from hostile import attack
from integration.inprocess import post_image
from support import emulators

ENDPOINTS = [
    ("POST", "/classify"),
    ("GET", "/me"),
    ("GET", "/classifications"),
    ("GET", "/classifications/someid"),
    ("DELETE", "/classifications/someid"),
    ("POST", "/classifications/someid/feedback"),
    ("GET", "/stats"),
    ("GET", "/feedback/export"),
    ("GET", "/invitations"),
]


def _end(user, how: str) -> None:
    {"deleted": attack.delete_account, "disabled": attack.disable, "revoked": attack.revoke}[how](user)


ENDED = {"deleted": "account-deleted", "disabled": "account-disabled", "revoked": "token-revoked"}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
@pytest.mark.parametrize("how", ENDED)
def test_an_ended_session_is_refused_everywhere(how, method, path):
    user = emulators.sign_up()
    if how == "revoked":
        attack.age_token(user)  # the revocation is then later than the token, to Auth's one-second precision
    _end(user, how)
    kwargs = {"files": {"image": ("p.jpg", emulators.jpeg_bytes(), "image/jpeg")}} if path == "/classify" else {}
    if path.endswith("feedback"):
        kwargs = {"json": {"correct": True}}
    attack.refused(partial(attack.api, method, path, user, **kwargs), 401, ENDED[how], user)


def test_an_ended_session_cannot_classify_through_storage_path():
    user = emulators.sign_up()
    attack.disable(user)
    send = partial(attack.api, "POST", "/classify", user, json={"storagePath": f"uploads/{user.uid}/p.jpg"})
    attack.refused(send, 401, "account-disabled", user)


# -- a session that was working: the in-process app with a one-second re-check, so that the test waits for the
# effect rather than for the deployed default (30 s)


@pytest.fixture
def quick_recheck_client():
    from fruitclf.config import Settings
    from fruitclf.data import clients
    from fruitclf.web.app import create_app

    clients.reset()
    yield create_app(dataclasses.replace(Settings(), session_check_seconds=1.0)).test_client()
    clients.reset()


@pytest.mark.parametrize("how", ENDED)
def test_a_working_session_is_cut_off_within_the_recheck_interval(quick_recheck_client, how):
    client = quick_recheck_client
    user = emulators.sign_up()
    assert post_image(client, user).status_code == 201
    attack.age_token(user)
    _end(user, how)

    def refused():
        response = client.get("/api/me", headers=user.headers)
        return response if response.status_code == 401 else None

    response = emulators.wait_for(refused, timeout_s=10, every_s=0.2)
    assert response.get_json()["error"]["code"] == ENDED[how]
    with attack.nothing_written(user):
        refused_classify = post_image(client, user)
    assert refused_classify.status_code == 401 and refused_classify.get_json()["error"]["code"] == ENDED[how]


def test_a_re_enabled_account_and_a_fresh_sign_in_are_let_back_in(quick_recheck_client):
    client = quick_recheck_client
    user = emulators.sign_up()
    attack.age_token(user)
    attack.revoke(user)
    attack.disable(user)
    emulators.wait_for(lambda: client.get("/api/me", headers=user.headers).status_code == 401, timeout_s=10)
    attack.disable(user, disabled=False)
    emulators.sign_in(user)  # a new token, issued after the revocation
    assert emulators.wait_for(lambda: client.get("/api/me", headers=user.headers).status_code == 200, timeout_s=10)


def test_revocation_on_the_emulator_is_what_the_admin_sdk_check_revoked_sees():
    """Production parity: the emulator's revocation (validSince) and disabling are visible to the admin SDK's
    own verify_id_token(check_revoked=True), the check whose rule service/identity.py applies from a cache."""
    from firebase_admin import auth

    from fruitclf.data.clients import admin_app

    user = emulators.sign_up()
    assert auth.verify_id_token(user.token, app=admin_app(), check_revoked=True)["uid"] == user.uid
    attack.age_token(user)
    attack.revoke(user)
    with pytest.raises(auth.RevokedIdTokenError):
        auth.verify_id_token(user.token, app=admin_app(), check_revoked=True)
    emulators.sign_in(user)
    attack.disable(user)
    with pytest.raises(auth.UserDisabledError):
        auth.verify_id_token(user.token, app=admin_app(), check_revoked=True)


def test_a_disabled_account_cannot_classify_through_the_mobile_door():
    """Storage accepts the upload (storage.rules see a token that is still valid for up to an hour); the trigger
    checks the account, deletes the upload and records why."""
    user = emulators.sign_up()
    attack.disable(user)
    path = f"uploads/{user.uid}/p.jpg"
    emulators.bucket().blob(path).upload_from_string(emulators.jpeg_bytes(), content_type="image/jpeg")
    [error] = emulators.wait_for(lambda: emulators.user_documents(user.uid, "uploadErrors"), timeout_s=60)
    assert error.to_dict()["error"]["code"] == "account-disabled"
    assert emulators.user_documents(user.uid) == []
    emulators.wait_for(lambda: not emulators.bucket().blob(path).exists(), timeout_s=30)
    assert emulators.user_objects(user.uid) == []

"""What every hostile test needs: send an attack, then prove it was refused properly and wrote nothing.

    with attack.nothing_written(user, victim, orgs=[org]):
        response = requests.post(...)
    attack.assert_refused(response, 403, "not-org-admin")

or in one call: attack.refused(lambda: requests.post(...), 403, "not-org-admin", user, victim, orgs=[org]).

"Nothing written" compares, before and after, every Firestore document under users/<uid> (all subcollections,
recursively) and orgs/<orgId>, and every Storage object under uploads/<uid>/ and users/<uid>/ (name,
generation, size), read through the emulators' admin access (which rules do not restrict).
"""

from __future__ import annotations

import contextlib
import json

import requests

from support import emulators
from support.emulators import API

FIRESTORE_REST = f"http://{emulators.FIRESTORE_HOST}/v1/projects/{emulators.PROJECT}/databases/(default)/documents"
STORAGE_REST = f"{emulators.STORAGE}/v0/b/{emulators.BUCKET}/o"
LEAK_MARKERS = ("Traceback", 'File "', "werkzeug", "google.api_core", "firebase_admin")


def _uid(who) -> str:
    return who if isinstance(who, str) else who.uid


def _documents(ref) -> dict[str, dict]:
    """Every document at or under a document reference (it need not exist itself to have subcollections)."""
    found = {}
    snapshot = ref.get()
    if snapshot.exists:
        found[ref.path] = snapshot.to_dict()
    for collection in ref.collections():
        for child in collection.list_documents():
            found.update(_documents(child))
    return found


def snapshot(*users, orgs=()) -> dict:
    """Firestore and Storage state of the given users (User or uid) and organisations."""
    db = emulators.firestore()
    bucket = emulators.bucket()
    state: dict = {}
    for uid in map(_uid, users):
        state.update(_documents(db.document("users", uid)))
        for prefix in (f"uploads/{uid}/", f"users/{uid}/"):
            for blob in bucket.list_blobs(prefix=prefix):
                state[f"gs://{blob.name}"] = {"generation": blob.generation, "size": blob.size}
    for org_id in orgs:
        state.update(_documents(db.document("orgs", org_id)))
        for blob in bucket.list_blobs(prefix=f"orgs/{org_id}/"):
            state[f"gs://{blob.name}"] = {"generation": blob.generation, "size": blob.size}
    return state


@contextlib.contextmanager
def nothing_written(*users, orgs=()):
    before = snapshot(*users, orgs=orgs)
    yield
    after = snapshot(*users, orgs=orgs)
    changed = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    assert not changed, f"a refused request changed stored data: {changed}"


def assert_refused(response, status: int, code: str | None = None) -> dict:
    """The response is `status` with the error envelope {"error": {"code", "message"}} and no internals."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:300]}"
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.headers.get("Content-Type")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    if code is not None:
        assert error["code"] == code, f"expected code {code!r}, got {error['code']!r}: {error['message']}"
    assert not any(marker in response.text for marker in LEAK_MARKERS), response.text[:300]
    return error


def refused(send, status: int, code: str | None, *users, orgs=()) -> dict:
    """Call `send()` (which makes one request), assert the refusal and that nothing of `users`/`orgs` changed."""
    with nothing_written(*users, orgs=orgs):
        response = send()
    return assert_refused(response, status, code)


# -- ways in, as a client would use them


def api(method: str, path: str, who=None, **kwargs) -> requests.Response:
    """A request to the API through Hosting; `who` is a User (its ID token), a raw token string or None."""
    headers = dict(kwargs.pop("headers", {}) or {})
    if who is not None:
        headers.setdefault("Authorization", f"Bearer {who if isinstance(who, str) else who.token}")
    return requests.request(method, f"{API}{path}", headers=headers, timeout=60, **kwargs)


def classify(who, data: bytes | None = None, **kwargs) -> requests.Response:
    files = {"image": ("p.jpg", data or emulators.jpeg_bytes(), "image/jpeg")}
    return api("POST", "/classify", who, files=files, **kwargs)


def _firestore_value(value):
    if value is None:
        return {"nullValue": None}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"integerValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_firestore_value(v) for v in value]}}
    if isinstance(value, dict):
        return {"mapValue": {"fields": {k: _firestore_value(v) for k, v in value.items()}}}
    raise TypeError(f"no Firestore value for {value!r}")


def firestore_rest(
    method: str, path: str, who, fields: dict | None = None, update_mask: list[str] | None = None
) -> requests.Response:
    """The Firestore REST API as a client SDK would call it: rule-checked with the user's ID token.

    PATCH with `update_mask` changes only those fields (an update); without it, it replaces the document
    (creating it if need be). GET reads; DELETE deletes.
    """
    params = [("updateMask.fieldPaths", name) for name in update_mask or ()]
    body = {"fields": {k: _firestore_value(v) for k, v in fields.items()}} if fields is not None else None
    headers = {"Authorization": f"Bearer {who.token}"} if who is not None else {}
    return requests.request(
        method,
        f"{FIRESTORE_REST}/{path}",
        params=params,
        data=json.dumps(body) if body else None,
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )


def storage_upload(who, path: str, data: bytes, content_type: str = "image/jpeg") -> requests.Response:
    """An upload through the Firebase Storage REST API (what the mobile SDKs use), with the user's ID token."""
    headers = {"Content-Type": content_type}
    if who is not None:
        headers["Authorization"] = f"Firebase {who.token}"
    return requests.post(
        STORAGE_REST, params={"name": path, "uploadType": "media"}, data=data, headers=headers, timeout=30
    )


def storage_get(who, path: str) -> requests.Response:
    headers = {"Authorization": f"Firebase {who.token}"} if who is not None else {}
    return requests.get(
        f"{STORAGE_REST}/{requests.utils.quote(path, safe='')}", params={"alt": "media"}, headers=headers, timeout=30
    )


# -- what an operator (or Auth itself) does to an account, through the Auth emulator's admin REST API


def disable(user, disabled: bool = True) -> None:
    emulators.update_account(user.uid, disableUser=disabled)


def revoke(user) -> None:
    """What the admin SDK's revoke_refresh_tokens does: tokens issued before this second stop being valid."""
    import time

    emulators.update_account(user.uid, validSince=str(int(time.time())))


def delete_account(user) -> None:
    response = requests.post(
        f"{emulators.AUTH}/identitytoolkit.googleapis.com/v1/projects/{emulators.PROJECT}/accounts:delete",
        json={"localId": user.uid},
        headers={"Authorization": "Bearer owner"},
        timeout=10,
    )
    response.raise_for_status()


def age_token(user) -> None:
    """Wait until the clock has left the second the user's ID token was issued in. Auth records revocation to
    the second and a token issued in that same second still counts as valid (in production too), so a test
    that revokes or changes a role right after signing in would otherwise keep a token that is still good."""
    import time

    issued_at = emulators.token_claims(user.token)["iat"]
    emulators.wait_for(lambda: time.time() >= issued_at + 1, timeout_s=3, every_s=0.05)

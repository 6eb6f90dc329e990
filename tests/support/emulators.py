"""Talk to the running Firebase emulators the way a client (and an operator) would.

Clients: Auth emulator REST for sign-up and ID tokens, the Hosting URL for the API.
Admin: google-cloud clients with anonymous credentials (the emulators treat them as the owner) to look
behind the API and assert what was, and was not, written.
"""

from __future__ import annotations

import base64
import io
import json
import os
import uuid
from dataclasses import dataclass

import requests
from PIL import Image

PROJECT = "demo-fruit"
# The project's default bucket: firebase-tools takes it from STORAGE_BUCKET_URL (the stack runs once with a
# `*.firebasestorage.app` name, as projects created since late 2024 have), else `<project>.appspot.com`.
BUCKET = os.environ.get("STORAGE_BUCKET_URL") or f"{PROJECT}.appspot.com"
HOSTING = "http://127.0.0.1:5000"
# FRUIT_API points the API tests at another server of the same app (gunicorn, scripts/test).
API = os.environ.get("FRUIT_API") or f"{HOSTING}/api"
AUTH = "http://127.0.0.1:9099"
FIRESTORE_HOST = "127.0.0.1:8080"
STORAGE = "http://127.0.0.1:9199"

os.environ.setdefault("FIRESTORE_EMULATOR_HOST", FIRESTORE_HOST)
os.environ.setdefault("STORAGE_EMULATOR_HOST", STORAGE)
os.environ.setdefault("FIREBASE_AUTH_EMULATOR_HOST", AUTH.removeprefix("http://"))
os.environ.setdefault("GCLOUD_PROJECT", PROJECT)
TASKS = "127.0.0.1:9499"
os.environ.setdefault("CLOUD_TASKS_EMULATOR_HOST", TASKS)
# What Cloud Functions (and the functions emulator) give the function, for the app run in-process.
os.environ.setdefault("FIREBASE_CONFIG", json.dumps({"projectId": PROJECT, "storageBucket": BUCKET}))


def stack_is_up() -> bool:
    try:
        return requests.get(f"{API}/health", timeout=3).status_code == 200
    except requests.RequestException:
        return False


@dataclass
class User:
    uid: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


def sign_up(email: str | None = None, password: str = "correct-horse-9") -> User:
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(
        f"{AUTH}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-api-key",
        json={"email": email, "password": password, "returnSecureToken": True},
        timeout=10,
    )
    response.raise_for_status()
    body = response.json()
    return User(uid=body["localId"], email=email, password=password, token=body["idToken"])


def sign_in(user: User) -> User:
    """A fresh ID token (after custom claims change, a client refreshes its token)."""
    response = requests.post(
        f"{AUTH}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-api-key",
        json={"email": user.email, "password": user.password, "returnSecureToken": True},
        timeout=10,
    )
    response.raise_for_status()
    user.token = response.json()["idToken"]
    return user


def update_account(uid: str, **fields) -> None:
    """Change an account as an operator (the Auth emulator's admin REST API, as the owner)."""
    response = requests.post(
        f"{AUTH}/identitytoolkit.googleapis.com/v1/projects/{PROJECT}/accounts:update",
        json={"localId": uid, **fields},
        headers={"Authorization": "Bearer owner"},
        timeout=10,
    )
    response.raise_for_status()


def set_claims(uid: str, claims: dict) -> None:
    update_account(uid, customAttributes=json.dumps(claims))


def verify_email(user: User) -> User:
    """Mark the user's address verified (invitations go to verified addresses)."""
    update_account(user.uid, emailVerified=True)
    return user


def unsigned_token(claims: dict) -> str:
    """A JWT in the Auth emulator's own format (alg none), with whatever claims a forger likes."""

    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def token_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def firestore(database: str = "(default)"):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore as gfs

    return gfs.Client(project=PROJECT, credentials=AnonymousCredentials(), database=database)


def bucket(name: str = BUCKET):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project=PROJECT, credentials=AnonymousCredentials()).bucket(name)


def user_documents(uid: str, collection: str = "classifications") -> list:
    return list(firestore().collection("users", uid, collection).stream())


def user_objects(uid: str, prefix: str = "users") -> list[str]:
    folder = f"{prefix}/{uid}/" if prefix == "users" else f"{prefix}/{uid}/"
    return [blob.name for blob in bucket().list_blobs(prefix=folder)]


def jpeg_bytes(size=(640, 480), color=(200, 40, 40), quality=90, exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    kwargs = {"quality": quality}
    if exif is not None:
        kwargs["exif"] = exif
    image.save(out, "JPEG", **kwargs)
    return out.getvalue()


def png_bytes(size=(64, 64), mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def make_org(org_id: str | None = None, requests_per_minute: int = 60, **fields) -> str:
    """An organisation document as the `admin create-org` command writes it (with its own request limit)."""
    org_id = org_id or f"org-{uuid.uuid4().hex[:8]}"
    data = {
        "name": org_id.title(),
        "features": ["classification", "analytics", "second_opinion"],
        "modelId": None,
        "requestsPerMinute": requests_per_minute,
    }
    firestore().document("orgs", org_id).set({**data, **fields})
    return org_id


def join_org(user: User, org_id: str, role: str = "member") -> User:
    """Membership as the server records it: the user's custom claims and orgs/<orgId>/members/<uid>."""
    set_claims(user.uid, {"org": org_id, "role": role})
    firestore().document("orgs", org_id, "members", user.uid).set({"uid": user.uid, "email": user.email, "role": role})
    return sign_in(user)


def fresh_window(min_left_s: float = 20.0) -> None:
    """Wait, if need be, until the current one-minute rate-limit window has `min_left_s` left, so that a
    test's few requests all fall in one window (the limiter counts per wall-clock minute)."""
    import time

    left = 60 - time.time() % 60
    if left < min_left_s:
        time.sleep(left + 0.1)


def wait_for(predicate, timeout_s: float = 90.0, every_s: float = 0.25):
    """Poll until an asynchronous effect (a trigger, a monitoring flush) is visible; fail after timeout_s."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"not seen within {timeout_s} s")


def _listening_pid(port: int) -> int:
    """The process that listens on `port` on this machine (read from /proc: no tool needed)."""
    from pathlib import Path

    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].rsplit(":", 1)[1] == f"{port:04X}" and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if fd.readlink().name.removeprefix("socket:[").removesuffix("]") in inodes:
                return int(fd.parts[2])
        except OSError:
            continue
    raise RuntimeError(f"nothing listens on port {port}")


class FirestorePause:
    """Freeze the Firestore emulator (SIGSTOP) for at most `seconds`: requests to it hang as in an outage, and
    what was sent meanwhile is served when it thaws (SIGCONT), as a real backend may still apply a write whose
    caller gave up. A timer thaws it after `seconds` whatever the test does; `end` (or leaving the `with`
    block) thaws it at once."""

    def __init__(self, seconds: float):
        import threading

        self.pid = _listening_pid(int(FIRESTORE_HOST.rsplit(":", 1)[1]))
        self._timer = threading.Timer(seconds, self.end)
        self._timer.daemon = True

    def start(self) -> FirestorePause:
        import signal

        os.kill(self.pid, signal.SIGSTOP)
        self._timer.start()
        return self

    def end(self) -> None:
        import signal

        self._timer.cancel()
        os.kill(self.pid, signal.SIGCONT)

    def wait(self) -> None:
        """Block until the timer has thawed it (the outage lasts its full length)."""
        self._timer.join()

    def __enter__(self) -> FirestorePause:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.end()

"""Demo data for `scripts/dev`: a user to sign in with, an organisation they administer, a few classifications,
and a second user with a pending invitation to that organisation (to see Accept / Decline on the Account page)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "demo@fruit.test"
PASSWORD = "fruit-demo-123"
ORG = "demo-org"
INVITEE = "friend@fruit.test"  # same password; invited to ORG, not yet a member


def _post(url: str, body: bytes, headers: dict) -> dict:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"{}")


def _sign_in(auth_port: int, email: str = EMAIL) -> dict:
    base = f"http://127.0.0.1:{auth_port}/identitytoolkit.googleapis.com/v1/accounts"
    body = json.dumps({"email": email, "password": PASSWORD, "returnSecureToken": True}).encode()
    try:
        return _post(f"{base}:signUp?key=demo-api-key", body, {"Content-Type": "application/json"})
    except urllib.error.HTTPError:  # already there (emulator data kept with --import)
        return _post(f"{base}:signInWithPassword?key=demo-api-key", body, {"Content-Type": "application/json"})


def _mark_verified(auth_port: int, uid: str) -> None:
    """Invitations go to verified addresses; the Auth emulator lets the owner mark one (no email is sent)."""
    url = f"http://127.0.0.1:{auth_port}/identitytoolkit.googleapis.com/v1/projects/demo-fruit/accounts:update"
    body = json.dumps({"localId": uid, "emailVerified": True}).encode()
    _post(url, body, {"Content-Type": "application/json", "Authorization": "Bearer owner"})


def _invite(hosting: str, admin_token: str, email: str) -> None:
    body = json.dumps({"email": email, "role": "member"}).encode()
    headers = {"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"}
    try:
        _post(f"{hosting}/api/orgs/{ORG}/invitations", body, headers)
    except urllib.error.HTTPError as exc:
        print(f"seed: invitation for {email}: {exc.code}", file=sys.stderr)


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def seed(hosting: str, ports: dict) -> None:
    account = _sign_in(ports["auth"])
    env = {
        "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{ports['firestore']}",
        "FIREBASE_AUTH_EMULATOR_HOST": f"127.0.0.1:{ports['auth']}",
        "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{ports['storage']}",
        "GCLOUD_PROJECT": "demo-fruit",
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(
        [
            str(ROOT / ".venv/bin/python"),
            "-m",
            "fruitclf",
            "admin",
            "create-org",
            ORG,
            "--name",
            "Demo Fruit Co",
            "--admin",
            EMAIL,
        ],
        cwd=ROOT / "functions",
        env=env,
        capture_output=True,
        check=False,
    )
    account = _sign_in(ports["auth"])  # a fresh token carries the org claims
    invitee = _sign_in(ports["auth"], INVITEE)
    for uid in (account["localId"], invitee["localId"]):
        _mark_verified(ports["auth"], uid)
    _invite(hosting, account["idToken"], INVITEE)
    samples = ROOT / ".cache" / "test-photos"  # fetched by scripts/fetch_test_photos.sh (Debian's opencv-doc)
    photos = [
        samples / name
        for name in ("apple.jpg", "orange.jpg", "fruits.jpg", "building.jpg")
        if (samples / name).is_file()
    ]
    for photo in photos:
        body, content_type = _multipart(photo.name, photo.read_bytes())
        try:
            _post(
                f"{hosting}/api/classify",
                body,
                {"Authorization": f"Bearer {account['idToken']}", "Content-Type": content_type},
            )
        except urllib.error.HTTPError as exc:
            print(f"seed: {photo.name}: {exc.code}", file=sys.stderr)
    print(f"\n  Demo user: {EMAIL} / {PASSWORD} (admin of organisation '{ORG}', {len(photos)} photos classified)")
    print(f"  Invited:   {INVITEE} / {PASSWORD} (a pending invitation to '{ORG}' on the Account page)")

"""Housekeeping an attacker would look for: the trigger's cost for the server's own writes, what logs reveal,
how a sign-in outage answers, and whether the emulator shortcuts can switch on in production."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile import attack
from support import emulators
from support.emulators import wait_for

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_LOG = ROOT / ".cache" / "emulators.log"  # where scripts/stack.py writes the emulators' output


def test_the_servers_own_writes_are_skipped_before_anything_heavy_is_loaded():
    """Every stored copy (users/<uid>/images/...) fires the Storage trigger again; that run must not import the
    classify service, Pillow, the model runtime or build a client. Checked in a fresh interpreter."""
    script = """
import sys, time
from types import SimpleNamespace
from fruitclf.doors import cloud_functions
started = time.perf_counter()
cloud_functions.handle_storage_upload(SimpleNamespace(data=SimpleNamespace(name="users/u1/images/abc.jpg", bucket="b", generation=1)))
elapsed_ms = (time.perf_counter() - started) * 1000
heavy = [m for m in ("fruitclf.service.classify", "fruitclf.data.clients", "PIL.Image", "numpy", "firebase_admin", "google.cloud.firestore") if m in sys.modules]
print(heavy, round(elapsed_ms, 3))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT / "functions", capture_output=True, text=True, timeout=60, check=True
    )
    heavy, _elapsed_ms = result.stdout.strip().rsplit(" ", 1)
    assert heavy == "[]", f"the skipped event loaded {heavy}"


def _emulator_log_since(offset: int) -> str:
    return EMULATOR_LOG.read_text(errors="replace")[offset:] if EMULATOR_LOG.exists() else ""


@pytest.fixture
def emulator_log():
    if not EMULATOR_LOG.exists():
        pytest.skip(f"{EMULATOR_LOG} is written by scripts/stack.py; this stack was started another way")
    return len(EMULATOR_LOG.read_text(errors="replace"))


def test_logs_carry_uids_never_file_names_or_emails(emulator_log, admin, org):
    """What the running functions print (the emulators' log, as Cloud Logging would receive it)."""
    secret = f"holiday-in-{time.time_ns()}"
    someone = emulators.sign_up(email=f"{secret}@example.com")
    files = {"image": (f"{secret}-web.jpg", emulators.jpeg_bytes(), "image/jpeg")}
    assert attack.api("POST", "/classify", someone, files=files).status_code == 201
    assert (
        attack.storage_upload(someone, f"uploads/{someone.uid}/{secret}-phone.jpg", emulators.jpeg_bytes()).status_code
        == 200
    )
    assert (
        attack.storage_upload(someone, f"uploads/{someone.uid}/{secret}-broken.jpg", b"not an image").status_code == 200
    )
    assert (
        attack.api("PUT", f"/orgs/{org}/members", admin, json={"email": someone.email, "role": "member"}).status_code
        < 500
    )
    assert (
        attack.api("PUT", f"/orgs/{org}/members", admin, json={"email": f"nobody-{secret}@example.com"}).status_code
        < 500
    )
    wait_for(
        lambda: (
            len(emulators.user_documents(someone.uid)) == 2 and emulators.user_documents(someone.uid, "uploadErrors")
        )
    )
    logged = wait_for(lambda: (text := _emulator_log_since(emulator_log)).count(someone.uid) >= 3 and text)
    assert secret not in logged, [line for line in logged.splitlines() if secret in line][:3]


def _rs256_token(uid: str) -> str:
    """A token shaped like a production ID token (RS256, a key id): verifying it needs Google's certificates."""

    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{emulators.PROJECT}",
        "aud": emulators.PROJECT,
        "sub": uid,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
    }
    return f"{part({'alg': 'RS256', 'kid': 'k1', 'typ': 'JWT'})}.{part(claims)}.{part({'sig': 1})}"


def test_a_certificate_fetch_failure_is_503_not_500(monkeypatch, user):
    """Production verification (no Auth emulator) with Google's certificate URL pointed at a dead local port."""
    from firebase_admin import _token_gen

    from fruitclf.data import clients
    from fruitclf.web.app import create_app

    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST")
    monkeypatch.setattr(_token_gen, "ID_TOKEN_CERT_URI", "http://127.0.0.1:9/certs")
    clients.reset()  # the next admin app builds its token verifier with that URL
    try:
        response = (
            create_app().test_client().get("/api/me", headers={"Authorization": f"Bearer {_rs256_token(user.uid)}"})
        )
    finally:
        clients.reset()
    assert response.status_code == 503, response.get_json()
    assert response.get_json()["error"]["code"] == "unavailable"
    assert response.headers["Retry-After"]


EMULATOR_VARIABLES = (
    "FUNCTIONS_EMULATOR",
    "FIRESTORE_EMULATOR_HOST",
    "FIREBASE_AUTH_EMULATOR_HOST",
    "STORAGE_EMULATOR_HOST",
    "K_SERVICE",
    "K_CONFIGURATION",
)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, False),
        ({"FUNCTIONS_EMULATOR": "true", "K_SERVICE": "api", "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}, True),
        ({"FIRESTORE_EMULATOR_HOST": "127.0.0.1:8080"}, True),
        ({"FUNCTIONS_EMULATOR": "1"}, False),
        ({"K_SERVICE": "api", "K_CONFIGURATION": "api"}, False),
        ({"K_SERVICE": "api", "K_CONFIGURATION": "api", "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"}, "refused"),
        ({"K_SERVICE": "api", "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8080"}, "refused"),
        ({"K_SERVICE": "api", "K_CONFIGURATION": "api", "FUNCTIONS_EMULATOR": "true"}, "refused"),
    ],
    ids=[
        "nothing",
        "functions-emulator",
        "tools-against-emulators",
        "not-true",
        "deployed",
        "deployed-with-auth-host",
        "cloud-run-with-firestore-host",
        "deployed-claiming-emulator",
    ],
)
def test_emulator_shortcuts_turn_on_only_where_emulators_run(monkeypatch, environment, expected):
    from fruitclf.config import EmulatorSettingsInProduction, emulator_mode

    for name in EMULATOR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    if expected == "refused":
        with pytest.raises(EmulatorSettingsInProduction):
            emulator_mode()
    else:
        assert emulator_mode() is expected


def test_a_deployed_function_with_emulator_settings_accepts_no_unsigned_token(monkeypatch, app_client, user):  # noqa: F811
    """FIREBASE_AUTH_EMULATOR_HOST makes the admin SDK skip signatures: where Cloud Run's markers say this is a
    deployment, the app refuses to run in that mode instead of trusting a forged token."""
    monkeypatch.setenv("K_SERVICE", "api")
    monkeypatch.setenv("K_CONFIGURATION", "api")
    forged = emulators.unsigned_token(
        {**emulators.token_claims(user.token), "org": "someone-elses-org", "role": "admin"}
    )
    with attack.nothing_written(user):
        response = app_client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code >= 500 and response.get_json()["error"]["code"] == "internal"

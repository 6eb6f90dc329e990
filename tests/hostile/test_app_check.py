"""Firebase App Check, verified for real: the test makes an RSA key, serves its public half as a JWKS from a
local HTTP server, points APP_CHECK_JWKS_URL at it and runs the API in-process (against the emulators) with
enforcement on. Tokens are RS256 JWTs shaped exactly like App Check's; only the right ones get through."""

import dataclasses
import http.server
import io
import json
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from hostile import attack
from integration.inprocess import post_image
from support import emulators

NUMBER = "123456789012"
ISSUER = f"https://firebaseappcheck.googleapis.com/{NUMBER}"
AUDIENCE = [f"projects/{NUMBER}", f"projects/{emulators.PROJECT}"]


def _jwk(key, kid: str) -> dict:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "RS256", "use": "sig"}


@pytest.fixture(scope="module")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(signing_key):
    body = json.dumps({"keys": [_jwk(signing_key, "test-key")]}).encode()

    class KeySet(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), KeySet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1/jwks"
    server.shutdown()


def _client(**overrides):
    from fruitclf.config import Settings
    from fruitclf.data import clients
    from fruitclf.web.app import create_app

    clients.reset()
    return create_app(dataclasses.replace(Settings(), **overrides)).test_client()


@pytest.fixture
def enforcing(jwks_url):
    yield _client(app_check_enforce=True, project_number=NUMBER, app_check_jwks_url=jwks_url)


def token(key, kid="test-key", alg="RS256", **claims) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "1:123456789012:web:abc", "iat": now, "exp": now + 3600, **claims}
    payload = {name: value for name, value in payload.items() if value is not None}  # None: leave the claim out
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def test_a_valid_token_gets_through(enforcing, signing_key, user):
    headers = {**user.headers, "X-Firebase-AppCheck": token(signing_key)}
    response = enforcing.get("/api/me", headers=headers)
    assert response.status_code == 200 and response.get_json()["uid"] == user.uid
    form = {"image": (io.BytesIO(emulators.jpeg_bytes()), "p.jpg", "image/jpeg")}
    assert (
        enforcing.post("/api/classify", headers=headers, data=form, content_type="multipart/form-data").status_code
        == 201
    )


def _wrong_tokens(signing_key):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    return {
        "expired": token(signing_key, iat=now - 7200, exp=now - 3600),
        "wrong-audience": token(signing_key, aud=["projects/999", "projects/someone-else"]),
        "audience-without-project-id": token(signing_key, aud=[f"projects/{NUMBER}"]),
        "wrong-issuer": token(signing_key, iss="https://firebaseappcheck.googleapis.com/999"),
        "issuer-of-id-tokens": token(signing_key, iss=f"https://securetoken.google.com/{emulators.PROJECT}"),
        "other-key-same-kid": token(other_key),
        "unknown-kid": token(other_key, kid="not-in-the-set"),
        "hs256-with-public-key": jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 3600},
            b"not-the-key-but-a-shared-secret-of-length",
            algorithm="HS256",
            headers={"kid": "test-key", "typ": "JWT"},
        ),
        "alg-none": emulators.unsigned_token({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 3600}),
        "no-expiry": token(signing_key, exp=None),
        "garbage": "not.a.jwt",
        "an-id-token-instead": None,  # filled in with the user's own ID token
    }


WRONG = [
    "expired",
    "wrong-audience",
    "audience-without-project-id",
    "wrong-issuer",
    "issuer-of-id-tokens",
    "other-key-same-kid",
    "unknown-kid",
    "hs256-with-public-key",
    "alg-none",
    "no-expiry",
    "garbage",
    "an-id-token-instead",
]


@pytest.mark.parametrize("kind", WRONG)
def test_a_wrong_token_is_refused_and_writes_nothing(enforcing, signing_key, user, kind):
    bad = _wrong_tokens(signing_key)[kind] or user.token
    form = {"image": (io.BytesIO(emulators.jpeg_bytes()), "p.jpg", "image/jpeg")}
    with attack.nothing_written(user):
        response = enforcing.post(
            "/api/classify",
            headers={**user.headers, "X-Firebase-AppCheck": bad},
            data=form,
            content_type="multipart/form-data",
        )
    _assert_error(response, 401, "app-check-invalid")


def test_a_missing_token_is_refused(enforcing, user):
    with attack.nothing_written(user):
        response = post_image(enforcing, user)
    _assert_error(response, 401, "app-check-missing")


def test_health_and_model_stay_open(enforcing):
    assert enforcing.get("/api/health").status_code == 200
    assert enforcing.get("/api/model").status_code == 200


def test_off_by_default_no_token_is_needed(user):
    assert post_image(_client(), user).status_code == 201


def test_unreachable_keys_are_a_503_not_a_refusal(signing_key, user):
    client = _client(app_check_enforce=True, project_number=NUMBER, app_check_jwks_url="http://127.0.0.1:9/v1/jwks")
    response = client.get("/api/me", headers={**user.headers, "X-Firebase-AppCheck": token(signing_key)})
    _assert_error(response, 503, "unavailable")


def test_enforcement_without_a_project_number_fails_closed(signing_key, user, jwks_url):
    client = _client(app_check_enforce=True, project_number="", app_check_jwks_url=jwks_url)
    response = client.get("/api/me", headers={**user.headers, "X-Firebase-AppCheck": token(signing_key)})
    _assert_error(response, 503, "app-check-misconfigured")


def _assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == code

"""The stack is real: Hosting rewrites to the Python function, which trusts only Auth-emulator tokens."""

import time

import requests

from support import emulators
from support.emulators import API, HOSTING


def test_health_answers_through_the_hosting_rewrite():
    response = requests.get(f"{API}/health", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["model"], "the default model id is reported"


def test_function_url_without_the_api_prefix_reaches_the_same_routes():
    response = requests.get("http://127.0.0.1:5001/demo-fruit/us-central1/api/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_hosting_serves_the_spa_for_deep_links_without_caching_index():
    response = requests.get(f"{HOSTING}/history/some-id", timeout=10)
    assert response.status_code == 200
    assert "<html" in response.text.lower()
    assert response.headers.get("Cache-Control") == "no-cache"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


def test_unknown_api_route_is_a_json_404():
    response = requests.get(f"{API}/no-such-thing", timeout=10)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not-found"


def test_an_auth_emulator_token_is_accepted(user):
    response = requests.get(f"{API}/me", headers=user.headers, timeout=10)
    assert response.status_code == 200
    assert response.json()["uid"] == user.uid


def test_missing_token_is_refused_with_401_json():
    response = requests.get(f"{API}/me", timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_garbage_token_is_refused():
    response = requests.get(f"{API}/me", headers={"Authorization": "Bearer not.a.jwt"}, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid-token"


def test_token_for_another_project_is_refused(user):
    claims = emulators.token_claims(user.token)
    claims.update(aud="someone-elses-project", iss="https://securetoken.google.com/someone-elses-project")
    response = requests.get(
        f"{API}/me", headers={"Authorization": f"Bearer {emulators.unsigned_token(claims)}"}, timeout=10
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid-token"


def test_expired_token_is_refused(user):
    claims = emulators.token_claims(user.token)
    an_hour_ago = int(time.time()) - 3600
    claims.update(iat=an_hour_ago - 3600, auth_time=an_hour_ago - 3600, exp=an_hour_ago)
    response = requests.get(
        f"{API}/me", headers={"Authorization": f"Bearer {emulators.unsigned_token(claims)}"}, timeout=10
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token-expired"


def test_api_responses_carry_security_headers():
    response = requests.get(f"{API}/health", timeout=10)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"

"""The HTTP layer without Firebase: routing, the error envelope and headers."""

import pytest

from fruitclf.web.app import create_app


@pytest.fixture
def client():
    return create_app().test_client()


def test_unknown_route_and_wrong_method_use_the_error_envelope(client):
    missing = client.get("/api/nope")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not-found"
    wrong = client.put("/api/health")
    assert wrong.status_code == 405 and "PUT" in wrong.get_json()["error"]["message"]


@pytest.mark.parametrize("path", ["/api/me", "/api/classifications", "/api/stats"])
def test_private_endpoints_need_a_bearer_token(client, path):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthenticated"


def test_every_response_has_the_security_headers(client):
    response = client.get("/api/health")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_settings_passed_to_the_factory_replace_the_environment(monkeypatch):
    from fruitclf.config import Settings, settings

    monkeypatch.delenv("ALLOWED_ORIGINS", raising=False)
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    assert create_app().test_client().options("/api/classify", headers=preflight).status_code == 403
    custom = Settings(allowed_origins=("https://shop.example",))
    allowed = create_app(settings=custom).test_client().options("/api/classify", headers=preflight)
    assert allowed.status_code == 204 and allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert settings().allowed_origins == (), "only that app's requests see them"

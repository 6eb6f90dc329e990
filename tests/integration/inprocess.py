"""The function's Flask app run in-process against the emulators, for cases that need settings (or a failing
service) that differ from the shared stack's."""

import io

import pytest

from support import emulators


@pytest.fixture
def client_with():
    """Build the app in-process with settings of the test's own, as a deployment sets them (the environment
    for the rest): `client_with(rate_limit_per_minute=1000)` is a test client of that app."""
    from fruitclf.config import Settings
    from fruitclf.data import clients
    from fruitclf.web.app import create_app

    clients.reset()
    yield lambda **overrides: create_app(Settings(**overrides)).test_client()
    clients.reset()


@pytest.fixture
def app_client(client_with):
    return client_with()


def post_image(client, user, query: str = "", data: bytes | None = None):
    form = {"image": (io.BytesIO(data or emulators.jpeg_bytes()), "p.jpg", "image/jpeg")}
    return client.post(f"/api/classify{query}", headers=user.headers, data=form, content_type="multipart/form-data")

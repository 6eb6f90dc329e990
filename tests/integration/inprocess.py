"""The function's Flask app run in-process against the emulators, for cases that need settings (or a failing
service) that differ from the shared stack's."""

import io

import pytest

from support import emulators


@pytest.fixture
def app_client():
    from fruitclf.data import clients
    from fruitclf.web.app import create_app

    clients.reset()
    yield create_app().test_client()
    clients.reset()


def post_image(client, user, query: str = "", data: bytes | None = None):
    form = {"image": (io.BytesIO(data or emulators.jpeg_bytes()), "p.jpg", "image/jpeg")}
    return client.post(f"/api/classify{query}", headers=user.headers, data=form, content_type="multipart/form-data")

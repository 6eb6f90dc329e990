"""Integration tests run against the emulators that scripts/test starts (scripts/stack.py)."""

import pytest

from integration.inprocess import app_client, client_with  # noqa: F401 - the in-process app fixtures, for the tests here
from support import emulators
from support.stack_fixtures import admin, member, org, skip_when_stack_down, user  # noqa: F401 - shared fixtures


def pytest_collection_modifyitems(config, items):
    skip_when_stack_down(items, "integration")


@pytest.fixture
def other_user():
    return emulators.sign_up()


@pytest.fixture
def fruit_photo():
    """A real photo of a fruit (Debian's opencv-doc samples, fetched by scripts/fetch_test_photos.sh)."""
    from pathlib import Path

    found = sorted((Path(__file__).resolve().parents[2] / ".cache" / "test-photos").rglob("orange.jpg"))
    if not found:
        pytest.skip("no real fruit photo: scripts/fetch_test_photos.sh could not fetch Debian's opencv-doc")
    return found[0], "orange"


@pytest.fixture
def classified(user):
    """Classify `n` generated images for `user`; returns the API's documents, oldest first."""
    import requests

    def make(n: int = 1) -> list[dict]:
        docs = []
        for i in range(n):
            data = emulators.jpeg_bytes(color=(40 * i % 255, 180, 60))
            response = requests.post(
                f"{emulators.API}/classify",
                headers=user.headers,
                files={"image": ("p.jpg", data, "image/jpeg")},
                timeout=60,
            )
            assert response.status_code == 201, response.text
            docs.append(response.json())
        return docs

    return make

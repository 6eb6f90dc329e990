"""The headers the running Hosting emulator actually sends, per kind of path.

firebase.json matches paths with globs (production's regexes are RE2, which has no lookahead, so the rules are
arranged by glob instead: tests/unit/test_firebase_json.py). These tests pin the effect a browser sees: hashed
assets cached for a year, the app's documents revalidated and under the app's CSP, the API under its own.
"""

import json
import re
from pathlib import Path

import pytest
import requests

from support.emulators import HOSTING

ROOT = Path(__file__).resolve().parents[2]
HOSTING_HEADERS = json.loads((ROOT / "firebase.json").read_text())["hosting"]["headers"]
APP_CSP = next(h["value"] for rule in HOSTING_HEADERS for h in rule["headers"] if h["key"] == "Content-Security-Policy")
DOCUMENT_PATHS = ["/", "/index.html", "/history", "/classifications/abc123/details", "/favicon.svg", "/assetsx"]


def get(path: str) -> requests.Response:
    response = requests.get(f"{HOSTING}{path}", timeout=10)
    assert response.status_code == 200, (path, response.status_code)
    return response


@pytest.fixture(scope="module")
def asset_path() -> str:
    match = re.search(r'src="(/assets/[^"]+\.js)"', get("/").text)
    assert match, "the built index.html names no /assets/*.js script"
    return match.group(1)


def assert_every_response_hardened(response: requests.Response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", DOCUMENT_PATHS)
def test_app_documents_are_revalidated_and_carry_the_app_csp(path):
    response = get(path)
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Content-Security-Policy"] == APP_CSP
    assert_every_response_hardened(response)


def test_hashed_assets_are_immutable_for_a_year_without_a_document_csp(asset_path):
    response = get(asset_path)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Security-Policy" not in response.headers
    assert_every_response_hardened(response)


def test_api_keeps_its_own_no_store_and_deny_all_csp():
    response = get("/api/health")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert_every_response_hardened(response)

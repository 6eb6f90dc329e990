"""The headers the running Hosting emulator actually sends, per kind of path.

firebase.json has one base rule for every path but Hosting's reserved /__/ and specific rules after it, so its
meaning needs neither negated globs nor lookaheads (the rule order is tested in tests/unit/test_firebase_json.py).
These tests pin the effect a browser sees: hashed assets cached for a year, the app's documents revalidated and
under the app's CSP, the API under its own, and Hosting's own /__/ pages untouched.
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


def assert_every_response_hardened(response: requests.Response, referrer: str = "strict-origin-when-cross-origin"):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == referrer


@pytest.mark.parametrize("path", DOCUMENT_PATHS)
def test_app_documents_are_revalidated_and_carry_the_app_csp(path):
    response = get(path)
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Content-Security-Policy"] == APP_CSP
    assert_every_response_hardened(response)


def test_hashed_assets_are_immutable_for_a_year(asset_path):
    response = get(asset_path)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert_every_response_hardened(response)


def test_api_keeps_its_own_no_store_and_deny_all_csp():
    response = get("/api/health")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert_every_response_hardened(response, referrer="no-referrer")


def test_hostings_reserved_pages_carry_none_of_the_apps_headers():
    """Google sign-in frames /__/auth/iframe: the app's X-Frame-Options DENY or frame-ancestors 'none' would break it."""
    response = get("/__/firebase/init.json")
    assert "X-Frame-Options" not in response.headers
    assert "Content-Security-Policy" not in response.headers

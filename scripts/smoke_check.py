"""After a deploy: does the live site answer as a user's browser needs it to?

  smoke_check.py <site url>      e.g. https://<project>.web.app (scripts/deploy runs it last)

Checks the app's page (/ is the built index.html, whose script is served), /api/health through Hosting's rewrite
(the function runs and has its model), and the on-device model (/models/device.json and the .tflite it names,
whole). A function's first request after a deploy is a cold start, so each check is retried for a while before it
counts as failed. Exit 0 when all pass; otherwise 1, naming what failed.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable

import requests

ATTEMPTS = 6
PAUSE_SECONDS = 10
TIMEOUT_SECONDS = 30


class SmokeFailure(Exception):
    pass


def fetch(url: str) -> requests.Response:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise SmokeFailure(f"GET {url} failed: {type(error).__name__}") from error
    if response.status_code != 200:
        raise SmokeFailure(f"GET {url} answered {response.status_code}")
    return response


def check_app_page(base: str) -> str:
    page = fetch(f"{base}/")
    script = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
    if "text/html" not in page.headers.get("Content-Type", "") or not script:
        raise SmokeFailure(f"GET {base}/ is not the built web app (no /assets/*.js script)")
    fetch(f"{base}{script.group(1)}")
    return f"the app's page and its script {script.group(1)}"


def check_api(base: str) -> str:
    health = fetch(f"{base}/api/health").json()
    if health.get("status") != "ok" or not health.get("model"):
        raise SmokeFailure(f"GET {base}/api/health answered {health}: the function has no model")
    return f"the API (model {health['model']}, version {health.get('version')})"


def check_device_model(base: str) -> str:
    device = fetch(f"{base}/models/device.json").json()
    model = fetch(f"{base}{device['url']}")
    if len(model.content) != device["bytes"]:
        raise SmokeFailure(f"{device['url']} has {len(model.content)} bytes, device.json says {device['bytes']}")
    return f"the on-device model {device['url']} ({device['bytes']} bytes)"


CHECKS: list[Callable[[str], str]] = [check_app_page, check_api, check_device_model]


def run_check(check: Callable[[str], str], base: str, attempts: int, pause: float) -> str:
    for attempt in range(1, attempts + 1):
        try:
            return check(base)
        except (SmokeFailure, ValueError, KeyError) as error:
            if attempt == attempts:
                raise SmokeFailure(str(error)) from error
            time.sleep(pause)
    raise AssertionError("unreachable")


def smoke_check(base: str, attempts: int = ATTEMPTS, pause: float = PAUSE_SECONDS) -> list[str]:
    """The failures, one line each; empty when the site is healthy."""
    failures = []
    for check in CHECKS:
        try:
            print(f"smoke: ok: {run_check(check, base.rstrip('/'), attempts, pause)}")
        except SmokeFailure as failure:
            failures.append(str(failure))
            print(f"smoke: FAILED: {failure}", file=sys.stderr)
    return failures


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(1 if smoke_check(sys.argv[1]) else 0)

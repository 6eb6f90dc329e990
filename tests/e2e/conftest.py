"""Browser tests of the web app: Python Playwright driving Debian's Chromium against the Hosting emulator.

They run inside a stack run (scripts/test starts the emulators) and skip, with the reason, when Chromium,
the stack or the sample photos are missing. Screenshots of the main screens go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = os.environ.get("E2E_BASE_URL", "http://127.0.0.1:5000")
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHOTOS = ROOT / ".cache" / "test-photos"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install it (apt-get install chromium) to run the browser tests")
    try:
        requests.get(f"{BASE_URL}/api/health", timeout=5).raise_for_status()
    except requests.RequestException as error:
        pytest.skip(
            f"the app is not being served at {BASE_URL} ({error.__class__.__name__}): run scripts/test, which starts the emulators"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _page(browser, **context_options):
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    context = browser.new_context(base_url=BASE_URL, **context_options)
    context.set_default_timeout(20_000)
    return context, context.new_page()


@pytest.fixture
def page(browser):
    context, page = _page(browser, viewport=DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context, page = _page(browser, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield page
    context.close()


# Every nutrition panel on the page filled (an empty one removes itself).
NUTRITION_SETTLED = (
    "() => [...document.querySelectorAll('[data-testid=nutrition]')].every((panel) => panel.childElementCount > 0)"
)


@pytest.fixture
def screenshot():
    """screenshot(page, "name") saves test-artifacts/screenshots/name.png (the whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        # the nutrition table fills itself a moment after the card: wait for it, so that a screen looks the same
        # from one run to the next and a before/after comparison shows only what a change did
        page.wait_for_function(NUTRITION_SETTLED)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return take


AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def axe_violations():
    """axe_violations(page) -> the WCAG 2 A/AA rules the page breaks, as "rule: selectors" lines."""
    if not AXE.exists():
        pytest.skip(f"no {AXE}: run `npm ci` in frontend/ (scripts/bootstrap does)")

    def check(page) -> list[str]:
        # Evaluated, not added as a <script> tag: the app's Content-Security-Policy rightly blocks inline scripts.
        page.evaluate(AXE.read_text() + "\n;0")
        violations = page.evaluate(
            """() => axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] })
                .then((result) => result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`))"""
        )
        return violations

    return check


@pytest.fixture
def sample_photo(model_labels):
    """sample_photo("orange.jpg") -> the path of one of OpenCV's sample photos (Debian's opencv-doc, fetched by
    scripts/fetch_test_photos.sh); the test skips when it is absent or when there is no model to classify it."""

    def find(name: str) -> Path:
        found = sorted(PHOTOS.rglob(name))
        if not found:
            pytest.skip(
                f"no {name} under {PHOTOS}: scripts/fetch_test_photos.sh could not fetch Debian's opencv-doc samples"
            )
        return found[0]

    return find


@pytest.fixture(scope="session")
def model_labels(browser) -> list[str]:
    """The served model's labels; tests that classify skip when no model is installed in functions/models."""
    response = requests.get(f"{BASE_URL}/api/model", timeout=30)
    if response.status_code != 200:
        pytest.skip(
            f"no model to classify with (GET /api/model answered {response.status_code}): install one in functions/models"
        )
    return response.json()["labels"]


@pytest.fixture
def orange_photo(model_labels, sample_photo) -> Path:
    """A real photo of an orange (OpenCV's sample orange.jpg); the model's answer for it is "orange"."""
    assert "orange" in model_labels
    return sample_photo("orange.jpg")


@pytest.fixture
def credentials() -> tuple[str, str]:
    return f"web-{uuid.uuid4().hex[:10]}@example.com", "correct-horse-9"

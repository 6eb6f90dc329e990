"""What a person does in the web app, shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

# The first classification of a run loads the model in the functions emulator: allow for it.
CLASSIFY_TIMEOUT_MS = 90_000


def fill_credentials(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)


def sign_up(page: Page, email: str, password: str) -> None:
    page.goto("/")
    page.get_by_role("button", name="New here? Create an account").click()
    fill_credentials(page, email, password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Classify a fruit")).to_be_visible()


def sign_in(page: Page, email: str, password: str) -> None:
    """From the signed-out landing page."""
    fill_credentials(page, email, password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("link", name="Account").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="What fruit is that?")).to_be_visible()


def try_anonymously(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Just try it, no account needed").click()
    expect(page.get_by_role("heading", name="Classify a fruit")).to_be_visible()


def pick(page: Page, path) -> None:
    """What choosing a file in the picker does (the same path as a drop, a paste or the camera)."""
    page.get_by_test_id("picker").set_input_files(str(path))


def classify(page: Page, path) -> None:
    pick(page, path)
    expect(page.get_by_test_id("result")).to_be_visible(timeout=CLASSIFY_TIMEOUT_MS)


def upload_error(page: Page):
    return page.locator(".error-panel").get_by_role("alert")


def is_upload(request) -> bool:
    return request.url.endswith("/api/classify") and request.method == "POST"


def wait_until_held(page: Page, held: list, timeout_ms: int = 10_000) -> None:
    """The upload starts with the device's work; its route handler runs while Playwright waits."""
    for _ in range(timeout_ms // 50):
        if held:
            return
        page.wait_for_timeout(50)
    raise AssertionError("the upload never reached the test's route")


def both_answers(page: Page, photo) -> tuple[dict, dict]:
    """Picks the photo, holds the upload until the device has answered, then lets it through: (device, server)."""
    held = []
    page.route("**/api/classify", lambda route: held.append(route))
    pick(page, photo)
    device_card = page.get_by_test_id("device-result")
    expect(device_card).to_be_visible(timeout=CLASSIFY_TIMEOUT_MS)
    device = {
        "label": device_card.get_attribute("data-label"),
        "confidence": float(device_card.get_attribute("data-confidence")),
        "infer_ms": float(device_card.get_attribute("data-infer-ms")),
        "model": device_card.get_attribute("data-model-version"),
    }
    wait_until_held(page, held)
    with page.expect_response("**/api/classify") as response_info:
        held[0].continue_()
    page.unroute("**/api/classify")
    server = response_info.value.json()
    expect(page.get_by_test_id("result")).to_be_visible()
    expect(device_card).to_be_hidden()
    return device, server

"""The installable, offline web app: the service worker keeps the app, the model and the runtime; offline, a photo
is classified on the device and waits in IndexedDB, survives the tab closing, and reaches the history exactly once
when the network is back."""

from __future__ import annotations

import re

from actions import CLASSIFY_TIMEOUT_MS, is_upload, pick, sign_up, try_anonymously
from playwright.sync_api import Page, expect

# True once the service worker's device cache holds the model and LiteRT.js's WebAssembly.
DEVICE_CACHED = """async () => {
    const name = (await caches.keys()).find((key) => key.startsWith("fruit-device-"));
    if (!name) return false;
    const urls = (await (await caches.open(name)).keys()).map((request) => request.url);
    return urls.some((url) => url.endsWith("/model.tflite")) && urls.some((url) => url.endsWith(".wasm"));
}"""

QUEUED = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("fruit-offline");
    open.onsuccess = () => {
        const request = open.result.transaction("queue").objectStore("queue").count();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    };
    open.onerror = () => reject(open.error);
})"""


# When the one waiting photo was saved on this device (ISO 8601, as the queue keeps it).
QUEUED_AT = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("fruit-offline");
    open.onsuccess = () => {
        const request = open.result.transaction("queue").objectStore("queue").getAll();
        request.onsuccess = () => resolve(request.result.map((item) => item.createdAt));
        request.onerror = () => reject(request.error);
    };
    open.onerror = () => reject(open.error);
})"""


def history_items(page: Page):
    return page.locator(".history-list > li:not(.waiting-item)")


def test_the_app_is_installable(page: Page):
    page.goto("/")
    manifest = page.evaluate("() => fetch(document.querySelector('link[rel=manifest]').href).then((r) => r.json())")
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


STORED_PATHS = """async () => {
    const paths = [];
    for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) paths.push(new URL(request.url).pathname);
    }
    return paths;
}"""


def test_the_service_worker_never_stores_sign_in_pages_or_api_answers(page: Page):
    page.goto("/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.evaluate(
        """() => Promise.all(["/api/health", "/api/model", "/__/firebase/init.json", "/__/auth/iframe.js"]
            .map((path) => fetch(path).then((response) => response.text())))"""
    )
    # Google sign-in opens /__/auth/handler in a popup and /__/auth/iframe in a frame: navigations the worker must
    # leave to Firebase (it used to answer them, storing the answer as the app's own "/").
    for path in ("/__/auth/handler?apiKey=demo", "/__/auth/iframe"):
        assert not page.goto(path).from_service_worker, path
    page.goto("/")
    stored = page.evaluate(STORED_PATHS)
    assert "/__/firebase/init.json" in stored  # the offline start needs the project's config
    assert [path for path in stored if path.startswith(("/api/", "/__/auth/"))] == []


def test_offline_photo_survives_the_tab_closing_and_reaches_history_once(
    page: Page, credentials, orange_photo, screenshot
):
    context = page.context
    sign_up(page, *credentials)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    # loaded, not only stored: a read cut short by the reload below can make Chromium drop the cache entry
    expect(page.locator("html[data-device-model]")).to_have_count(1, timeout=CLASSIFY_TIMEOUT_MS)
    assert page.evaluate(DEVICE_CACHED)

    context.set_offline(True)
    page.reload()  # the app itself now comes from the service worker
    expect(page.get_by_role("heading", name="Classify a fruit")).to_be_visible()
    expect(page.get_by_text("You are offline. Photos are classified on this device")).to_be_visible()
    pick(page, orange_photo)
    device_card = page.get_by_test_id("device-result")
    expect(device_card.locator(".verdict-label")).to_have_text("Orange", timeout=CLASSIFY_TIMEOUT_MS)
    expect(device_card).to_contain_text("You are offline: the photo is saved here")
    assert page.evaluate(QUEUED) == 1
    page.get_by_role("link", name="History").click()
    waiting = page.get_by_role("region", name="Waiting to upload")
    expect(waiting.get_by_role("listitem")).to_have_count(1)
    expect(waiting).to_contain_text("Orange")
    screenshot(page, "history-waiting-offline")
    page.close()  # nothing is lost with the tab

    context.set_offline(False)
    page = context.new_page()
    page.goto("/history")
    expect(page.get_by_text("The photo you classified offline is now in your history.")).to_be_visible(
        timeout=CLASSIFY_TIMEOUT_MS
    )
    expect(history_items(page)).to_have_count(1)
    expect(history_items(page).first).to_contain_text(re.compile(r"Orange \d+%"))
    expect(page.get_by_role("region", name="Waiting to upload")).to_be_hidden()
    assert page.evaluate(QUEUED) == 0

    page.reload()  # and it stays one item: the queue does not upload it again
    expect(page.get_by_text("That is everything.")).to_be_visible()
    expect(history_items(page)).to_have_count(1)


def classified_offline_as_a_guest(page: Page, photo):
    """A guest whose device has its model goes offline and classifies PHOTO: the device's card, photo saved."""
    try_anonymously(page)
    expect(page.locator("html[data-device-model]")).to_have_count(1, timeout=CLASSIFY_TIMEOUT_MS)
    page.context.set_offline(True)
    pick(page, photo)
    device_card = page.get_by_test_id("device-result")
    expect(device_card).to_contain_text("You are offline: the photo is saved here", timeout=CLASSIFY_TIMEOUT_MS)
    return device_card


def test_the_offline_card_says_when_the_photo_was_saved_and_shows_the_servers_answer_once_uploaded(
    page: Page, orange_photo, screenshot
):
    device_card = classified_offline_as_a_guest(page, orange_photo)
    [saved_at] = page.evaluate(QUEUED_AT)

    with page.expect_response(lambda response: is_upload(response.request)) as response_info:
        page.context.set_offline(False)
    server = response_info.value.json()
    card = page.get_by_test_id("result")
    expect(card).to_be_visible(timeout=CLASSIFY_TIMEOUT_MS)
    expect(device_card).to_have_count(0)
    expect(card).to_have_attribute("data-label", server["label"])
    expect(card.locator(".verdict-label")).to_have_text("Orange")
    expect(card).not_to_contain_text("You are offline")
    expect(card).to_contain_text("Saved on this device")
    expect(card.locator(f'time[datetime="{saved_at}"]')).not_to_be_empty()
    expect(card.get_by_role("group", name="Feedback on this answer")).to_be_visible()  # the server's, so it has an id
    screenshot(page, "classify-offline-uploaded")


def test_a_waiting_photo_whose_upload_fails_is_tried_again_until_the_server_has_it(page: Page, orange_photo):
    classified_offline_as_a_guest(page, orange_photo)

    # The first upload after reconnecting meets a server error (what a cold start or a dropped connection gives).
    failed = []

    def fail_the_first_upload(route):
        if failed:
            route.fallback()
            return
        failed.append(route.request.headers.get("idempotency-key"))
        route.fulfill(status=503, json={"error": {"code": "unavailable", "message": "Try again shortly."}})

    page.route("**/api/classify", fail_the_first_upload)
    with page.expect_response(lambda response: is_upload(response.request) and response.ok) as response_info:
        page.context.set_offline(False)
    assert len(failed) == 1 and failed[0], "the first try carried the photo's Idempotency-Key and failed"
    assert response_info.value.request.headers.get("idempotency-key") == failed[0]  # the same photo, tried again
    expect(page.get_by_test_id("result")).to_be_visible(timeout=CLASSIFY_TIMEOUT_MS)
    assert page.evaluate(QUEUED) == 0

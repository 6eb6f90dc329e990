"""Batch: many photos at once, per-file progress, a results table, retry of failed files, a CSV, and the
server's rate limit met with one message and a pause instead of a wall of errors."""

from __future__ import annotations

import csv
import io
import json
import re

from actions import CLASSIFY_TIMEOUT_MS, is_upload, sign_up
from playwright.sync_api import Page, expect

RATE_LIMITED = {
    "status": 429,
    "headers": {"Retry-After": "2", "Content-Type": "application/json"},
    "body": '{"error": {"code": "rate-limited", "message": "Too many requests: you may classify 60 images a minute. Try again in 2 s."}}',
}


def open_batch(page: Page, credentials) -> None:
    sign_up(page, *credentials)
    page.get_by_role("link", name="Batch").click()
    expect(page.get_by_role("heading", name="Classify many photos")).to_be_visible()


def rows(page: Page):
    return page.get_by_test_id("batch-row")


def test_a_batch_pauses_at_the_rate_limit_retries_failures_and_downloads_a_csv(
    page: Page, credentials, sample_photo, orange_photo, tmp_path, screenshot
):
    photos = [orange_photo, sample_photo("apple.jpg"), sample_photo("fruits.jpg"), sample_photo("building.jpg")]
    fake = tmp_path / "notes.jpg"
    fake.write_text("not really a photo")
    calls = {"n": 0, "busy_once": False}

    def server(route):
        calls["n"] += 1
        body = route.request.post_data_buffer or b""
        if calls["n"] == 2:
            route.fulfill(**RATE_LIMITED)  # the API's own 429, replayed: 61 real uploads would be slow
        elif b'filename="building.jpg"' in body and not calls["busy_once"]:
            calls["busy_once"] = True
            route.fulfill(
                status=503,
                content_type="application/json",
                body='{"error": {"code": "unavailable", "message": "The service is busy."}}',
            )
        else:
            route.continue_()

    open_batch(page, credentials)
    page.route("**/api/classify", server)
    page.get_by_test_id("batch-picker").set_input_files([str(p) for p in photos + [fake]])
    expect(rows(page)).to_have_count(5)
    banner = page.get_by_role("alert").filter(has_text="limit on photos per minute")
    expect(banner).to_be_visible(timeout=CLASSIFY_TIMEOUT_MS)
    expect(banner).to_have_count(1)  # one message for the batch, not one error per photo
    expect(banner).to_contain_text(re.compile(r"continue by themselves in [12] s\.$"))
    screenshot(page, "batch-paused")
    summary = page.locator(".batch-summary")
    expect(summary).to_have_text("3 of 5 done, 2 failed.", timeout=CLASSIFY_TIMEOUT_MS)
    expect(banner).to_be_hidden()
    orange_row = rows(page).filter(has_text="orange.jpg")
    expect(orange_row).to_contain_text("Orange")
    expect(orange_row).to_contain_text("Done")
    expect(orange_row.locator("img")).to_have_count(1)
    expect(rows(page).filter(has_text="building.jpg")).to_contain_text("Failed")
    expect(rows(page).filter(has_text="notes.jpg")).to_contain_text("Failed")
    screenshot(page, "batch")

    with page.expect_request(is_upload):
        page.get_by_role("button", name="Retry failed photos").click()
    expect(summary).to_have_text("4 of 5 done, 1 failed.", timeout=CLASSIFY_TIMEOUT_MS)
    expect(rows(page).filter(has_text="building.jpg")).to_contain_text("Not a fruit")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    table = list(csv.DictReader(io.StringIO(download_info.value.path().read_text())))
    assert [row["file"] for row in table] == ["orange.jpg", "apple.jpg", "fruits.jpg", "building.jpg", "notes.jpg"]
    by_file = {row["file"]: row for row in table}
    assert by_file["orange.jpg"]["label"] == "orange" and by_file["orange.jpg"]["answered_by"] == "server"
    assert by_file["orange.jpg"]["classification_id"]
    assert by_file["building.jpg"]["not_sure"] == "yes"
    assert by_file["notes.jpg"]["label"] == "" and by_file["notes.jpg"]["error"]


def test_a_batch_takes_fifty_photos_and_says_what_it_left_out(page: Page, credentials, orange_photo, tmp_path):
    canned = {
        "id": "c1",
        "label": "orange",
        "confidence": 0.9,
        "topk": [{"label": "orange", "p": 0.9}],
        "abstained": False,
        "modelVersion": "test",
    }
    open_batch(page, credentials)
    page.route(
        "**/api/classify",
        lambda route: route.fulfill(status=201, content_type="application/json", body=json.dumps(canned)),
    )
    copies = []
    for index in range(52):
        copy = tmp_path / f"orange-{index:02d}.jpg"
        copy.write_bytes(orange_photo.read_bytes())
        copies.append(str(copy))
    page.get_by_test_id("batch-picker").set_input_files(copies)
    expect(page.get_by_text("A batch holds 50 photos: 2 of them were not added")).to_be_visible()
    expect(rows(page)).to_have_count(50)
    expect(page.locator(".batch-summary")).to_have_text("50 of 50 done.", timeout=CLASSIFY_TIMEOUT_MS)

"""The web app end to end: what a person does in the browser, against the real API on the emulators."""

from __future__ import annotations

import re

import pytest
import requests
from actions import (
    CLASSIFY_TIMEOUT_MS,
    classify,
    fill_credentials,
    is_upload,
    pick,
    sign_in,
    sign_out,
    sign_up,
    try_anonymously,
    upload_error,
)
from playwright.sync_api import Page, expect

# A 64x64 PNG made in the page, wrapped as a File in a DataTransfer, the way a paste or a drop delivers it.
MAKE_TRANSFER = """async () => {
    const canvas = Object.assign(document.createElement("canvas"), { width: 64, height: 64 });
    canvas.getContext("2d").fillRect(0, 0, 32, 32);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const transfer = new DataTransfer();
    transfer.items.add(new File([blob], "clip.png", { type: "image/png" }));
    return transfer;
}"""


def test_signed_out_visitors_see_what_the_product_does(page: Page, screenshot):
    page.goto("/")
    expect(page.get_by_role("heading", name="What fruit is that?")).to_be_visible()
    expect(page.get_by_role("button", name="Continue with Google")).to_be_visible()
    expect(page.get_by_role("button", name="Just try it, no account needed")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    screenshot(page, "landing")


def test_google_sign_in_on_the_auth_emulator(page: Page):
    # Firebase's popup flow loads Google's iframe loader from apis.google.com, even on the emulator.
    try:
        requests.head("https://apis.google.com/js/api.js", timeout=5)
    except requests.RequestException:
        pytest.skip(
            "Google sign-in needs https://apis.google.com (the SDK's popup loader), which this machine cannot reach"
        )
    page.goto("/")
    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Continue with Google").click()
    popup = popup_info.value
    # the Auth emulator's stand-in for Google's account chooser
    popup.locator("#add-account-button").click()
    popup.locator("#autogen-button").click()
    popup.locator("#sign-in").click()
    expect(page.get_by_role("heading", name="Classify a fruit")).to_be_visible()
    page.get_by_role("link", name="Account").click()
    expect(page.locator(".facts")).to_contain_text("@")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_password_reset_is_sent(page: Page, credentials):
    email, password = credentials
    sign_up(page, email, password)
    sign_out(page)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Forgot your password?").click()
    expect(page.get_by_role("alert")).to_have_text(f"If an account exists for {email}, a reset link is on its way.")


def test_wrong_password_is_explained(page: Page, credentials):
    email, password = credentials
    sign_up(page, email, password)
    sign_out(page)
    sign_in(page, email, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")


def test_sign_up_classify_give_feedback_then_see_it_in_history_and_dashboard(
    page: Page, credentials, orange_photo, screenshot, axe_violations
):
    sign_up(page, *credentials)
    classify(page, orange_photo)

    result = page.get_by_test_id("result")
    expect(result.locator(".verdict-label")).to_have_text("Orange")
    expect(result.get_by_role("list", name="Top guesses").get_by_role("listitem")).to_have_count(3)
    expect(result).to_contain_text(re.compile(r"Model \S+ · took \d+\.\d\d s"))
    expect(page.get_by_role("img", name="Your photo: orange.jpg")).to_be_visible()
    screenshot(page, "classify-result")
    assert axe_violations(page) == [], "the result card"

    result.get_by_role("button", name="Yes, correct").click()
    expect(result).to_contain_text("You confirmed this answer.")

    page.get_by_role("link", name="History").click()
    item = page.locator(".history-item").first
    expect(item).to_contain_text("Orange")
    expect(item).to_contain_text("You confirmed this answer.")
    expect(item.get_by_role("img")).to_have_attribute("src", re.compile(r"^blob:"))
    screenshot(page, "history")

    page.get_by_role("link", name="Dashboard").click()
    mine = page.get_by_test_id("stats-mine")
    expect(mine.locator(".tile", has_text="Classified").locator("dd")).to_have_text("1")
    expect(mine.locator(".tile", has_text="Accuracy").locator("dd")).to_have_text("100% of 1")
    expect(mine.locator("canvas")).to_have_count(4)
    mine.get_by_text("Show as a table").first.click()
    expect(mine.get_by_role("row", name="Orange 1")).to_be_visible()
    screenshot(page, "dashboard")
    assert axe_violations(page) == [], "the dashboard with charts"


def test_the_second_opinion_button_shows_only_with_the_feature(page: Page, credentials, orange_photo):
    from support import emulators

    # /api/me lists the feature only where a vision model is configured (not on a bare emulator)
    features = requests.get(f"{emulators.API}/me", headers=emulators.sign_up().headers, timeout=30).json()["features"]
    sign_up(page, *credentials)
    classify(page, orange_photo)
    button = page.get_by_role("button", name="Ask for a second opinion")
    if "second_opinion" not in features:
        expect(button).to_have_count(0)
        return
    button.click()
    expect(page.get_by_test_id("result").get_by_role("region", name="Second opinion")).to_be_visible()


def test_a_photo_without_fruit_gets_a_clear_not_sure(page: Page, credentials, sample_photo, screenshot):
    building = sample_photo("building.jpg")
    sign_up(page, *credentials)
    classify(page, building)
    result = page.get_by_test_id("result")
    expect(result.locator(".verdict-label")).to_have_text(re.compile(r"^(Not a fruit|Not sure)$"))
    expect(result).to_contain_text("Try a closer, well-lit photo of a single fruit.")
    expect(result.get_by_text(re.compile(r"^(Is it really not a fruit\?|Do you know what it is\?)$"))).to_be_visible()
    screenshot(page, "classify-not-sure")


def test_history_loads_more_as_you_scroll(page: Page, model_labels):
    from support import emulators

    user = emulators.sign_up()
    for shade in range(21):  # one more than a page of 20
        image = emulators.jpeg_bytes(size=(64, 64), color=(10 * shade, 120, 40))
        response = requests.post(
            f"{emulators.API}/classify",
            headers=user.headers,
            files={"image": ("p.jpg", image, "image/jpeg")},
            timeout=60,
        )
        assert response.status_code == 201, response.text
    page.goto("/")
    sign_in(page, user.email, user.password)
    page.get_by_role("link", name="History").click()
    items = page.locator(".history-item")
    expect(items).to_have_count(20)
    items.last.scroll_into_view_if_needed()
    expect(items).to_have_count(21)
    expect(page.get_by_text("That is everything.")).to_be_visible()


def test_correcting_an_answer_from_history(page: Page, credentials, orange_photo):
    sign_up(page, *credentials)
    classify(page, orange_photo)
    page.get_by_role("link", name="History").click()
    item = page.locator(".history-item").first
    item.get_by_role("button", name="No, it is…").click()
    item.get_by_label("It is actually").select_option("apple")
    item.get_by_role("button", name="Save correction").click()
    expect(item).to_contain_text("You said it is: Apple.")


def test_deleting_from_history(page: Page, credentials, orange_photo):
    sign_up(page, *credentials)
    classify(page, orange_photo)
    page.get_by_role("link", name="History").click()
    item = page.locator(".history-item").first
    item.get_by_role("button", name=re.compile(r"^Delete Orange")).click()
    item.get_by_role("button", name="Yes, delete").click()
    expect(page.locator(".history-item")).to_have_count(0)
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()


def test_a_big_photo_is_downscaled_to_1024_px_before_upload(page: Page, tmp_path):
    from PIL import Image

    big = tmp_path / "big.png"
    Image.linear_gradient("L").resize((2400, 1600)).convert("RGB").save(big)
    try_anonymously(page)
    with page.expect_request(is_upload):
        pick(page, big)
    # the preview shows the very blob that is uploaded
    preview = page.get_by_role("img", name="Your photo: big.png")
    expect(preview).to_have_js_property("naturalWidth", 1024)
    expect(preview).to_have_js_property("naturalHeight", 683)
    assert preview.evaluate("img => fetch(img.src).then(r => r.blob()).then(b => b.type)") == "image/jpeg"


def test_pasting_an_image_uploads_it(page: Page):
    try_anonymously(page)
    transfer = page.evaluate_handle(MAKE_TRANSFER)
    with page.expect_request(is_upload):
        page.evaluate(
            "transfer => document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer }))", transfer
        )
    expect(page.get_by_role("img", name="Your photo: clip.png")).to_be_visible()


def test_dropping_an_image_uploads_it(page: Page):
    try_anonymously(page)
    transfer = page.evaluate_handle(MAKE_TRANSFER)
    dropzone = page.get_by_test_id("dropzone")
    dropzone.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(dropzone).to_have_class(re.compile(r"\bdragging\b"))
    with page.expect_request(is_upload):
        dropzone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(dropzone).not_to_have_class(re.compile(r"\bdragging\b"))
    expect(page.get_by_role("img", name="Your photo: clip.png")).to_be_visible()


def test_a_rate_limited_upload_says_when_to_retry_and_counts_down(page: Page, tmp_path, screenshot):
    from PIL import Image

    photo_path = tmp_path / "small.jpg"
    Image.linear_gradient("L").convert("RGB").save(photo_path)
    try_anonymously(page)
    # the API's 429 as it sends it; 61 real uploads in a minute would make a slow test
    page.route(
        "**/api/classify",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "2", "Content-Type": "application/json"},
            body='{"error": {"code": "rate-limited", "message": "Too many requests: you may classify 60 images a minute. Try again in 2 s."}}',
        ),
    )
    pick(page, photo_path)
    expect(upload_error(page)).to_contain_text("Too many requests")
    expect(upload_error(page)).to_contain_text("Try again in 2 seconds.")
    retry = page.locator(".error-panel").get_by_role("button", name=re.compile(r"^Try again"))
    expect(retry).to_be_disabled()
    expect(retry).to_have_text(re.compile(r"^Try again in [12] s$"))
    screenshot(page, "classify-rate-limited")
    expect(retry).to_be_enabled(timeout=5_000)
    expect(retry).to_have_text("Try again")


def test_a_file_over_the_limit_that_cannot_be_shrunk_is_refused_with_the_limit(page: Page, tmp_path):
    heic = tmp_path / "IMG_0001.heic"  # browsers cannot decode HEIC, so it cannot be downscaled on the device
    heic.write_bytes(b"\0" * (11 * 1024 * 1024))
    try_anonymously(page)
    pick(page, heic)
    expect(upload_error(page)).to_contain_text("This image is too large")
    expect(upload_error(page)).to_contain_text(
        "The limit is 10 MB per image. Accepted formats: JPEG, PNG, WebP or HEIC."
    )


def test_offline_is_said_and_the_photo_uploads_once_back_online(page: Page, tmp_path, screenshot):
    from PIL import Image

    photo = tmp_path / "small.jpg"
    Image.linear_gradient("L").convert("RGB").save(photo)
    try_anonymously(page)
    page.context.set_offline(True)
    expect(page.get_by_text("You are offline. Photos are classified on this device")).to_be_visible()
    pick(page, photo)
    expect(page.locator(".result-slot")).to_contain_text("You are offline")
    screenshot(page, "offline")

    with page.expect_request(is_upload):
        page.context.set_offline(False)
    expect(page.get_by_text("You are offline. Photos are classified on this device")).to_be_hidden()
    expect(page.get_by_text("The photo you classified offline is now in your history.")).to_be_visible()


def test_a_slow_upload_shows_its_progress(page: Page, orange_photo):
    try_anonymously(page)
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    # 15 KB/s: about 3 s for the photo's 50 KB
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 50, "downloadThroughput": 1_000_000, "uploadThroughput": 15_000},
    )
    pick(page, orange_photo)
    expect(page.get_by_role("progressbar", name="Upload progress")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Uploading… [1-9]\d?%$"))).to_be_visible()
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    expect(page.get_by_test_id("result")).to_be_visible(timeout=CLASSIFY_TIMEOUT_MS)
    expect(page.get_by_role("progressbar", name="Upload progress")).to_be_hidden()


def test_a_file_that_is_not_an_image_is_refused_with_the_accepted_formats(page: Page, tmp_path, screenshot):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: apples, pears")
    try_anonymously(page)
    pick(page, notes)
    expect(upload_error(page)).to_contain_text("This file is not an image we can read")
    expect(upload_error(page)).to_contain_text("“notes.txt” is not a photo we can read.")
    expect(upload_error(page)).to_contain_text("Accepted formats: JPEG, PNG, WebP or HEIC, up to 10 MB.")
    screenshot(page, "refused-file")


def test_a_fake_jpeg_is_refused_by_the_server_with_its_message(page: Page, tmp_path):
    fake = tmp_path / "holiday.jpg"
    fake.write_text("this is text pretending to be a photo")
    try_anonymously(page)
    pick(page, fake)
    expect(upload_error(page)).to_contain_text("This file is not an image we can read")
    expect(upload_error(page)).to_contain_text("Accepted formats")
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)


def test_anonymous_upgrade_keeps_history(page: Page, credentials, orange_photo):
    email, password = credentials
    try_anonymously(page)
    expect(page.get_by_text("You are trying the app as a guest.")).to_be_visible()
    classify(page, orange_photo)
    expect(page.get_by_test_id("result").locator(".verdict-label")).to_have_text("Orange")

    page.get_by_role("link", name="Save your account").click()
    fill_credentials(page, email, password)
    page.get_by_role("button", name="Save my account").click()

    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.locator(".history-item")).to_have_count(1)
    expect(page.locator(".history-item").first).to_contain_text("Orange")
    expect(page.get_by_text("You are trying the app as a guest.")).to_have_count(0)

    # the upgraded account is a real one: a fresh sign-in with the new password finds the same history
    page.get_by_role("link", name="Account").click()
    expect(page.locator(".facts")).to_contain_text(email)
    sign_out(page)
    sign_in(page, email, password)
    page.get_by_role("link", name="History").click()
    expect(page.locator(".history-item")).to_have_count(1)


def test_org_admins_see_their_org_and_the_operations_figures(page: Page, screenshot):
    from support import emulators

    admin = emulators.sign_up()
    org_id = emulators.make_org()
    emulators.set_claims(admin.uid, {"org": org_id, "role": "admin"})
    page.goto("/")
    sign_in(page, admin.email, admin.password)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name=f"Organisation: {org_id}")).to_be_visible()
    ops = page.get_by_test_id("stats-ops")
    expect(ops.get_by_role("heading", name="Operations")).to_be_visible()
    expect(ops.locator(".tile", has_text="Error rate")).to_be_visible()
    expect(ops.get_by_role("img", name="Latency percentiles (ms)")).to_be_visible()
    screenshot(page, "dashboard-org-admin")


def test_phone_viewport(phone_page: Page, credentials, orange_photo, screenshot):
    page = phone_page
    page.goto("/")
    screenshot(page, "phone-landing")
    sign_up(page, *credentials)
    expect(page.get_by_role("button", name="Take a photo")).to_be_visible()
    classify(page, orange_photo)
    expect(page.get_by_test_id("result").locator(".verdict-label")).to_have_text("Orange")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the classify page scrolls sideways on a phone"
    screenshot(page, "phone-classify")
    page.get_by_role("link", name="History").click()
    expect(page.locator(".history-item")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the history page scrolls sideways on a phone"
    screenshot(page, "phone-history")


def test_main_screens_meet_wcag_aa_by_axe(page: Page, credentials, tmp_path, axe_violations):
    page.goto("/")
    expect(page.get_by_role("heading", name="What fruit is that?")).to_be_visible()
    assert axe_violations(page) == [], "landing"
    sign_up(page, *credentials)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    pick(page, notes)
    expect(upload_error(page)).to_be_visible()
    assert axe_violations(page) == [], "classify, with an error"
    for name in ("History", "Dashboard", "Account"):
        page.get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
        assert axe_violations(page) == [], name


def test_keyboard_only_reaches_the_photo_picker(page: Page, credentials):
    sign_up(page, *credentials)
    choose = page.get_by_role("button", name="Choose a photo")
    for _ in range(12):
        page.keyboard.press("Tab")
        if choose.evaluate("element => element === document.activeElement"):
            break
    expect(choose).to_be_focused()
    outline = choose.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none", "the focused button shows no focus ring"

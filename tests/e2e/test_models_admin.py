"""The web app's section for an organisation's own models (admins only): upload a version's three files to Cloud
Storage with progress, follow the validation report until the validation function decides, then pin, roll out
to a share of users, stop, pin another and roll back, each seen on screen and in Firestore."""

from __future__ import annotations

import json

import pytest
import requests
from actions import sign_in
from playwright.sync_api import Page, expect

from support import emulators
from support import org_models as om
from support import tflite_models as tm

LABELS = ["red-apple", "green-pear", "blue-plum"]
VALIDATION_TIMEOUT_MS = 120_000  # the validation function's child process, on a busy machine
# Every change to the page's progress text, recorded from the first upload on.
RECORD_PROGRESS = """() => {
  window.progressSeen = [];
  new MutationObserver(() => {
    const text = document.querySelector(".upload-progress span")?.textContent;
    if (text && text !== window.progressSeen.at(-1)) window.progressSeen.push(text);
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


@pytest.fixture
def org_admin(browser):
    org_id = emulators.make_org()
    return org_id, emulators.join_org(emulators.sign_up(), org_id, "admin")


def version_files(tmp_path, name: str, model: bytes, labels=LABELS):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "model.tflite").write_bytes(model)
    (folder / "labels.txt").write_text("\n".join(labels) + "\n")
    (folder / "card.json").write_text(json.dumps(om.card(name=f"Tiny {name}")))
    return folder


def add_version(page: Page, folder, version: str, notes: str = "") -> None:
    form = page.get_by_role("form", name="Add a version")
    form.get_by_label("Version").fill(version)
    form.get_by_label("Model (.tflite)").set_input_files(str(folder / "model.tflite"))
    form.get_by_label("Labels (labels.txt, one a line)").set_input_files(str(folder / "labels.txt"))
    form.get_by_label("Card (card.json)").set_input_files(str(folder / "card.json"))
    form.get_by_label("Notes (optional)").fill(notes)
    form.get_by_role("button", name="Upload and validate").click()
    expect(form.get_by_role("status")).to_contain_text(f"{version} is registered")


def give_feedback(user, classification_id: str, body: dict) -> requests.Response:
    return requests.post(
        f"{emulators.API}/classifications/{classification_id}/feedback", json=body, headers=user.headers, timeout=60
    )


def open_models_page(page: Page, admin) -> None:
    page.goto("/")
    sign_in(page, admin.email, admin.password)
    page.get_by_role("link", name="Models").click()


def version_card(page: Page, version: str):
    return page.locator(f'[data-testid="model-version"][data-version="{version}"]')


def org_doc(org_id: str) -> dict:
    return emulators.firestore().document("orgs", org_id).get().to_dict()


def test_an_admin_uploads_validates_pins_rolls_out_and_rolls_back(
    page: Page, org_admin, tmp_path, screenshot, axe_violations
):
    org_id, admin = org_admin
    open_models_page(page, admin)
    expect(page.get_by_role("heading", name="Models", exact=True)).to_be_visible()
    expect(page.get_by_test_id("model-pinned")).to_have_text("Pinned: none (the shipped model your organisation chose)")

    page.evaluate(RECORD_PROGRESS)
    add_version(page, version_files(tmp_path, "v1", tm.classifier(classes=3)), "v1", notes="our three fruits")
    progress = page.evaluate("window.progressSeen")
    assert progress and progress[-1].startswith("100%"), progress
    v1 = version_card(page, "v1")
    expect(v1).to_have_attribute("data-status", "ready", timeout=VALIDATION_TIMEOUT_MS)
    report = v1.locator("details")
    expect(report).to_have_attribute("open", "")  # the version just uploaded shows its report
    for check in ("size", "labels", "ops", "input", "output", "loads", "outputs", "latency"):
        expect(report.locator(f'tr[data-check="{check}"] td').first).to_have_text("Passed")
    expect(v1).to_contain_text("our three fruits")
    stored = om.version_doc(org_id, "v1")
    assert stored["uploadedBy"]["uid"] == admin.uid and stored["notes"] == "our three fruits"
    assert not list(emulators.bucket().list_blobs(prefix=f"orgs/{org_id}/models/uploads/"))

    add_version(page, version_files(tmp_path, "v2", tm.classifier(classes=3, bias=0.5)), "v2")
    expect(version_card(page, "v2")).to_have_attribute("data-status", "ready", timeout=VALIDATION_TIMEOUT_MS)
    # two outputs for three labels: the report says which check failed and why
    add_version(page, version_files(tmp_path, "bad", tm.classifier(classes=2)), "bad")
    bad = version_card(page, "bad")
    expect(bad).to_have_attribute("data-status", "rejected", timeout=VALIDATION_TIMEOUT_MS)
    expect(bad.locator('tr[data-check="output"] td').first).to_have_text("Failed")
    expect(bad.get_by_role("list", name="Why it was rejected")).to_contain_text("output")
    expect(bad.get_by_role("button", name="Pin bad")).to_have_count(0)
    screenshot(page, "models-admin")
    assert axe_violations(page) == []

    v1.get_by_role("button", name="Pin v1").click()
    expect(page.get_by_test_id("model-pinned")).to_have_text("Pinned: v1")
    assert org_doc(org_id)["modelVersion"] == "v1"

    v2 = version_card(page, "v2")
    v2.get_by_label("Share of users (%)").fill("30")
    v2.get_by_role("button", name="Roll out").click()
    expect(page.get_by_test_id("model-rollout")).to_contain_text("v2 to 30% of your users")
    assert org_doc(org_id)["modelRollout"] == {"version": "v2", "share": 30}
    page.get_by_role("button", name="Stop the rollout").click()
    expect(page.get_by_test_id("model-rollout")).to_have_count(0)
    assert not org_doc(org_id).get("modelRollout")

    version_card(page, "v2").get_by_role("button", name="Pin v2").click()
    expect(page.get_by_test_id("model-pinned")).to_have_text("Pinned: v2")
    page.get_by_role("button", name="Roll back to v1").click()
    expect(page.get_by_test_id("model-pinned")).to_have_text("Pinned: v1")
    assert org_doc(org_id)["modelVersion"] == "v1"

    # What serves nobody can be deleted (asked twice); what serves anyone offers no delete at all.
    expect(version_card(page, "v1").get_by_role("button", name="Delete version v1")).to_have_count(0)
    bad = version_card(page, "bad")
    bad.get_by_role("button", name="Delete version bad").click()
    bad.get_by_role("button", name="Yes, delete").click()
    expect(version_card(page, "bad")).to_have_attribute("data-status", "deleted")
    assert om.version_doc(org_id, "bad")["status"] == "deleted"
    assert not emulators.bucket().blob(f"orgs/{org_id}/models/versions/bad/model.tflite").exists()


def test_a_refused_registration_is_explained_on_the_form(page: Page, org_admin, tmp_path):
    org_id, admin = org_admin
    om.upload(org_id, "v1", LABELS)
    assert om.register(admin, org_id, "v1").status_code == 202
    open_models_page(page, admin)
    form = page.get_by_role("form", name="Add a version")
    form.get_by_label("Version").fill("v1")
    folder = version_files(tmp_path, "again", tm.classifier(classes=3))
    for label, file in (
        ("Model (.tflite)", "model.tflite"),
        ("Labels (labels.txt, one a line)", "labels.txt"),
        ("Card (card.json)", "card.json"),
    ):
        form.get_by_label(label).set_input_files(str(folder / file))
    form.get_by_role("button", name="Upload and validate").click()
    expect(form.get_by_role("alert")).to_contain_text("Version 'v1' exists; versions never change.")


def test_members_have_no_models_section(page: Page, org_admin):
    org_id, _admin = org_admin
    member = emulators.join_org(emulators.sign_up(), org_id, "member")
    page.goto("/")
    sign_in(page, member.email, member.password)
    expect(page.get_by_role("heading", name="Classify a fruit")).to_be_visible()
    expect(page.get_by_role("link", name="Models")).to_be_hidden()
    page.goto("/models")
    expect(page.get_by_text("Only an organisation's admins manage its models.")).to_be_visible()


def test_a_versions_accuracy_check_shows_beside_the_model_serving_the_org(page: Page, org_admin):
    org_id, admin = org_admin
    member = emulators.join_org(emulators.sign_up(), org_id, "member")
    assert om.add_version(admin, org_id, "v1", LABELS)["status"] == "ready"
    assert om.pin(admin, org_id, "v1").status_code == 200
    for color in ((200, 40, 40), (40, 200, 40)):  # two corrected photos: a red apple, a green pear
        answer = om.classify(member, color=color).json()
        assert give_feedback(member, answer["id"], {"correct": True}).status_code == 200
    v2 = om.add_version(admin, org_id, "v2", LABELS, tm.classifier(classes=3, bias=0.5))
    accuracy = v2["report"]["accuracy"]  # what the validation function measured
    assert accuracy["photos"] == 2 and accuracy["serving"]["model"] == f"{org_id}/v1"

    open_models_page(page, admin)
    check = version_card(page, "v2").get_by_role("region", name="Accuracy check")
    expect(check).to_contain_text("Accuracy on your 2 corrected photos")
    for role, side in (("this version", accuracy["candidate"]), ("serving now", accuracy["serving"])):
        row = check.locator(f'tr[data-model="{side["model"]}"]')
        expect(row).to_contain_text(f"({role})")
        expect(row).to_contain_text(f"{side['correct']} of {side['photos']}")
        expect(row).to_contain_text(f"{round(side['top1'] * 100)}%")


def test_each_versions_figures_show_side_by_side_on_the_models_page_and_the_dashboard(page: Page, org_admin):
    org_id, admin = org_admin
    member = emulators.join_org(emulators.sign_up(), org_id, "member")
    for version, bias in (("v1", 0.0), ("v2", 0.5)):
        assert om.add_version(admin, org_id, version, LABELS, tm.classifier(classes=3, bias=bias))["status"] == "ready"
    answers = []
    for version in ("v1", "v2", "v2"):
        assert om.pin(admin, org_id, version).status_code == 200
        answers.append(om.classify(member).json())
    assert [a["modelVersion"] for a in answers] == [f"{org_id}/v1", f"{org_id}/v2", f"{org_id}/v2"]
    assert give_feedback(member, answers[0]["id"], {"correct": True}).status_code == 200

    open_models_page(page, admin)
    figures = page.get_by_test_id("version-figures")
    expect(figures.locator(f'tr[data-model="{org_id}/v2"] td').first).to_have_text("2")
    expect(figures.locator(f'tr[data-model="{org_id}/v1"] td').first).to_have_text("1")
    expect(figures.locator(f'tr[data-model="{org_id}/v1"]')).to_contain_text("100% of 1")
    page.get_by_role("link", name="Dashboard").click()
    on_dashboard = page.get_by_test_id("version-figures")
    expect(on_dashboard.locator(f'tr[data-model="{org_id}/v2"] td').first).to_have_text("2")
    expect(on_dashboard.locator(f'tr[data-model="{org_id}/v1"]')).to_contain_text("100% of 1")


def test_an_admin_chooses_the_shipped_model_that_serves_when_no_version_is_pinned(page: Page, org_admin):
    """The shipped models (docs/model.md) are chosen on the Models page, not only through the API: the org's
    modelId changes, the page shows the choice after a reload, and choosing the default again clears it (the org
    then follows the default through later deploys)."""
    org_id, admin = org_admin
    open_models_page(page, admin)
    chooser = page.get_by_role("form", name="Shipped model")
    select = chooser.get_by_label("Shipped model, when no version is pinned")
    default = requests.get(f"{emulators.API}/model", timeout=30).json()["id"]
    expect(select).to_have_value("")
    expect(select.locator("option:checked")).to_have_text(f"{default} (the default)")

    select.select_option("fruit-lite0-v5-soup")
    chooser.get_by_role("button", name="Use this model").click()
    expect(
        page.get_by_text("fruit-lite0-v5-soup serves your organisation whenever no version is pinned.")
    ).to_be_visible()
    assert org_doc(org_id)["modelId"] == "fruit-lite0-v5-soup"
    page.reload()
    expect(page.get_by_role("form", name="Shipped model").get_by_role("combobox")).to_have_value("fruit-lite0-v5-soup")

    chooser = page.get_by_role("form", name="Shipped model")
    chooser.get_by_role("combobox").select_option("")
    chooser.get_by_role("button", name="Use this model").click()
    expect(
        page.get_by_text("The default model serves your organisation whenever no version is pinned.")
    ).to_be_visible()
    assert org_doc(org_id)["modelId"] is None

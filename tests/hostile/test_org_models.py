"""Attacks on an organisation's own model versions (issue 17): members and other orgs' admins registering,
reading, pinning or rolling back; odd version names; files that do not fit; a rollback to a version that may not
serve; two admins pinning at once. Each refusal asserts its status, its code, that nothing of the org (its
documents and its files) changed, and that the API kept answering."""

import threading

import pytest

from hostile import attack
from support import emulators
from support import org_models as om
from support import tflite_models as tm

LABELS = ["red-apple", "green-pear", "blue-plum"]


@pytest.fixture
def outsider():
    """The admin of another organisation."""
    return emulators.join_org(emulators.sign_up(), emulators.make_org(), "admin")


def ready_version(org_id: str, version: str) -> None:
    """A version as the validation function leaves it, written behind the API (these cases test the doors)."""
    stored_version(org_id, version, "ready")


def stored_version(org_id: str, version: str, status: str) -> None:
    emulators.firestore().document("orgs", org_id, "modelVersions", version).set(
        {"name": version, "status": status, "sha256": "0" * 64, "labels": LABELS, "card": om.card(), "createdAt": 1}
    )


def refused(send, status: int, code: str, org_id: str) -> None:
    attack.refused(send, status, code, orgs=(org_id,))
    assert attack.api("GET", "/health").status_code == 200, "the API kept answering"


def test_a_member_cannot_register_a_version(org, member):
    om.upload(org, "v1", LABELS)
    refused(lambda: om.register(member, org, "v1"), 403, "not-org-admin", org)


def test_another_orgs_admin_cannot_register_into_our_org(org, outsider):
    om.upload(org, "v1", LABELS)
    refused(lambda: om.register(outsider, org, "v1"), 403, "not-org-admin", org)


def test_another_orgs_admin_cannot_read_our_versions(org, admin, outsider):
    ready_version(org, "v1")
    refused(lambda: attack.api("GET", f"/orgs/{org}/models", outsider), 403, "not-org-member", org)


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_neither_a_member_nor_another_orgs_admin_can_pin(org, admin, member, outsider, who):
    ready_version(org, "v1")
    caller = {"member": member, "outsider": outsider}[who]
    refused(lambda: om.pin(caller, org, "v1"), 403, "not-org-admin", org)


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_neither_a_member_nor_another_orgs_admin_can_roll_back(org, admin, member, outsider, who):
    ready_version(org, "v1")
    ready_version(org, "v2")
    emulators.firestore().document("orgs", org).update({"modelVersion": "v2", "modelVersionHistory": ["v1"]})
    caller = {"member": member, "outsider": outsider}[who]
    refused(lambda: om.rollback(caller, org), 403, "not-org-admin", org)


def test_an_anonymous_request_cannot_list_versions(org):
    refused(lambda: attack.api("GET", f"/orgs/{org}/models"), 401, None, org)


@pytest.mark.parametrize("status", ["rejected", "validating"])
def test_rollback_to_a_version_that_may_not_serve_is_refused(org, admin, status):
    ready_version(org, "good")
    stored_version(org, "bad", status)
    emulators.firestore().document("orgs", org).update({"modelVersion": "good", "modelVersionHistory": ["bad"]})
    refused(lambda: om.rollback(admin, org), 409, "model-version-not-ready", org)


@pytest.mark.parametrize("status", ["rejected", "validating"])
def test_pinning_a_version_that_may_not_serve_is_refused(org, admin, status):
    stored_version(org, "bad", status)
    refused(lambda: om.pin(admin, org, "bad"), 409, "model-version-not-ready", org)


def test_pinning_a_version_that_does_not_exist_is_a_404(org, admin):
    refused(lambda: om.pin(admin, org, "nope"), 404, "model-version-not-found", org)


def test_rollback_with_nothing_pinned_before_is_refused(org, admin):
    refused(lambda: om.rollback(admin, org), 409, "no-previous-model-version", org)


ODD_NAMES = ["", ".", "..", "V1", "-v1", "v1-", "v1.", "a..b", "__v__", "v 1", "v\n1", "ü", "x" * 41, "a/b", 7, None]


@pytest.mark.parametrize("name", ODD_NAMES, ids=repr)
def test_odd_version_names_are_refused(org, admin, name):
    om.upload(org, "v1", LABELS)
    refused(lambda: om.register(admin, org, name, upload="v1"), 400, "invalid-model-version", org)


@pytest.mark.parametrize("name", ["V1", "-v1", "x" * 41, "__v__", "a..b"])
def test_odd_version_names_in_a_pin_are_refused(org, admin, name):
    refused(lambda: om.pin(admin, org, name), 400, "invalid-model-version", org)


@pytest.mark.parametrize("upload", ["../other", "UP", ".."])
def test_odd_upload_names_are_refused(org, admin, upload):
    refused(lambda: om.register(admin, org, "v1", upload=upload), 400, "invalid-model-upload", org)


def test_registering_without_the_files_is_a_404(org, admin):
    refused(lambda: om.register(admin, org, "v1"), 404, "model-upload-not-found", org)


def test_an_oversize_model_file_is_refused_before_anything_is_registered(org, admin):
    om.upload(org, "big", LABELS, model=b"\0" * (20 * 1024 * 1024 + 1))
    refused(lambda: om.register(admin, org, "big"), 413, "model-file-too-large", org)


@pytest.mark.parametrize(
    ("labels", "card", "code"),
    [
        (b"\xff\xfe not utf-8", None, "invalid-model-labels"),
        (None, b"[1, 2]", "invalid-model-card"),
        (None, b"{not json", "invalid-model-card"),
    ],
)
def test_unreadable_labels_or_card_are_refused(org, admin, labels, card, code):
    om.upload(org, "v1", LABELS)
    bucket = emulators.bucket()
    if labels is not None:
        bucket.blob(f"orgs/{org}/models/uploads/v1/labels.txt").upload_from_string(labels)
    if card is not None:
        bucket.blob(f"orgs/{org}/models/uploads/v1/card.json").upload_from_string(card)
    refused(lambda: om.register(admin, org, "v1"), 400, code, org)


def test_notes_that_are_not_short_text_are_refused(org, admin):
    om.upload(org, "v1", LABELS)
    refused(lambda: om.register(admin, org, "v1", notes="x" * 2001), 400, "invalid-model-notes", org)


def test_a_body_that_is_not_a_json_object_is_refused(org, admin):
    refused(lambda: attack.api("POST", f"/orgs/{org}/models", admin, data=b"[1]"), 400, "invalid-json", org)


def test_a_version_never_changes_once_registered(org, admin):
    ready_version(org, "v1")
    om.upload(org, "v1", LABELS, model=tm.classifier(classes=3, bias=1.0))
    refused(lambda: om.register(admin, org, "v1"), 409, "model-version-exists", org)


def test_two_admins_pinning_at_once_leave_one_consistent_answer(org, admin):
    second = emulators.join_org(emulators.sign_up(), org, "admin")
    for version in ("v1", "v2", "v3"):
        ready_version(org, version)
    assert om.pin(admin, org, "v1").status_code == 200
    answers = {}
    threads = [
        threading.Thread(target=lambda who=who, v=v: answers.__setitem__(v, om.pin(who, org, v)))
        for who, v in ((admin, "v2"), (second, "v3"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {v: r.status_code for v, r in answers.items()} == {"v2": 200, "v3": 200}
    stored = emulators.firestore().document("orgs", org).get().to_dict()
    # Serialised: whichever pinned last serves, and the history holds the other after v1, each once.
    assert stored["modelVersion"] in ("v2", "v3")
    other = "v3" if stored["modelVersion"] == "v2" else "v2"
    assert stored["modelVersionHistory"] == ["v1", other]
    assert answers[stored["modelVersion"]].json() == {"serving": stored["modelVersion"], "history": ["v1", other]}


@pytest.mark.parametrize("share", [0, 100, 50.5, "50", True, None, -1])
def test_a_rollout_share_outside_1_to_99_percent_is_refused(org, admin, share):
    ready_version(org, "v1")
    refused(lambda: om.rollout(admin, org, "v1", share), 400, "invalid-rollout-share", org)


@pytest.mark.parametrize("status", ["rejected", "validating"])
def test_a_rollout_of_a_version_that_may_not_serve_is_refused(org, admin, status):
    stored_version(org, "bad", status)
    refused(lambda: om.rollout(admin, org, "bad", 50), 409, "model-version-not-ready", org)


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_neither_a_member_nor_another_orgs_admin_can_start_or_stop_a_rollout(org, admin, member, outsider, who):
    ready_version(org, "v1")
    caller = {"member": member, "outsider": outsider}[who]
    refused(lambda: om.rollout(caller, org, "v1", 50), 403, "not-org-admin", org)
    refused(lambda: attack.api("DELETE", f"/orgs/{org}/models/rollout", caller), 403, "not-org-admin", org)


# -- deleting a version


def delete(who, org_id: str, version: str):
    return attack.api("DELETE", f"/orgs/{org_id}/models/{version}", who)


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_neither_a_member_nor_another_orgs_admin_can_delete_a_version(org, admin, member, outsider, who):
    ready_version(org, "v1")
    caller = {"member": member, "outsider": outsider}[who]
    refused(lambda: delete(caller, org, "v1"), 403, "not-org-admin", org)


def test_an_anonymous_request_cannot_delete_a_version(org):
    ready_version(org, "v1")
    refused(lambda: delete(None, org, "v1"), 401, None, org)


@pytest.mark.parametrize("name", ["V1", "-v1", "x" * 41, "__v__", "a..b", "v_1"])
def test_odd_version_names_in_a_delete_are_refused(org, admin, name):
    refused(lambda: delete(admin, org, name), 400, "invalid-model-version", org)


def test_deleting_a_version_that_does_not_exist_is_a_404(org, admin):
    refused(lambda: delete(admin, org, "ghost"), 404, "model-version-not-found", org)


def test_deleting_a_version_twice_is_a_404_the_second_time(org, admin):
    ready_version(org, "v1")
    emulators.firestore().document("orgs", org).update({"modelVersionCount": 1})
    assert delete(admin, org, "v1").status_code == 204
    refused(lambda: delete(admin, org, "v1"), 404, "model-version-not-found", org)
    assert emulators.firestore().document("orgs", org).get().to_dict()["modelVersionCount"] == 0


def test_pinning_or_rolling_out_a_deleted_version_is_refused(org, admin):
    stored_version(org, "old", "deleted")
    refused(lambda: om.pin(admin, org, "old"), 409, "model-version-not-ready", org)
    refused(lambda: om.rollout(admin, org, "old", 50), 409, "model-version-not-ready", org)


def test_an_admin_deleting_while_another_pins_the_same_version_leaves_one_consistent_answer(org, admin):
    second = emulators.join_org(emulators.sign_up(), org, "admin")
    ready_version(org, "v1")
    answers = {}
    threads = [
        threading.Thread(target=lambda: answers.__setitem__("pin", om.pin(admin, org, "v1"))),
        threading.Thread(target=lambda: answers.__setitem__("delete", delete(second, org, "v1"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = emulators.firestore().document("orgs", org).get().to_dict()
    status = om.version_doc(org, "v1")["status"]
    # Serialised by the transactions: either pinned and kept (the delete refused) or deleted and never pinned.
    if answers["pin"].status_code == 200:
        assert answers["delete"].json()["error"]["code"] == "model-version-pinned"
        assert (stored["modelVersion"], status) == ("v1", "ready")
    else:
        assert answers["delete"].status_code == 204 and answers["pin"].status_code == 409
        assert (stored.get("modelVersion"), status) == (None, "deleted")
    assert attack.api("GET", "/health").status_code == 200

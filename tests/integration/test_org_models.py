"""An organisation's own model, end to end on the emulators: upload, validation in its own function, pin, the
pinned version answering the org's members (HTTP and the Storage trigger), rollback, and isolation between orgs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from fruitclf.service.org_models import rollout_bucket
from support import emulators
from support import org_models as om
from support import tflite_models as tm
from support.emulators import API

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
LABELS_A = ["red-apple", "green-pear", "blue-plum"]
LABELS_B = ["cherry", "lime", "blueberry", "durian", "fig", "guava"]


def test_an_admin_uploads_a_version_the_validation_function_passes_it_and_it_serves_the_org(org, admin, member):
    om.upload(org, "first", LABELS_A)
    registered = om.register(admin, org, "v1", upload="first", notes="our three fruits")
    assert registered.status_code == 202, registered.text
    body = registered.json()
    assert (body["version"], body["status"], body["name"], body["notes"]) == (
        "v1",
        "validating",
        "Tiny",
        "our three fruits",
    )
    assert body["uploadedBy"]["uid"] == admin.uid and len(body["sha256"]) == 64
    # The upload folder is emptied; the version's file is kept where no client may write.
    assert not list(emulators.bucket().list_blobs(prefix=f"orgs/{org}/models/uploads/"))
    version = om.decided(org, "v1")
    assert version["status"] == "ready", version["report"]["reasons"]
    assert {c["name"] for c in version["report"]["checks"]} >= {"size", "labels", "ops", "loads", "latency"}

    before = om.classify(member).json()
    assert before["modelVersion"] != f"{org}/v1" and before["label"] not in LABELS_A

    pinned = om.pin(admin, org, "v1")
    assert pinned.status_code == 200 and pinned.json() == {"serving": "v1", "history": []}
    answer = om.classify(member)
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert (result["label"], result["abstained"], result["modelVersion"]) == ("red-apple", False, f"{org}/v1")
    assert {t["label"] for t in result["topk"]} <= set(LABELS_A)
    stored = emulators.user_documents(member.uid)
    assert {d.get("modelVersion") for d in stored} == {before["modelVersion"], f"{org}/v1"}


def test_a_model_without_not_fruit_abstains_by_its_threshold_alone(org, admin, member):
    assert om.add_version(admin, org, "v1", LABELS_A)["status"] == "ready"
    assert om.pin(admin, org, "v1").status_code == 200
    grey = om.classify(member, color=(128, 128, 128)).json()  # every class about a third: under 0.334
    assert grey["abstained"] is True and grey["label"] in LABELS_A


def test_one_orgs_model_never_answers_another_orgs_request():
    orgs, members = [], []
    for labels in (LABELS_A, LABELS_B):
        org_id = emulators.make_org()
        admin = emulators.join_org(emulators.sign_up(), org_id, "admin")
        assert om.add_version(admin, org_id, "v1", labels)["status"] == "ready"
        assert om.pin(admin, org_id, "v1").status_code == 200
        orgs.append(org_id)
        members.append(emulators.join_org(emulators.sign_up(), org_id, "member"))
    for _ in range(3):  # interleaved, so each instance holds both models at once
        for org_id, member, labels in zip(orgs, members, (LABELS_A, LABELS_B), strict=True):
            result = om.classify(member).json()
            assert result["modelVersion"] == f"{org_id}/v1"
            assert {t["label"] for t in result["topk"]} <= set(labels)
    a, b = (om.classify(m, color=(40, 200, 40)).json()["label"] for m in members)
    assert (a, b) == ("green-pear", "lime")


def test_the_pinned_version_answers_the_storage_trigger_too(org, admin, member):
    assert om.add_version(admin, org, "v1", LABELS_A)["status"] == "ready"
    assert om.pin(admin, org, "v1").status_code == 200
    emulators.bucket().blob(f"uploads/{member.uid}/phone.jpg").upload_from_string(
        emulators.jpeg_bytes(), content_type="image/jpeg"
    )
    [doc] = emulators.wait_for(lambda: emulators.user_documents(member.uid))
    assert (doc.get("modelVersion"), doc.get("label"), doc.get("source")) == (f"{org}/v1", "red-apple", "mobile")


def test_rollback_serves_the_version_pinned_before(org, admin, member):
    om.add_version(admin, org, "v1", LABELS_A)
    om.add_version(admin, org, "v2", LABELS_B)
    assert om.pin(admin, org, "v1").status_code == 200
    assert om.pin(admin, org, "v2").json() == {"serving": "v2", "history": ["v1"]}
    assert om.classify(member).json()["modelVersion"] == f"{org}/v2"
    rolled = om.rollback(admin, org)
    assert rolled.status_code == 200 and rolled.json() == {"serving": "v1", "history": []}
    assert om.classify(member).json()["modelVersion"] == f"{org}/v1"
    nothing_left = om.rollback(admin, org)
    assert nothing_left.status_code == 409 and nothing_left.json()["error"]["code"] == "no-previous-model-version"


def test_a_version_failing_validation_is_rejected_with_its_reasons_and_cannot_serve(org, admin, member):
    rejected = om.add_version(admin, org, "custom", LABELS_A, model=tm.classifier(head="MyCustomSoftmax"))
    assert rejected["status"] == "rejected"
    assert any(reason.startswith("ops:") for reason in rejected["report"]["reasons"])
    refused = om.pin(admin, org, "custom")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "model-version-not-ready"
    assert emulators.firestore().document("orgs", org).get().to_dict().get("modelVersion") is None


def test_members_see_only_what_serves_them_and_admins_every_version_with_its_report(org, admin, member):
    om.add_version(admin, org, "v1", LABELS_A, name="Our fruit")
    om.pin(admin, org, "v1")
    seen = requests.get(f"{API}/orgs/{org}/models", headers=member.headers, timeout=30)
    assert seen.status_code == 200 and seen.json() == {"serving": {"version": "v1", "name": "Our fruit"}}
    listed = requests.get(f"{API}/orgs/{org}/models", headers=admin.headers, timeout=30).json()
    [version] = listed["versions"]
    assert (version["version"], version["status"], version["labels"]) == ("v1", "ready", LABELS_A)
    assert version["report"]["status"] == "ready" and version["createdAt"].endswith("Z")


def test_the_version_cap_is_a_setting_and_counts_every_version(org, admin):
    emulators.firestore().document("orgs", org).update({"modelVersionCount": 20})  # MODEL_VERSIONS_MAX's default
    om.upload(org, "one-more", LABELS_A)
    refused = om.register(admin, org, "one-more")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "model-version-limit"
    assert om.version_doc(org, "one-more") is None


def test_the_admin_cli_uploads_a_version_through_the_same_service(org, admin, member, tmp_path):
    files = {
        "model.tflite": tm.classifier(classes=3),
        "labels.txt": "\n".join(LABELS_A).encode(),
        "card.json": json.dumps(om.card()).encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    args = ["--model", tmp_path / "model.tflite", "--labels", tmp_path / "labels.txt", "--card", tmp_path / "card.json"]
    as_member = admin_cli("upload-model", org, "v1", *args, "--as", member.email)
    assert as_member.returncode == 1 and "Only an admin" in as_member.stdout
    assert om.version_doc(org, "v1") is None
    done = admin_cli("upload-model", org, "v1", *args, "--as", admin.email, "--notes", "from the shell")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["status"] == "validating"
    assert om.decided(org, "v1")["status"] == "ready"
    assert not list(emulators.bucket().list_blobs(prefix=f"orgs/{org}/models/uploads/"))


def admin_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fruitclf", "admin", *map(str, args)],
        cwd=FUNCTIONS,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_staged_rollout_sends_the_same_share_of_users_to_the_candidate_until_pinned_or_stopped(org, admin):
    om.add_version(admin, org, "v1", LABELS_A)
    om.add_version(admin, org, "v2", LABELS_B)
    assert om.pin(admin, org, "v1").status_code == 200
    started = om.rollout(admin, org, "v2", 50)
    assert started.status_code == 200 and started.json() == {"rollout": {"version": "v2", "share": 50}}
    # Members on both sides of the split (each user's place is fixed: rollout_bucket of org and uid).
    users = {True: [], False: []}
    for _ in range(40):  # each new user is on either side with even odds: 2^-39 to miss one side
        user = emulators.join_org(emulators.sign_up(), org, "member")
        users[rollout_bucket(org, user.uid) < 50].append(user)
        if users[True] and users[False]:
            break
    for in_rollout, expected in ((True, "v2"), (False, "v1")):
        for user in users[in_rollout]:
            for _ in range(2):  # the same version every time
                assert om.classify(user).json()["modelVersion"] == f"{org}/{expected}"
            seen = requests.get(f"{API}/orgs/{org}/models", headers=user.headers, timeout=30).json()
            assert seen == {"serving": {"version": expected, "name": "Tiny"}}
    listed = requests.get(f"{API}/orgs/{org}/models", headers=admin.headers, timeout=30).json()
    assert (listed["pinned"], listed["rollout"]) == ("v1", {"version": "v2", "share": 50})

    stopped = requests.delete(f"{API}/orgs/{org}/models/rollout", headers=admin.headers, timeout=30)
    assert stopped.status_code == 204
    assert om.classify(users[True][0]).json()["modelVersion"] == f"{org}/v1"
    om.rollout(admin, org, "v2", 50)
    assert om.pin(admin, org, "v2").json() == {"serving": "v2", "history": ["v1"]}
    assert om.classify(users[False][0]).json()["modelVersion"] == f"{org}/v2"
    assert "modelRollout" not in emulators.firestore().document("orgs", org).get().to_dict()


def test_an_upload_a_refused_registration_left_behind_goes_at_the_next_registration_once_stale(
    org, admin, app_client, monkeypatch
):
    """A refusal writes nothing, so its upload stays (the admin may fix a file and retry); once a day old it goes
    when the org next registers a version, while a newer upload beside it stays. In-process, with the service's
    clock moved a day on: the objects' own `updated` times, as the bucket reports them, decide."""
    from fruitclf.service import org_models

    bucket = emulators.bucket()
    om.upload(org, "abandoned", LABELS_A)
    refused = app_client.post(f"/api/orgs/{org}/models", headers=admin.headers, json={"version": "v1", "notes": 7})
    assert refused.status_code == 400
    assert len(list(bucket.list_blobs(prefix=f"orgs/{org}/models/uploads/abandoned/"))) == 3, "a refusal keeps it"
    newer = f"orgs/{org}/models/uploads/in-progress/labels.txt"
    bucket.blob(newer).upload_from_string(b"apple")
    om.upload(org, "second-try", LABELS_A)

    a_day_after_the_newer = bucket.get_blob(newer).updated + org_models.ABANDONED_UPLOAD_AGE
    monkeypatch.setattr(org_models, "utcnow", lambda: a_day_after_the_newer)
    registered = app_client.post(
        f"/api/orgs/{org}/models", headers=admin.headers, json={"version": "v1", "upload": "second-try"}
    )
    assert registered.status_code == 202, registered.get_json()
    assert {b.name for b in bucket.list_blobs(prefix=f"orgs/{org}/models/uploads/")} == {newer}

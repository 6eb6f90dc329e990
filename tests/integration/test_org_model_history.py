"""History outlives the model that made it: deleting an org's model version (DELETE /api/orgs/<org>/models/<v>)
leaves every item it classified readable, exportable, correctable and open to a second opinion, and so does an
item whose model id this deployment does not know at all (a withdrawn shipped model, an org gone)."""

import datetime as dt

import pytest
import requests

from support import bulk, emulators
from support import org_models as om
from support.emulators import API
from support.fake_openai import FakeOpenAI

LABELS_A = ["red-apple", "green-pear", "blue-plum"]
LABELS_B = ["cherry", "lime", "blueberry"]


def delete(admin, org_id: str, version: str) -> requests.Response:
    return requests.delete(f"{API}/orgs/{org_id}/models/{version}", headers=admin.headers, timeout=60)


def feedback(user, doc_id: str, body: dict) -> requests.Response:
    return requests.post(f"{API}/classifications/{doc_id}/feedback", json=body, headers=user.headers, timeout=30)


def exported(user) -> str:
    response = requests.get(f"{API}/feedback/export?format=csv", headers=user.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


def test_deleting_a_version_removes_its_file_and_frees_its_place_while_its_history_keeps_working(org, admin, member):
    om.add_version(admin, org, "v1", LABELS_A)
    om.add_version(admin, org, "v2", LABELS_B)
    assert om.pin(admin, org, "v1").status_code == 200
    old = om.classify(member).json()
    assert old["modelVersion"] == f"{org}/v1"
    assert om.pin(admin, org, "v2").json()["history"] == ["v1"]

    gone = delete(admin, org, "v1")
    assert gone.status_code == 204, gone.text
    assert not emulators.bucket().blob(f"orgs/{org}/models/versions/v1/model.tflite").exists()
    org_doc = emulators.firestore().document("orgs", org).get().to_dict()
    assert (org_doc["modelVersionCount"], org_doc["modelVersionHistory"]) == (1, [])
    listed = requests.get(f"{API}/orgs/{org}/models", headers=admin.headers, timeout=30).json()
    assert {v["version"]: v["status"] for v in listed["versions"]} == {"v1": "deleted", "v2": "ready"}
    assert om.rollback(admin, org).json()["error"]["code"] == "no-previous-model-version"

    # The deleted version's labels still name what a user may correct to, and the web app offers exactly those.
    offered = requests.get(f"{API}/classifications/{old['id']}/labels", headers=member.headers, timeout=30)
    assert offered.status_code == 200 and offered.json() == {"labels": LABELS_A}
    corrected = feedback(member, old["id"], {"label": "green-pear"})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["feedback"]["label"] == "green-pear"
    unknown = feedback(member, old["id"], {"label": "lime"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown-label"
    assert f"{org}/v1" in exported(member)
    listing = requests.get(f"{API}/classifications", headers=member.headers, timeout=30)
    assert listing.status_code == 200 and listing.json()["items"][0]["modelVersion"] == f"{org}/v1"
    image = requests.get(f"{API}/classifications/{old['id']}/image", headers=member.headers, timeout=30)
    assert image.status_code == 200
    # The catalog knows no org label: a clear 404, never a 500.
    fruit = requests.get(f"{API}/fruits/red-apple", headers=member.headers, timeout=30)
    assert fruit.status_code == 404 and fruit.json()["error"]["code"] == "unknown-fruit"
    # A deleted version's name stays taken: versions never change, so a name never means two models.
    om.upload(org, "again", LABELS_A)
    assert om.register(admin, org, "v1", upload="again").json()["error"]["code"] == "model-version-exists"


@pytest.mark.parametrize("serving", ["pinned", "rollout"])
def test_a_version_serving_anyone_cannot_be_deleted(org, admin, serving):
    om.add_version(admin, org, "v1", LABELS_A)
    om.add_version(admin, org, "v2", LABELS_B)
    assert om.pin(admin, org, "v1").status_code == 200
    assert om.rollout(admin, org, "v2", 50).status_code == 200
    version, code = {"pinned": ("v1", "model-version-pinned"), "rollout": ("v2", "model-version-in-rollout")}[serving]
    refused = delete(admin, org, version)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == code
    assert om.version_doc(org, version)["status"] == "ready"
    assert emulators.bucket().blob(f"orgs/{org}/models/versions/{version}/model.tflite").exists()


def test_a_version_an_unfinished_job_classifies_with_cannot_be_deleted(org, admin, app_client, monkeypatch):
    """A job keeps the model it started with (service/job_model.py): deleting that version under it would pause
    the job half way, so the delete waits until the job is cancelled or ends. The queue is left out: the job
    stays running, with nothing done, for as long as the test needs."""
    from fruitclf.data import tasks

    monkeypatch.setattr(tasks, "enqueue", lambda *args, **kwargs: True)
    om.add_version(admin, org, "v1", LABELS_A)
    om.add_version(admin, org, "v2", LABELS_B)
    assert om.pin(admin, org, "v1").status_code == 200
    prefix = bulk.upload(org, "uses-v2", 2)
    started = app_client.post(
        f"/api/orgs/{org}/jobs", headers=admin.headers, json={"prefix": prefix, "modelVersion": "v2"}
    )
    assert started.status_code == 202, started.get_json()

    refused = delete(admin, org, "v2")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "model-version-in-use"
    assert started.get_json()["id"] in refused.json()["error"]["message"]
    assert om.version_doc(org, "v2")["status"] == "ready"

    job_id = started.get_json()["id"]
    assert app_client.post(f"/api/orgs/{org}/jobs/{job_id}/cancel", headers=admin.headers).status_code == 200
    assert delete(admin, org, "v2").status_code == 204


def stored_item(user, model_version: str) -> str:
    """A classification as an earlier release or another deployment wrote it, under a model id unknown here."""
    doc_id = f"old{abs(hash(model_version)) % 10**8}"
    image_path = f"users/{user.uid}/images/{doc_id}.jpg"
    emulators.bucket().blob(image_path).upload_from_string(emulators.jpeg_bytes(), content_type="image/jpeg")
    emulators.firestore().document("users", user.uid, "classifications", doc_id).set(
        {
            "label": "banana",
            "confidence": 0.9,
            "topk": [{"label": "banana", "p": 0.9}, {"label": "plantain", "p": 0.05}],
            "abstained": False,
            "modelVersion": model_version,
            "imagePath": image_path,
            "source": "upload",
            "org": None,
            "feedback": None,
            "secondOpinion": None,
            "createdAt": dt.datetime.now(dt.UTC),
        }
    )
    return doc_id


@pytest.mark.parametrize("model_version", ["fruit-lite0-v0-withdrawn", "gone-org/v9", "../etc", "__x__/v1"])
def test_an_item_whose_model_is_unknown_here_stays_correctable_exportable_and_open_to_a_second_opinion(
    user, model_version
):
    doc_id = stored_item(user, model_version)
    # Unknown model: the labels the item itself names, and the labels of the model serving the user now.
    assert feedback(user, doc_id, {"label": "plantain"}).status_code == 200
    assert feedback(user, doc_id, {"label": "apple"}).status_code == 200
    refused = feedback(user, doc_id, {"label": "durian-from-nowhere"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "unknown-label"
    confirmed = feedback(user, doc_id, {"correct": True}).json()["feedback"]
    assert (confirmed["label"], confirmed["correct"]) == ("banana", True)
    assert doc_id in exported(user)
    opinion = requests.post(f"{API}/classifications/{doc_id}/second-opinion", headers=user.headers, timeout=30)
    assert opinion.status_code == 200, opinion.text


def test_the_second_opinion_on_an_item_of_a_deleted_version_offers_that_versions_labels(
    org, admin, member, client_with
):
    om.add_version(admin, org, "v1", LABELS_A)
    om.add_version(admin, org, "v2", LABELS_B)
    om.pin(admin, org, "v1")
    old = om.classify(member).json()
    om.pin(admin, org, "v2")
    assert delete(admin, org, "v1").status_code == 204
    with FakeOpenAI() as server:
        app = client_with(openai_api_key="sk-answer-green-pear", openai_base_url=server.base_url, openai_timeout_s=5)
        response = app.post(f"/api/classifications/{old['id']}/second-opinion", headers=member.headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["secondOpinion"]["label"] == "green-pear"
        [sent] = server.requests
    assert "red-apple" in sent["body"]["messages"][0]["content"][0]["text"]

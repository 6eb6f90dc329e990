"""Re-classifying an org's history with another model version, on the emulators: the job walks the org's
classifications through the queue, records each old answer beside the new one and sums up the comparison,
while the classifications themselves stay as they were. And the model a job records is the one that classifies."""

import csv
import io

import requests

from support import bulk, emulators
from support import org_models as om
from support.emulators import API

LABELS = ["red-apple", "green-pear", "blue-plum"]  # the tiny model answers a photo's strongest channel
COLOURS = {"red-apple": (200, 40, 40), "green-pear": (40, 200, 40), "blue-plum": (40, 40, 200)}


def history(member, colours) -> list[dict]:
    """The member classifies one photo of each colour with the model serving the org (a shipped one)."""
    docs = []
    for colour in colours:
        response = om.classify(member, colour)
        assert response.status_code == 201, response.text
        docs.append(response.json())
    return docs


def stored(uid: str) -> dict:
    return {s.id: s.to_dict() for s in emulators.user_documents(uid)}


def test_the_orgs_history_is_reclassified_side_by_side_and_left_as_it_was(org, admin, member):
    earlier = history(member, [COLOURS["red-apple"], COLOURS["green-pear"], COLOURS["blue-plum"], (220, 60, 30)])
    confirmed = requests.post(
        f"{API}/classifications/{earlier[0]['id']}/feedback", json={"correct": True}, headers=member.headers, timeout=30
    )
    assert confirmed.status_code == 200, confirmed.text
    before = stored(member.uid)
    assert om.add_version(admin, org, "v2", LABELS)["status"] == "ready"  # ready, not pinned

    started = bulk.started(admin, org, {"kind": "reclassify", "modelVersion": "v2", "chunkSize": 3})
    assert (started["kind"], started["total"], started["chunkCount"]) == ("reclassify", 4, 2)
    assert (started["modelId"], started["modelVersion"]) == (f"{org}/v2", "v2")
    job = bulk.wait_until(admin, org, started["id"], lambda j: j["state"] == "done")
    assert (job["done"], job["failed"]) == (4, 0)

    # Every label changed (the new model's labels are all new), from what the stored answers said.
    said = {d["id"]: "not_fruit" if d["abstained"] else d["label"] for d in earlier}
    new = ["red-apple", "green-pear", "blue-plum", "red-apple"]
    expected_changes: dict = {}
    for doc, label in zip(earlier, new, strict=True):
        expected_changes[(said[doc["id"]], label)] = expected_changes.get((said[doc["id"]], label), 0) + 1
    comparison = job["comparison"]
    assert (comparison["same"], comparison["changed"], comparison["agreement"]) == (0, 4, 0.0)
    assert {(c["from"], c["to"]): c["count"] for c in comparison["changes"]} == expected_changes
    # The user confirmed the first photo's label: the new model (other labels) cannot have named it; the old one
    # did unless it abstained on a fruit label (an abstention says not_fruit, as feedback judges it).
    confirmed_label = earlier[0]["label"]
    previous_right = int(said[earlier[0]["id"]] == confirmed_label)
    assert comparison["feedback"] == {"items": 1, "previousRight": previous_right, "newRight": 0}

    csv_text = requests.get(
        f"{API}/orgs/{org}/jobs/{job['id']}/results?format=csv", headers=admin.headers, timeout=60
    ).text
    rows = {row["path"].rsplit("/", 1)[1]: row for row in csv.DictReader(io.StringIO(csv_text))}
    assert set(rows) == {d["id"] for d in earlier}
    for doc, label in zip(earlier, new, strict=True):
        row = rows[doc["id"]]
        assert row["path"] == f"users/{member.uid}/classifications/{doc['id']}"
        assert (row["label"], row["modelVersion"], row["changed"]) == (label, f"{org}/v2", "True")
        assert (row["previousLabel"], row["previousModelVersion"]) == (doc["label"], doc["modelVersion"])
    assert rows[earlier[0]["id"]]["feedbackLabel"] == earlier[0]["label"]

    assert stored(member.uid) == before, "the classifications themselves are untouched"
    assert emulators.user_documents(admin.uid) == []


def test_a_job_records_the_pinned_version_and_keeps_classifying_with_it_after_a_new_pin(
    org, admin, app_client, monkeypatch
):
    """In-process with the queue left out: the job's model is fixed when it starts, so a pin made while it runs
    does not mix two models' answers in one job."""
    from fruitclf.data import tasks
    from fruitclf.service import bulk as bulk_service

    monkeypatch.setattr(tasks, "enqueue", lambda *args, **kwargs: True)
    om.add_version(admin, org, "v1", LABELS)
    om.add_version(admin, org, "v2", ["cherry", "lime", "blueberry"])
    assert om.pin(admin, org, "v1").status_code == 200
    prefix = bulk.upload(org, "pinned", 2)
    response = app_client.post(f"/api/orgs/{org}/jobs", headers=admin.headers, json={"prefix": prefix})
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert (job["modelId"], job["modelVersion"]) == (f"{org}/v1", "v1")

    assert om.pin(admin, org, "v2").status_code == 200
    assert bulk_service.run_chunk(org, job["id"], 0) == "done"
    assert {item["modelVersion"] for item in bulk.items(org, job["id"])} == {f"{org}/v1"}
    assert {item["label"] for item in bulk.items(org, job["id"])} <= set(LABELS)


def test_a_deleted_classification_is_a_failed_item_and_the_rest_are_compared(
    org, admin, member, app_client, monkeypatch
):
    from fruitclf.data import tasks
    from fruitclf.service import bulk as bulk_service

    monkeypatch.setattr(tasks, "enqueue", lambda *args, **kwargs: True)
    kept, gone = history(member, [COLOURS["red-apple"], COLOURS["green-pear"]])
    om.add_version(admin, org, "v2", LABELS)
    body = {"kind": "reclassify", "modelVersion": "v2", "chunkSize": 10}
    response = app_client.post(f"/api/orgs/{org}/jobs", headers=admin.headers, json=body)
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["id"]
    deleted = requests.delete(f"{API}/classifications/{gone['id']}", headers=member.headers, timeout=30)
    assert deleted.status_code in (200, 204), deleted.text

    assert bulk_service.run_chunk(org, job_id, 0) == "done"
    job = bulk.read(admin, org, job_id)
    assert (job["state"], job["done"], job["failed"], job["comparison"]["changed"]) == ("done", 1, 1, 1)
    failed = [item for item in bulk.items(org, job_id) if item["status"] == "failed"]
    assert failed[0]["error"]["code"] == "classification-gone"
    assert failed[0]["path"].endswith(gone["id"])

"""Bulk jobs end to end on the emulators: the API queues chunks on the Cloud Tasks emulator, which delivers them
to the `bulkchunk` function; every image ends up recorded exactly once, whatever is duplicated, killed or
cancelled on the way."""

import csv
import io
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from support import bulk, emulators


def assert_each_image_once(org: str, job: dict, prefix: str, n_images: int) -> list[dict]:
    """Every image under the prefix has exactly one outcome, and the job's counters agree with the outcomes."""
    recorded = bulk.items(org, job["id"])
    paths = Counter(item["path"] for item in recorded)
    assert len(paths) == n_images and set(paths.values()) == {1}
    assert all(path.startswith(prefix) for path in paths)
    statuses = Counter(item["status"] for item in recorded)
    assert (job["done"], job["failed"]) == (statuses["done"], statuses["failed"])
    assert sum(job["perLabel"].values()) == job["done"]
    return recorded


def test_a_2000_image_job_classifies_each_image_once_as_the_org(org, admin):
    prefix = bulk.upload(org, "shelf-2000", 1999, extra={"notes.txt": b"not an image"})
    response = bulk.start(admin, org, {"prefix": prefix, "chunkSize": 50})
    assert response.status_code == 202, response.text
    started = response.json()
    assert (started["state"], started["total"], started["chunkCount"]) == ("running", 2000, 40)

    job = bulk.wait_until(admin, org, started["id"], lambda j: j["state"] == "done", timeout_s=600)
    assert (job["done"], job["failed"], job["pending"]) == (1999, 1, 0)
    recorded = assert_each_image_once(org, job, prefix, 2000)
    paths = [item["path"] for item in recorded]
    failed = [item for item in recorded if item["status"] == "failed"]
    assert failed[0]["path"] == prefix + "notes.txt"
    assert failed[0]["error"]["code"] == "unsupported-image"
    done = next(item for item in recorded if item["status"] == "done")
    assert {"label", "confidence", "topk", "modelVersion"} <= set(done)
    # Its results download whole (two pages of outcomes), one row per image.
    results = requests.get(f"{emulators.API}/orgs/{org}/jobs/{job['id']}/results", headers=admin.headers, timeout=60)
    assert sorted(json.loads(line)["path"] for line in results.text.splitlines()) == sorted(paths)
    # The job ran as the org: nothing in the admin's own history or counters.
    assert emulators.user_documents(admin.uid) == []
    assert emulators.user_documents(admin.uid, "counters") == []


def test_a_task_delivered_twice_writes_nothing_twice(org, admin):
    prefix = bulk.upload(org, "twice", 60)
    started = bulk.started(admin, org, {"prefix": prefix, "chunkSize": 20})
    # The queue delivers each chunk; meanwhile every chunk is delivered twice more, at the same time.
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda c: bulk.deliver(org, started["id"], c), [0, 1, 2, 0, 1, 2]))
    assert all(reply.status_code == 200 for reply in replies), [r.text for r in replies]

    job = bulk.wait_until(admin, org, started["id"], lambda j: j["state"] == "done")
    assert (job["done"], job["failed"]) == (60, 0)
    assert_each_image_once(org, job, prefix, 60)
    # A delivery after the end changes nothing either.
    assert bulk.deliver(org, started["id"], 1).json() == {"result": {"outcome": "skipped"}}
    assert bulk.read(admin, org, started["id"])["done"] == 60


def test_a_job_whose_function_is_killed_mid_chunk_is_resumed_with_each_image_once(org, admin):
    prefix = bulk.upload(org, "killed", 240)
    started = bulk.started(admin, org, {"prefix": prefix, "chunkSize": 40})
    bulk.wait_until(admin, org, started["id"], lambda j: 0 < j["done"] < 200)
    victims = emulators.wait_for(bulk.task_function_processes)
    bulk.kill(victims)  # the instances die with their chunks half done (the queue will retry those)
    assert bulk.partly_recorded_chunks(org, started["id"]), "no chunk was cut short: the kill came between chunks"

    resumed = bulk.act(admin, org, started["id"], "resume")  # and an admin resumes at once
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["run"] == 2

    job = bulk.wait_until(admin, org, started["id"], lambda j: j["state"] == "done")
    assert (job["done"], job["failed"]) == (240, 0)
    assert_each_image_once(org, job, prefix, 240)


def _settled(admin, org, job_id):
    """The job once its count has stopped moving (running chunks stop within one image of a cancel)."""
    seen = []

    def still():
        seen.append(bulk.read(admin, org, job_id)["done"])
        return len(seen) >= 4 and len(set(seen[-4:])) == 1

    emulators.wait_for(still, timeout_s=60, every_s=0.5)
    return bulk.read(admin, org, job_id)


def test_a_job_cancelled_half_way_stops_and_resumes_where_it_stopped(org, admin):
    prefix = bulk.upload(org, "cancelled", 400)
    started = bulk.started(admin, org, {"prefix": prefix, "chunkSize": 20})
    bulk.wait_until(admin, org, started["id"], lambda j: j["done"] >= 40)

    cancelled = bulk.act(admin, org, started["id"], "cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    stopped = _settled(admin, org, started["id"])
    assert stopped["state"] == "cancelled"
    assert 40 <= stopped["done"] < 400
    assert_each_image_once(org, stopped, prefix, stopped["done"])

    assert bulk.act(admin, org, started["id"], "resume").json()["state"] == "running"
    job = bulk.wait_until(admin, org, started["id"], lambda j: j["state"] == "done")
    assert (job["done"], job["failed"]) == (400, 0)
    assert_each_image_once(org, job, prefix, 400)
    assert bulk.act(admin, org, started["id"], "cancel").status_code == 409


def test_jobs_are_listed_newest_first_without_their_counts(org, admin):
    first = bulk.started(admin, org, {"prefix": bulk.upload(org, "a", 2)})
    second = bulk.started(admin, org, {"prefix": bulk.upload(org, "b", 2)})
    listed = requests.get(f"{emulators.API}/orgs/{org}/jobs", headers=admin.headers, timeout=30).json()["jobs"]
    assert [job["id"] for job in listed] == [second["id"], first["id"]]
    assert {"prefix", "state", "total", "createdAt"} <= set(listed[0])


def test_a_job_pauses_when_the_orgs_daily_budget_is_spent(org, admin, app_client, monkeypatch):
    """In-process, with a budget of 5 images a day and the queue left out: the chunk stops at the sixth image
    and the job says why; what was classified stays."""
    from fruitclf import config
    from fruitclf.data import tasks
    from fruitclf.service import bulk as bulk_service

    monkeypatch.setattr(tasks, "enqueue", lambda *args, **kwargs: True)
    prefix = bulk.upload(org, "budget", 8)
    response = app_client.post(f"/api/orgs/{org}/jobs", headers=admin.headers, json={"prefix": prefix})
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["id"]

    with config.using(config.Settings(bulk_daily_images=5)):  # as the task door would run with them
        assert bulk_service.run_chunk(org, job_id, 0) == "paused"
    job = bulk.read(admin, org, job_id)
    assert (job["state"], job["pausedReason"], job["done"]) == ("paused", "daily-budget", 5)
    assert len(bulk.items(org, job_id)) == 5


def test_a_jobs_results_download_as_csv_and_jsonl(org, admin):
    prefix = bulk.upload(org, "results", 4, extra={"broken.jpg": b"not an image at all"})
    started = bulk.started(admin, org, {"prefix": prefix, "chunkSize": 2})
    bulk.wait_until(admin, org, started["id"], lambda j: j["state"] == "done")
    url = f"{emulators.API}/orgs/{org}/jobs/{started['id']}/results"

    jsonl = requests.get(url, headers=admin.headers, timeout=30)
    assert jsonl.status_code == 200 and jsonl.headers["Content-Type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert sorted(row["path"] for row in rows) == sorted(item["path"] for item in bulk.items(org, started["id"]))
    broken = next(row for row in rows if row["path"].endswith("broken.jpg"))
    assert (broken["status"], broken["label"], broken["errorCode"]) == ("failed", None, "unsupported-image")
    assert all(row["label"] and row["errorCode"] is None for row in rows if row["status"] == "done")

    as_csv = requests.get(url, params={"format": "csv"}, headers=admin.headers, timeout=30)
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [row["path"] for row in table] == [row["path"] for row in rows]
    assert requests.get(url, params={"format": "xml"}, headers=admin.headers, timeout=30).status_code == 400


def test_an_admin_runs_a_job_from_the_cli_and_a_member_cannot(org, admin, member):
    from integration.test_admin_cli import admin as cli

    prefix = bulk.upload(org, "cli", 3)
    refused = cli("job", "start", org, prefix, "--as", member.email)
    assert refused.returncode == 1 and "Only an admin of this organisation" in refused.stdout

    started = cli("job", "start", org, prefix, "--as", admin.email, "--chunk-size", "2")
    assert started.returncode == 0, started.stdout + started.stderr
    job = json.loads(started.stdout)
    assert (job["state"], job["total"], job["chunkCount"]) == ("running", 3, 2)

    def finished():
        status = cli("job", "status", org, job["id"], "--as", admin.email)
        return json.loads(status.stdout)["state"] == "done"

    emulators.wait_for(finished, timeout_s=120, every_s=1)
    results = cli("job", "results", org, job["id"], "--as", admin.email, "--format", "csv")
    table = list(csv.DictReader(io.StringIO(results.stdout)))
    assert sorted(row["path"] for row in table) == sorted(f"{prefix}img-{i:05d}.jpg" for i in range(3))


def test_a_chunk_queued_again_under_its_name_is_already_queued():
    """The Cloud Tasks emulator never forgets a task name: the second enqueue is a 409, read as "already queued"
    (and the first succeeds although the SDK cannot parse the emulator's reply to a named task)."""
    import uuid

    from fruitclf.data import clients, tasks

    clients.reset()
    name = f"nosuchjob{uuid.uuid4().hex[:8]}-test-r1-c0"
    payload = {"org": "test", "job": "nosuchjob", "chunk": 0, "run": 1}
    assert tasks.enqueue(bulk.TASK_FUNCTION, name, payload, 60) is True
    assert tasks.enqueue(bulk.TASK_FUNCTION, name, payload, 60) is False

"""Bulk jobs' pure rules: what a job request may name, task names, progress, and the task door's payload check."""

import datetime as dt
import re

import pytest

from fruitclf import errors
from fruitclf.doors import bulk_task
from fruitclf.service import jobs


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("orgs/acme/bulk/shelf", "orgs/acme/bulk/shelf/"),
        ("orgs/acme/bulk/shelf/", "orgs/acme/bulk/shelf/"),
        ("orgs/acme/bulk/2026-12/day_1/cam.2/", "orgs/acme/bulk/2026-12/day_1/cam.2/"),
    ],
)
def test_a_prefix_is_a_folder_under_the_orgs_bulk_folder(prefix, expected):
    assert jobs._validated("acme", {"prefix": prefix}) == jobs.JobRequest("prefix", expected, 50, None, False)


@pytest.mark.parametrize(
    "prefix",
    [
        "orgs/acme/bulk/",
        "orgs/acme/bulk/../other/",
        "orgs/acme/bulk/x/../../../other/bulk/y/",
        "orgs/acme/bulk/.x/",
        "orgs/acme/bulk/x//",
        "orgs/acme-2/bulk/x/",
        "orgs/acmex/bulk/x/",
        "/orgs/acme/bulk/x/",
        "orgs/acme/bulk/x\n/",
    ],
)
def test_a_prefix_outside_the_orgs_bulk_folder_is_refused(prefix):
    with pytest.raises(errors.ApiError) as refused:
        jobs._validated("acme", {"prefix": prefix})
    assert (refused.value.status, refused.value.code) == (400, "invalid-job")


@pytest.mark.parametrize("size", [0, -1, 201, 2.0, "5", True, None])
def test_chunk_size_is_a_whole_number_from_1_to_200(size):
    with pytest.raises(errors.ApiError):
        jobs._validated("acme", {"prefix": "orgs/acme/bulk/x/", "chunkSize": size})
    assert jobs._validated("acme", {"prefix": "orgs/acme/bulk/x/", "chunkSize": 200}).chunk_size == 200


def test_the_default_chunk_size_is_a_setting(use_settings):
    use_settings(bulk_chunk_size=25)
    assert jobs._validated("acme", {"prefix": "orgs/acme/bulk/x/"}).chunk_size == 25


def test_a_reclassification_names_its_model_and_takes_no_prefix():
    request = jobs._validated("acme", {"kind": "reclassify", "modelVersion": "v2", "secondOpinion": True})
    assert request == jobs.JobRequest("reclassify", None, 50, "v2", True)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "reclassify"},
        {"kind": "reclassify", "modelVersion": "v2", "prefix": "orgs/acme/bulk/x/"},
        {"kind": "everything", "prefix": "orgs/acme/bulk/x/"},
        {"prefix": "orgs/acme/bulk/x/", "secondOpinion": "yes"},
        {"prefix": "orgs/acme/bulk/x/", "secondOpinion": 1},
    ],
)
def test_a_malformed_job_kind_or_option_is_refused(body):
    with pytest.raises(errors.ApiError) as refused:
        jobs._validated("acme", body)
    assert (refused.value.status, refused.value.code) == (400, "invalid-job")


def test_task_names_are_fixed_per_run_and_chunk_and_valid_for_cloud_tasks():
    name = jobs.task_id("acme-2", "AbC123xyz", 3, 17)
    assert name == jobs.task_id("acme-2", "AbC123xyz", 3, 17)
    assert name != jobs.task_id("acme-2", "AbC123xyz", 4, 17)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,500}", jobs.task_id("a" * 64, "b" * 20, 10**6, jobs.MAX_CHUNKS - 1))


def test_progress_counts_rate_and_time_left():
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=10)
    job = {"id": "j", "state": "running", "total": 300, "runStartedAt": started, "processedAtRunStart": 100}
    progress = jobs.with_progress(job, {"done": 140, "failed": 10, "perLabel": {"apple": 140, "lime": 0}})
    assert (progress["done"], progress["failed"], progress["pending"]) == (140, 10, 150)
    assert progress["perLabel"] == {"apple": 140}
    assert progress["perSecond"] == pytest.approx(5.0, rel=0.05)  # 50 in this run over 10 s
    assert progress["secondsLeft"] == pytest.approx(30.0, rel=0.05)


def test_a_stopped_job_has_no_rate():
    job = {"id": "j", "state": "cancelled", "total": 10, "runStartedAt": dt.datetime.now(dt.UTC)}
    assert jobs.with_progress(job, {"done": 3})["perSecond"] is None


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "x",
        [],
        {},
        {"org": "acme", "job": "j1"},
        {"org": "acme", "job": "j1", "chunk": -1},
        {"org": "acme", "job": "j1", "chunk": jobs.MAX_CHUNKS},
        {"org": "acme", "job": "j1", "chunk": True},
        {"org": "acme", "job": "j1", "chunk": 1.0},
        {"org": "acme/x", "job": "j1", "chunk": 0},
        {"org": "acme", "job": "j1/items", "chunk": 0},
        {"org": "", "job": "j1", "chunk": 0},
    ],
)
def test_the_task_door_refuses_payloads_it_did_not_queue(payload):
    assert bulk_task.on_chunk(payload) == {"outcome": "refused"}

"""One chunk of a bulk job, as the queue delivers it: classify each image not yet recorded, as the org.

A chunk may be delivered twice, retried after an instance died half way, or run beside the same chunk of a later
run (a resume): each image's outcome is written with `create` in the same commit as the job's counters, so
whatever overlaps, an image is recorded and counted once. The job's state is read again before every image, so
a cancel stops a running chunk within one image. An image's own fault (not an image, too large, gone) is its
outcome, `failed` with the reason; anything else (an outage) fails the task, and the queue retries it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

from .. import errors
from ..config import settings
from ..data import blobs, jobs
from ..data.clock import utcnow
from ..data.jobs import Document
from ..ml.model import Classifier
from . import classify, job_model, limits, opinion, orgs, reclassify, webhooks

log = logging.getLogger(__name__)


def run_chunk(org_id: str, job_id: str, chunk_no: int) -> str:
    """Process chunk `chunk_no`; returns what happened ("done", "stopped", "paused", "skipped") for the log."""
    started = time.perf_counter()
    job = jobs.read_job(org_id, job_id)
    chunk = jobs.read_chunk(org_id, job_id, chunk_no) if job else None
    if job is None or chunk is None or job["state"] != "running":
        return _logged(org_id, job_id, chunk_no, "skipped", Counter(), started)
    recorded: Counter[str] = Counter()  # outcomes this delivery wrote, by status
    if not chunk["done"]:
        already = jobs.recorded_items(org_id, job_id, chunk["paths"])
        try:
            org = orgs.config_of(org_id)
            org.require("classification")
            classifier = job_model.classifier(org, job)
        except errors.ApiError as exc:  # fixed by an admin, then resumed: no point retrying the task
            _pause(org_id, job_id, exc.code)
            return _logged(org_id, job_id, chunk_no, "paused", recorded, started)
        second_opinion = bool(job.get("secondOpinion")) and opinion.FEATURE in org.features
        for path in chunk["paths"]:
            if path in already:
                continue
            if _state(org_id, job_id) != "running":
                return _logged(org_id, job_id, chunk_no, "stopped", recorded, started)
            if not limits.take_bulk_image(org_id):
                _pause(org_id, job_id, "daily-budget")
                return _logged(org_id, job_id, chunk_no, "paused", recorded, started)
            item, counts = _outcome(job, classifier, second_opinion, path)
            if jobs.record_item(org_id, job_id, item, counts):
                recorded[item["status"]] += 1
        jobs.mark_chunk_done(org_id, job_id, chunk_no)
    finish_if_complete(org_id, job_id)
    return _logged(org_id, job_id, chunk_no, "done", recorded, started)


def _outcome(job: Document, classifier: Classifier, second_opinion: bool, path: str) -> tuple[Document, dict[str, int]]:
    """The outcome document of the item at `path` (an image in Storage, or a classification to compare with)
    and what it adds to the job's counters."""
    before = None
    try:
        if job.get("kind") == reclassify.KIND:
            before = reclassify.earlier(path)
            path_of_image = before["imagePath"]
        else:
            path_of_image = path
        data = blobs.get_at_most(path_of_image, settings().max_upload_size)
        if data is None:
            raise errors.not_found("The image was removed before the job reached it.", "image-not-found")
        answer = classify.classify_for_job(classifier, data, second_opinion)
    except errors.ApiError as exc:
        if exc.status >= 500:
            raise
        return {"path": path, "status": "failed", "error": exc.to_dict()["error"]}, {"failed": 1}
    item: Document = {"path": path, "status": "done", **answer}
    counts = {"done": 1, f"perLabel.{answer['label']}": 1}
    if before is not None:
        fields, compared = reclassify.compared(before, answer)
        item.update(fields)
        counts.update(compared)
    return item, counts


def _state(org_id: str, job_id: str) -> str | None:
    job = jobs.read_job(org_id, job_id)
    return job["state"] if job else None


def _pause(org_id: str, job_id: str, reason: str) -> None:
    paused = jobs.change_job(
        org_id, job_id, lambda job: {"state": "paused", "pausedReason": reason} if job["state"] == "running" else None
    )
    if paused is not None and paused["state"] == "paused":  # the notice's task name is per run: queued once
        webhooks.notify(org_id, paused, "paused")


def finish_if_complete(org_id: str, job_id: str) -> Document | None:
    """Mark the job done once every image has an outcome (its final counts on it, and its notice queued: once,
    the task name is per run); returns the job when it is done, None while images are left."""
    job = jobs.read_job(org_id, job_id)
    if job is None or job["state"] != "running":
        return None
    counts = jobs.job_counts(org_id, job_id)
    done, failed = int(counts.get("done", 0)), int(counts.get("failed", 0))
    if done + failed < job["total"]:
        return None
    ended = {"state": "done", "finishedAt": utcnow(), "done": done, "failed": failed}
    finished = jobs.change_job(org_id, job_id, lambda job: ended if job["state"] == "running" else None)
    if finished is not None and finished["state"] == "done":
        webhooks.notify(org_id, finished, "done")
    return finished


def _logged(org_id: str, job_id: str, chunk_no: int, outcome: str, recorded: Counter[str], started: float) -> str:
    """One line per delivery; `failed` feeds the log-based metric behind the failure-rate alert (ops/)."""
    log.info(
        {
            "event": "bulk-chunk",
            "org": org_id,
            "job": job_id,
            "chunk": chunk_no,
            "outcome": outcome,
            "done": recorded["done"],
            "failed": recorded["failed"],
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
    )
    return outcome

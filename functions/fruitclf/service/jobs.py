"""Bulk jobs: an org admin has every image under a Storage prefix the org owns classified, as the org.

start: list the prefix, fix the chunks (one task each), write the job, queue its chunks (service/bulk.py runs
them). cancel and resume change the job's state; resume queues again, under a new run number, every chunk not
yet finished. Every rule here decides on the caller first: only an admin of the org, as Auth has them now.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NoReturn

from .. import errors
from ..config import in_context, settings
from ..data import blobs, jobs, store, tasks
from ..data.clock import utcnow
from ..data.jobs import Document
from . import access, job_model, opinion, orgs, reclassify
from .bulk import finish_if_complete
from .identity import Caller

TASK_FUNCTION = "bulkchunk"  # functions/main.py; the queue is named after it (letters and digits only)
TASK_DEADLINE_S = 540  # as long as the function may run (its timeout_sec)
MAX_CHUNK_SIZE = 200
# One job's tasks: several jobs together stay below the 10,000 tasks a queue holds waiting (the emulator refuses
# more, with the same 409 as a duplicate name).
MAX_CHUNKS = 2_000
PREFIX = "prefix"  # the kind of a job over a folder of images (the other: reclassify.KIND)
LIST_LIMIT = 50
RESULTS_PAGE = 1_000
_FOLDERS = re.compile(r"(?:[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}/){1,8}")
JOB_ID = re.compile(r"[A-Za-z0-9]{1,64}")
_enqueuers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="enqueue")


@dataclass(frozen=True)
class JobRequest:
    """What a start request asks for, checked: a folder of images (kind "prefix") or the org's history
    (kind "reclassify"), with a model (None: the one serving the org) and second opinions or not."""

    kind: str
    prefix: str | None
    chunk_size: int
    model_version: str | None
    second_opinion: bool


def start(caller: Caller, org_id: str, body: Document) -> Document:
    """Start a job over the images under `body["prefix"]` (orgs/<org>/bulk/<folder>/...) or, with
    `"kind": "reclassify"`, over the org's history with `body["modelVersion"]`; `body["chunkSize"]` images a
    task; `body["secondOpinion"]` asks the vision model about the images the model is unsure of."""
    caller = access.require_admin(caller, org_id)
    request = _validated(org_id, body)
    org = orgs.config_of(org_id)
    org.require("classification")
    if request.model_version is None:
        org.require_model()
    if request.second_opinion:
        opinion.require_feature(org)
    model = job_model.chosen(org, request.model_version)
    paths = _sources(org_id, request)
    chunks = [paths[i : i + request.chunk_size] for i in range(0, len(paths), request.chunk_size)]
    if len(chunks) > MAX_CHUNKS:
        raise errors.bad_request(
            f"{len(paths)} images in chunks of {request.chunk_size} make {len(chunks)} tasks, more than "
            f"{MAX_CHUNKS}: send a chunkSize of at least {-(-len(paths) // MAX_CHUNKS)}.",
            "invalid-job",
        )
    job_id = jobs.new_job_id()
    job = jobs.create_job(
        org_id,
        job_id,
        {
            "kind": request.kind,
            "prefix": request.prefix,
            "state": "running",
            "run": 1,
            "runStartedAt": utcnow(),
            "processedAtRunStart": 0,
            "total": len(paths),
            "chunkSize": request.chunk_size,
            "chunkCount": len(chunks),
            **model,
            "secondOpinion": request.second_opinion,
            "createdBy": caller.uid,
            "pausedReason": None,
            "finishedAt": None,
        },
        chunks,
    )
    _queue(org_id, job_id, 1, range(len(chunks)))
    return with_progress(job, {})


def _sources(org_id: str, request: JobRequest) -> list[str]:
    """What the job's items name: the objects under the prefix, or the org's classifications (their paths)."""
    limit = settings().bulk_max_images
    if request.prefix is None:
        paths = store.org_history_paths(org_id, limit + 1)
        if not paths:
            raise errors.ApiError(422, "empty-history", "The organisation has no classifications to re-classify.")
    else:
        paths = [name for name in blobs.list_names(request.prefix, limit + 1) if not name.endswith("/")]
        if not paths:
            raise errors.ApiError(
                422, "empty-prefix", f"There are no objects under {request.prefix!r}: upload the images first."
            )
    if len(paths) > limit:
        raise errors.ApiError(413, "too-many-images", f"A job takes at most {limit} images; split the folder.")
    return paths


def _validated(org_id: str, body: Document) -> JobRequest:
    kind = body.get("kind", PREFIX)
    if kind not in (PREFIX, reclassify.KIND):
        raise errors.bad_request(f'kind must be "{PREFIX}" or "{reclassify.KIND}".', "invalid-job")
    unknown = (
        set(body) - {"kind", "chunkSize", "modelVersion", "secondOpinion"} - ({"prefix"} if kind == PREFIX else set())
    )
    if unknown:
        raise errors.bad_request(f"Unknown fields: {', '.join(sorted(unknown))}.", "invalid-job")
    model_version = body.get("modelVersion")
    if kind == reclassify.KIND and model_version is None:
        raise errors.bad_request("A re-classification names the modelVersion to compare with.", "invalid-job")
    second_opinion = body.get("secondOpinion", False)
    if not isinstance(second_opinion, bool):
        raise errors.bad_request("secondOpinion must be true or false.", "invalid-job")
    chunk_size = body.get("chunkSize", settings().bulk_chunk_size)
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise errors.bad_request(f"chunkSize must be a whole number from 1 to {MAX_CHUNK_SIZE}.", "invalid-job")
    prefix = _validated_prefix(org_id, body.get("prefix")) if kind == PREFIX else None
    return JobRequest(kind, prefix, chunk_size, model_version, second_opinion)


def _validated_prefix(org_id: str, prefix: object) -> str:
    root = f"orgs/{org_id}/bulk/"
    if not isinstance(prefix, str) or not prefix.startswith(root):
        raise errors.bad_request(
            f"prefix must be a folder under {root!r} (where the org's bulk images go).", "invalid-job"
        )
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    if not _FOLDERS.fullmatch(prefix[len(root) :]):
        raise errors.bad_request(
            "prefix folders are letters, digits, '.', '_' and '-' (not starting with '.'), at most 8 deep.",
            "invalid-job",
        )
    return prefix


def task_id(org_id: str, job_id: str, run: int, chunk: int) -> str:
    """A chunk's task name in one run: a duplicated enqueue is refused by the queue, and each resume (a new run)
    may queue the chunk again. The job id (random) comes first, as Cloud Tasks prefers for names."""
    return f"{job_id}-{org_id}-r{run}-c{chunk}"


def _queue(org_id: str, job_id: str, run: int, chunks: Iterable[int]) -> None:
    def put(chunk: int) -> bool:
        payload: Document = {"org": org_id, "job": job_id, "chunk": chunk, "run": run}
        return tasks.enqueue(TASK_FUNCTION, task_id(org_id, job_id, run, chunk), payload, TASK_DEADLINE_S)

    # Each in the call's settings (a thread does not inherit them; a context runs in one thread at a time).
    queued = [_enqueuers.submit(in_context(put), chunk) for chunk in chunks]
    for future in queued:
        future.result()


def get(caller: Caller, org_id: str, job_id: str) -> Document:
    access.require_admin(caller, org_id)
    return with_progress(_job(org_id, job_id), jobs.job_counts(org_id, job_id))


def results(caller: Caller, org_id: str, job_id: str) -> tuple[Document, Iterator[Document]]:
    """The job, and every outcome it has recorded so far, page by page (the caller is checked before the first
    page)."""
    access.require_admin(caller, org_id)
    return _job(org_id, job_id), _outcomes(org_id, job_id)


def _outcomes(org_id: str, job_id: str) -> Iterator[Document]:
    after = None
    while True:
        page = jobs.list_items(org_id, job_id, RESULTS_PAGE, after)
        yield from page
        if len(page) < RESULTS_PAGE:
            return
        after = page[-1]["id"]


def list_for_org(caller: Caller, org_id: str) -> list[Document]:
    """The org's latest jobs, newest first (their progress: GET one job)."""
    access.require_admin(caller, org_id)
    return jobs.list_jobs(org_id, LIST_LIMIT)


def cancel(caller: Caller, org_id: str, job_id: str) -> Document:
    """Stop a job: queued chunks find it cancelled and do nothing, running chunks stop before their next image.
    What was classified stays; resume carries on from there."""
    caller = access.require_admin(caller, org_id)
    _require_id(job_id)

    def decide(job: Document) -> Document | None:
        if job["state"] == "done":
            raise _finished()
        if job["state"] == "cancelled":
            return None
        return {"state": "cancelled", "cancelledBy": caller.uid}

    job = jobs.change_job(org_id, job_id, decide) or _raise_not_found()
    return with_progress(job, jobs.job_counts(org_id, job_id))


def resume(caller: Caller, org_id: str, job_id: str) -> Document:
    """Queue again every chunk not yet finished (after a cancel, a pause, or tasks that gave up), under a new run."""
    access.require_admin(caller, org_id)
    _require_id(job_id)
    counts = jobs.job_counts(org_id, job_id)

    def decide(job: Document) -> Document:
        if job["state"] == "done":
            raise _finished()
        return {
            "state": "running",
            "run": job["run"] + 1,
            "runStartedAt": utcnow(),
            "processedAtRunStart": processed(counts),
            "pausedReason": None,
        }

    job = jobs.change_job(org_id, job_id, decide) or _raise_not_found()
    pending = jobs.pending_chunks(org_id, job_id)
    _queue(org_id, job_id, job["run"], pending)
    if not pending:  # every chunk had finished: only the job's own last step was lost
        job = finish_if_complete(org_id, job_id) or job
    return with_progress(job, counts)


def processed(counts: Document) -> int:
    return int(counts.get("done", 0)) + int(counts.get("failed", 0))


def with_progress(job: Document, counts: Document) -> Document:
    """The job with its counts, its rate in this run and the time left at that rate."""
    done, failed = int(counts.get("done", 0)), int(counts.get("failed", 0))
    pending = max(0, job["total"] - done - failed)
    per_second = seconds_left = None
    if job["state"] == "running":
        elapsed = time.time() - job["runStartedAt"].timestamp()
        in_run = processed(counts) - job.get("processedAtRunStart", 0)
        if elapsed > 0 and in_run > 0:
            per_second = round(in_run / elapsed, 2)
            seconds_left = round(pending / per_second, 1)
    per_label = {label: n for label, n in sorted(counts.get("perLabel", {}).items()) if n > 0}
    if job.get("kind") == reclassify.KIND:
        job = {**job, "comparison": reclassify.summary(counts)}
    return {
        **job,
        "done": done,
        "failed": failed,
        "pending": pending,
        "perLabel": per_label,
        "perSecond": per_second,
        "secondsLeft": seconds_left,
    }


def _job(org_id: str, job_id: str) -> Document:
    _require_id(job_id)
    return jobs.read_job(org_id, job_id) or _raise_not_found()


def _require_id(job_id: str) -> None:
    if not JOB_ID.fullmatch(job_id):
        _raise_not_found()


def _raise_not_found() -> NoReturn:
    raise errors.not_found("This organisation has no such job.", "job-not-found")


def _finished() -> errors.ApiError:
    return errors.ApiError(409, "job-finished", "This job has finished; start a new one to classify again.")

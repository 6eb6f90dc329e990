"""Bulk jobs in Firestore: what a job is, which images each chunk holds, and one outcome per image.

orgs/<orgId>/jobs/<jobId>                 the job: prefix, state, run, total, chunkCount, chunkSize, who, when
orgs/<orgId>/jobs/<jobId>/chunks/<n>      the Storage paths of chunk n (fixed when the job starts) and `done`
orgs/<orgId>/jobs/<jobId>/items/<itemId>  one image's outcome (done with the model's answer, or failed with a
                                          reason); the id is derived from the path, so an image is recorded once
orgs/<orgId>/jobs/<jobId>/counters/...    done/failed/perLabel, sharded (data/sharded.py), written in the same
                                          commit as each item: the counts can never disagree with the items
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from .clients import firestore_client, run_transaction
from .clock import utcnow
from .sharded import ShardedCounter, increments, org_shards

# A job, a chunk or an outcome as stored (with its `id` when read); the fields are listed above and in
# service/jobs.py, which writes them.
Document = dict[str, Any]

BATCH_WRITES = 400  # Firestore allows 500 writes per batch


UNFINISHED = ("running", "paused")  # a paused job resumes with the model it recorded


def _jobs(org_id: str) -> firestore.CollectionReference:
    return firestore_client().collection("orgs", org_id, "jobs")


def _job(org_id: str, job_id: str) -> firestore.DocumentReference:
    return _jobs(org_id).document(job_id)


def _counts(org_id: str, job_id: str) -> ShardedCounter:
    return ShardedCounter(("orgs", org_id, "jobs", job_id, "counters"), "shard", org_shards())


def new_job_id() -> str:
    job_id: str = _jobs("_").document().id
    return job_id


def item_id(path: str) -> str:
    """The outcome document of the image at `path`: the same image always maps to the same document."""
    return "i" + hashlib.sha256(path.encode()).hexdigest()[:27]


def create_job(org_id: str, job_id: str, job: Document, chunks: list[list[str]]) -> Document:
    """Write the chunks, then the job document (last: a job that exists always has all its chunks)."""
    ref = _job(org_id, job_id)
    writes = [
        (ref.collection("chunks").document(str(n)), {"paths": paths, "done": False}) for n, paths in enumerate(chunks)
    ]
    for start in range(0, len(writes), BATCH_WRITES):
        batch = firestore_client().batch()
        for doc_ref, doc in writes[start : start + BATCH_WRITES]:
            batch.set(doc_ref, doc)
        batch.commit()
    doc = {**job, "createdAt": utcnow(), "updatedAt": utcnow()}
    ref.create(doc)
    return {"id": job_id, **doc}


def read_job(org_id: str, job_id: str) -> Document | None:
    snapshot = _job(org_id, job_id).get()
    return {"id": job_id, **(snapshot.to_dict() or {})} if snapshot.exists else None


def list_jobs(org_id: str, limit: int) -> list[Document]:
    query = _jobs(org_id).order_by("createdAt", direction=firestore.Query.DESCENDING).limit(limit)
    return [{"id": s.id, **(s.to_dict() or {})} for s in query.stream()]


def unfinished_with_version(org_id: str, version: str) -> list[str]:
    """Ids of the org's jobs recorded with model `version` that may still classify (running, or paused and
    resumable). Filtered here rather than in the query: one equality needs no composite index."""
    query = _jobs(org_id).where(filter=FieldFilter("modelVersion", "==", version)).select(["state"])
    return [s.id for s in query.stream() if (s.to_dict() or {}).get("state") in UNFINISHED]


def change_job(org_id: str, job_id: str, decide: Callable[[Document], Document | None]) -> Document | None:
    """Read the job in a transaction; `decide(job)` returns the fields to change (None: no change, or it raises).
    Returns the job as it now is, None when there is no such job."""
    ref = _job(org_id, job_id)

    @firestore.transactional
    def run(transaction: firestore.Transaction) -> Document | None:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            return None
        job: Document = {"id": job_id, **(snapshot.to_dict() or {})}
        fields = decide(job)
        if fields:
            fields = {**fields, "updatedAt": utcnow()}
            transaction.update(ref, fields)
            job.update(fields)
        return job

    changed: Document | None = run_transaction(run)
    return changed


def read_chunk(org_id: str, job_id: str, chunk: int) -> Document | None:
    snapshot = _job(org_id, job_id).collection("chunks").document(str(chunk)).get()
    return {**(snapshot.to_dict() or {})} if snapshot.exists else None


def pending_chunks(org_id: str, job_id: str) -> list[int]:
    """The chunks not yet finished, in order."""
    chunks = _job(org_id, job_id).collection("chunks").where("done", "==", False).select([]).stream()
    return sorted(int(s.id) for s in chunks)


def mark_chunk_done(org_id: str, job_id: str, chunk: int) -> None:
    _job(org_id, job_id).collection("chunks").document(str(chunk)).update({"done": True})


def recorded_items(org_id: str, job_id: str, paths: list[str]) -> set[str]:
    """Which of `paths` already have an outcome (one round trip for a whole chunk)."""
    items = _job(org_id, job_id).collection("items")
    refs = [items.document(item_id(path)) for path in paths]
    return {s.get("path") for s in firestore_client().get_all(refs, field_paths=["path"]) if s.exists}


def record_item(org_id: str, job_id: str, item: Document, counts: dict[str, int]) -> bool:
    """Write one image's outcome and add `counts` to the job's counters in one commit. False when the image
    already has an outcome (a retried or duplicated task): then nothing at all is written."""
    batch = firestore_client().batch()
    batch.create(_job(org_id, job_id).collection("items").document(item_id(item["path"])), {**item, "at": utcnow()})
    _counts(org_id, job_id).add(increments(counts), batch)
    try:
        batch.commit()
    except gexc.AlreadyExists:
        return False
    return True


def job_counts(org_id: str, job_id: str) -> Document:
    return _counts(org_id, job_id).total()


def list_items(org_id: str, job_id: str, limit: int, after: str | None = None) -> list[Document]:
    """Outcomes in id order, `limit` at a time after the item id `after` (for exports)."""
    query = _job(org_id, job_id).collection("items").order_by("__name__").limit(limit)
    if after:
        query = query.start_after({"__name__": _job(org_id, job_id).collection("items").document(after)})
    return [{"id": s.id, **(s.to_dict() or {})} for s in query.stream()]

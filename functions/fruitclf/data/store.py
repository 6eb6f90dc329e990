"""Firestore data access: the one place that knows collection paths and document shapes.

users/<uid>/classifications/<id>   one result (written only by the server)
users/<uid>/counters/summary       the user's aggregates, maintained in the same commit as each write
users/<uid>/uploadErrors/<id>      why a mobile upload could not be classified
orgs/<orgId>/counters/shard-<n>     the organisation's aggregates
(org documents live in orgs.py, rate-limit windows in ratelimits.py, ops figures in ops.py)
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable
from typing import Any, NotRequired, TypedDict, cast

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from .. import errors
from . import counters
from .clients import Writer, firestore_client, run_transaction
from .clock import utcnow
from .sharded import ShardedCounter, org_shards


class Feedback(TypedDict):
    correct: bool  # whether `label` is what the model answered
    label: str
    at: dt.datetime


class SecondOpinion(TypedDict):
    """The vision model's answer (service/opinion.py); `label` None with a `note` saying why there is none."""

    label: str | None
    confidence: float | None
    model: str
    note: str | None


class Answer(TypedDict):
    """The model's answer, as every stored result holds it (a classification, a bulk job's outcome)."""

    label: str
    confidence: float
    topk: list[dict[str, Any]]  # [{"label", "p"}], most likely first
    abstained: bool
    modelVersion: str


class JobAnswer(Answer):
    """A bulk job's answer for one image: the model's, and the vision model's when the job asked for them."""

    secondOpinion: NotRequired[SecondOpinion | None]


class Classification(Answer):
    """users/<uid>/classifications/<id>, as written; as read it also carries its `id` (and, in a feedback
    export, its owner's `uid`)."""

    imagePath: str
    source: str
    org: str | None
    feedback: Feedback | None
    secondOpinion: SecondOpinion | None
    createdAt: dt.datetime
    timings: NotRequired[dict[str, float]]
    uploadPath: NotRequired[str]
    hasFeedback: NotRequired[bool]
    id: NotRequired[str]
    uid: NotRequired[str]


def _read(snapshot: Any, **extra: str) -> Classification:
    return cast(Classification, {"id": snapshot.id, **extra, **snapshot.to_dict()})


# A write that failed with one of these may still be applied: the request may have reached Firestore (a
# timeout, a lost connection), so its outcome is unknown until the same write is tried again.
OUTCOME_UNKNOWN = (
    gexc.DeadlineExceeded,
    gexc.ServiceUnavailable,
    gexc.InternalServerError,
    gexc.Unknown,
    gexc.RetryError,
)
_DOC_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def classifications(uid: str) -> firestore.CollectionReference:
    return firestore_client().collection("users", uid, "classifications")


def user_summary(uid: str) -> firestore.DocumentReference:
    return firestore_client().document("users", uid, "counters", "summary")


def org_aggregates(org_id: str) -> ShardedCounter:
    # Spread an organisation's writes over shards so one hot document is not the bottleneck.
    return ShardedCounter(("orgs", org_id, "counters"), "shard", org_shards())


def new_id() -> str:
    return str(classifications("_").document().id)


def _add_to_aggregates(writer: Writer, uid: str, org_id: str | None, delta: counters.Delta) -> None:
    """Add `delta` to the user's (and their org's) aggregates in the same batch or transaction as the change
    (the figures per model only to the org's: its dashboard compares versions, a user's does not)."""
    writer.set(user_summary(uid), {k: v for k, v in delta.items() if k != "perModel"}, merge=True)
    if org_id:
        org_aggregates(org_id).add(delta, writer)


def create_classification(uid: str, doc_id: str, doc: Classification) -> bool:
    """Write the result and its aggregates atomically. False when the id already exists (a replay, or an
    earlier attempt of this same write that landed: exactly one create of an id succeeds, so after an
    OUTCOME_UNKNOWN error calling this again settles whether the document is there)."""
    batch = firestore_client().batch()
    batch.create(classifications(uid).document(doc_id), dict(doc))
    _add_to_aggregates(batch, uid, doc.get("org"), counters.for_classification(doc, sign=+1))
    try:
        batch.commit()
    except gexc.AlreadyExists:
        return False
    return True


def _not_found(doc_id: str) -> errors.ApiError:
    return errors.not_found(f"No classification {doc_id[:80]!r} in your history.")


def _existing_ref(uid: str, doc_id: str) -> firestore.DocumentReference:
    # Ids come from URLs: anything that is not an id we issue is simply not found (no odd paths reach Firestore).
    if not _DOC_ID.fullmatch(doc_id):
        raise _not_found(doc_id)
    return classifications(uid).document(doc_id)


def get_classification(uid: str, doc_id: str) -> Classification:
    doc = find_classification(uid, doc_id)
    if doc is None:
        raise _not_found(doc_id)
    return doc


def find_classification(uid: str, doc_id: str) -> Classification | None:
    """The classification, or None when there is none (one read: replays and retries ask this first)."""
    snapshot = _existing_ref(uid, doc_id).get()
    return _read(snapshot) if snapshot.exists else None


# A change to one classification inside a transaction: (transaction, ref, the document) -> (aggregate delta,
# the document as it now is).
Change = Callable[[Any, Any, Classification], tuple[counters.Delta, Classification]]


def _change(uid: str, doc_id: str, apply: Change) -> Classification:
    """Read a classification in a transaction; `apply(transaction, ref, doc)` writes the change and returns
    (aggregate delta, the document as it now is), and the delta lands in the same transaction."""
    ref = _existing_ref(uid, doc_id)

    @firestore.transactional
    def run(transaction: Any) -> Classification:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            raise _not_found(doc_id)
        doc = cast(Classification, snapshot.to_dict())
        delta, result = apply(transaction, ref, doc)
        _add_to_aggregates(transaction, uid, doc.get("org"), delta)
        return cast(Classification, {"id": doc_id, **result})

    return cast(Classification, run_transaction(run))


def delete_classification(uid: str, doc_id: str) -> Classification:
    """Delete the document and take it out of the aggregates; returns what was deleted."""

    def apply(transaction: Any, ref: Any, doc: Classification) -> tuple[counters.Delta, Classification]:
        transaction.delete(ref)
        return counters.for_classification(doc, sign=-1), doc

    return _change(uid, doc_id, apply)


def set_feedback(uid: str, doc_id: str, feedback: Feedback) -> Classification:
    def apply(transaction: Any, ref: Any, doc: Classification) -> tuple[counters.Delta, Classification]:
        transaction.update(ref, {"feedback": feedback, "hasFeedback": True})
        return counters.for_feedback(doc, feedback), {**doc, "feedback": feedback}

    return _change(uid, doc_id, apply)


def set_second_opinion(uid: str, doc_id: str, opinion: SecondOpinion) -> None:
    classifications(uid).document(doc_id).update({"secondOpinion": opinion})


def encode_cursor(doc_id: str) -> str:
    return base64.urlsafe_b64encode(doc_id.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        doc_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        doc_id = ""
    if not _DOC_ID.fullmatch(doc_id):
        raise errors.bad_request("The cursor is not one this API gave out.", "invalid-cursor")
    return doc_id


def list_classifications(uid: str, limit: int, cursor: str | None) -> tuple[list[Classification], str | None]:
    query = classifications(uid).order_by("createdAt", direction=firestore.Query.DESCENDING)
    if cursor:
        doc_id = _decode_cursor(cursor)
        after = classifications(uid).document(doc_id).get()
        if not after.exists:
            raise errors.bad_request(
                "The cursor points at an item that no longer exists; start again without it.", "invalid-cursor"
            )
        query = query.start_after(after)
    # One extra item tells whether there is a next page without a second query.
    snapshots = list(query.limit(limit + 1).stream())
    items = [_read(s) for s in snapshots[:limit]]
    next_cursor = encode_cursor(items[-1]["id"]) if len(snapshots) > limit else None
    return items, next_cursor


def feedback_examples(uid: str | None = None, org_id: str | None = None, limit: int = 10_000) -> list[Classification]:
    """Classifications with feedback, newest first: one user's, or (collection group) a whole org's.
    Both queries have composite indexes in firestore.indexes.json."""
    query: firestore.Query | firestore.CollectionReference
    if org_id:
        query = firestore_client().collection_group("classifications").where("org", "==", org_id)
    elif uid is not None:
        query = classifications(uid)
    else:
        raise ValueError("feedback_examples needs a uid or an org id")
    query = query.where("hasFeedback", "==", True).order_by("createdAt", direction=firestore.Query.DESCENDING)
    return [_read(s, uid=s.reference.parent.parent.id) for s in query.limit(limit).stream()]


def org_history_paths(org_id: str, limit: int) -> list[str]:
    """The document paths (users/<uid>/classifications/<id>) of every classification made in the org, at most
    `limit`, in path order (a collection-group query on `org`: its index is in firestore.indexes.json)."""
    query = (
        firestore_client().collection_group("classifications").where(filter=FieldFilter("org", "==", org_id)).select([])
    )
    return [s.reference.path for s in query.limit(limit).stream()]


def classification_at(path: str) -> Classification | None:
    """The classification at a path from `org_history_paths` (None once it is deleted)."""
    snapshot = firestore_client().document(path).get()
    return _read(snapshot) if snapshot.exists else None


def record_upload_error(uid: str, doc_id: str, upload_path: str, error: errors.ApiError) -> None:
    firestore_client().document("users", uid, "uploadErrors", doc_id).set(
        {"uploadPath": upload_path, "error": error.to_dict()["error"], "createdAt": utcnow()}
    )


def read_summary(uid: str) -> counters.Summary:
    snapshot = user_summary(uid).get()
    return cast(counters.Summary, snapshot.to_dict()) if snapshot.exists else {}


def read_org_summary(org_id: str) -> counters.Summary:
    return cast(counters.Summary, org_aggregates(org_id).total())

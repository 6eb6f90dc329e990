"""The caller's history: list, read, delete, the stored image, and feedback."""

from __future__ import annotations

from flask import Blueprint, Response, request

from .. import blobs, errors, present, store
from ..auth import current_caller
from ..model import get_classifier

bp = Blueprint("history", __name__)

MAX_PAGE = 100


@bp.get("/classifications")
def list_classifications():
    caller = current_caller()
    raw_limit = request.args.get("limit", "20")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_PAGE:
        raise errors.bad_request(f"limit must be a whole number from 1 to {MAX_PAGE}.", "invalid-limit")
    items, next_cursor = store.list_classifications(caller.uid, int(raw_limit), request.args.get("cursor") or None)
    return {"items": [present.classification(doc) for doc in items], "nextCursor": next_cursor}


@bp.get("/classifications/<doc_id>")
def get_classification(doc_id: str):
    return present.classification(store.get_classification(current_caller().uid, doc_id))


@bp.delete("/classifications/<doc_id>")
def delete_classification(doc_id: str):
    doc = store.delete_classification(current_caller().uid, doc_id)
    blobs.delete_quietly(doc["imagePath"])
    return Response(status=204)


@bp.get("/classifications/<doc_id>/image")
def image(doc_id: str):
    doc = store.get_classification(current_caller().uid, doc_id)
    response = Response(blobs.get(doc["imagePath"]), mimetype="image/jpeg")
    # Private to this user: browsers may keep it, shared caches may not.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/classifications/<doc_id>/feedback")
def feedback(doc_id: str):
    caller = current_caller()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise errors.bad_request('Send JSON {"correct": true} or {"label": "<a model label>"}.', "invalid-json")
    doc = store.get_classification(caller.uid, doc_id)
    if body.get("correct") is True:
        entry = {"correct": True, "label": doc["label"]}
    elif isinstance(body.get("label"), str):
        labels = get_classifier(doc.get("modelVersion")).labels if doc.get("modelVersion") else get_classifier().labels
        if body["label"] not in labels:
            raise errors.bad_request(f"Unknown label {body['label']!r}: use one of the model's labels (GET /api/model).", "unknown-label")
        model_answer = "not_fruit" if doc["abstained"] else doc["label"]
        entry = {"correct": body["label"] == model_answer, "label": body["label"]}
    else:
        raise errors.bad_request('Send JSON {"correct": true} or {"label": "<a model label>"}.', "invalid-feedback")
    entry["at"] = store.utcnow()
    return present.classification(store.set_feedback(caller.uid, doc_id, entry))

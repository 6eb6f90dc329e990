"""The caller's history: list, read, delete, the stored image, and feedback."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ...service import history
from ..auth import current_caller
from ..bodies import json_object
from ..present import classification

bp = Blueprint("history", __name__)


@bp.get("/classifications")
def list_classifications():
    raw_limit = request.args.get("limit", "20")
    # ASCII digits only ('²' passes isdigit), and few of them (int() raises past 4,300 digits); 0 is refused by the
    # service like any other limit out of range.
    is_number = raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 6
    limit = int(raw_limit) if is_number else 0
    items, next_cursor = history.page(current_caller().uid, limit, request.args.get("cursor") or None)
    return {"items": [classification(doc) for doc in items], "nextCursor": next_cursor}


@bp.get("/classifications/<doc_id>")
def get_classification(doc_id: str):
    return classification(history.get(current_caller().uid, doc_id))


@bp.delete("/classifications/<doc_id>")
def delete_classification(doc_id: str):
    history.delete(current_caller().uid, doc_id)
    return Response(status=204)


@bp.get("/classifications/<doc_id>/image")
def image(doc_id: str):
    response = Response(history.image(current_caller().uid, doc_id), mimetype="image/jpeg")
    # Private to this user: browsers may keep it, shared caches may not.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/classifications/<doc_id>/labels")
def correction_labels(doc_id: str):
    return {"labels": history.correction_labels(current_caller(), doc_id)}


@bp.post("/classifications/<doc_id>/feedback")
def feedback(doc_id: str):
    caller = current_caller()
    body = json_object('Send JSON {"correct": true} or {"label": "<a model label>"}.')
    label = body.get("label") if isinstance(body.get("label"), str) else None
    return classification(history.give_feedback(caller, doc_id, correct=body.get("correct") is True, label=label))

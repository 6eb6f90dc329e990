"""GET /api/feedback/export: examples people corrected or confirmed, for retraining (CSV or JSONL)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, request

from ... import errors
from ...service import history
from ..auth import current_caller
from ..present import classification
from ..tables import download, requested_format

bp = Blueprint("export", __name__)

COLUMNS = (
    "id",
    "uid",
    "imagePath",
    "modelLabel",
    "correctedLabel",
    "correct",
    "confidence",
    "modelVersion",
    "createdAt",
    "feedbackAt",
)


def _row(doc: Mapping[str, Any]) -> dict[str, Any]:
    shaped = classification(doc)
    feedback = shaped["feedback"] or {}
    return {
        "id": doc["id"],
        "uid": doc["uid"],
        "imagePath": doc["imagePath"],
        "modelLabel": doc["label"],
        "correctedLabel": feedback.get("label"),
        "correct": feedback.get("correct"),
        "confidence": doc["confidence"],
        "modelVersion": doc.get("modelVersion"),
        "createdAt": shaped["createdAt"],
        "feedbackAt": feedback.get("at"),
    }


@bp.get("/feedback/export")
def export():
    caller = current_caller()
    scope = request.args.get("scope", "me")
    fmt = requested_format()
    if scope not in ("me", "org"):
        raise errors.bad_request("scope must be me or org.", "invalid-scope")
    docs = history.feedback_examples(caller, whole_org=scope == "org")
    return download([_row(doc) for doc in docs], COLUMNS, fmt, f"feedback-{scope}")

"""GET /api/feedback/export: examples people corrected or confirmed, for retraining (CSV or JSONL)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, request

from ... import errors
from ...service import history
from ..auth import current_caller
from ..present import classification

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
    fmt = request.args.get("format", "jsonl")
    if fmt not in ("jsonl", "csv"):
        raise errors.bad_request("format must be jsonl or csv.", "invalid-format")
    if scope not in ("me", "org"):
        raise errors.bad_request("scope must be me or org.", "invalid-scope")
    docs = history.feedback_examples(caller, whole_org=scope == "org")
    rows = [_row(doc) for doc in docs]
    if fmt == "jsonl":
        body, mimetype = "".join(json.dumps(row) + "\n" for row in rows), "application/x-ndjson"
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        body, mimetype = out.getvalue(), "text/csv"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="feedback-{scope}.{fmt}"'
    return response

"""Shape stored documents for API responses (timestamps as ISO 8601, a URL for the image)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

PUBLIC_FIELDS = (
    "label",
    "confidence",
    "topk",
    "abstained",
    "modelVersion",
    "imagePath",
    "source",
    "org",
    "timings",
    "feedback",
    "secondOpinion",
    "createdAt",
)


def json_value(value: Any) -> Any:
    """A stored value as JSON shows it: timestamps in ISO 8601 (UTC), inside dicts and lists too."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    return value


def classification(doc: Mapping[str, Any]) -> dict[str, Any]:
    body = {"id": doc["id"], **{field: json_value(doc.get(field)) for field in PUBLIC_FIELDS}}
    body["imageUrl"] = f"/api/classifications/{doc['id']}/image"
    return body


JOB_FIELDS = (
    "prefix",
    "state",
    "pausedReason",
    "total",
    "done",
    "failed",
    "pending",
    "perLabel",
    "perSecond",
    "secondsLeft",
    "chunkSize",
    "chunkCount",
    "run",
    "modelId",
    "createdBy",
    "createdAt",
    "finishedAt",
)


def job(doc: dict) -> dict:
    """A bulk job; a listed job carries no counts (read the job itself for its progress)."""
    return {"id": doc["id"], **{field: json_value(doc[field]) for field in JOB_FIELDS if field in doc}}


JOB_RESULT_COLUMNS = ("path", "status", "label", "confidence", "abstained", "modelVersion", "errorCode", "errorMessage")


def job_result(item: dict) -> dict:
    """One image's outcome as a row of a job's results (a failed image has no label, a done one no error)."""
    error = item.get("error") or {}
    return {
        "path": item["path"],
        "status": item["status"],
        "label": item.get("label"),
        "confidence": item.get("confidence"),
        "abstained": item.get("abstained"),
        "modelVersion": item.get("modelVersion"),
        "errorCode": error.get("code"),
        "errorMessage": error.get("message"),
    }

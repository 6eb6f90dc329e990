"""Shape stored documents for API responses (timestamps as ISO 8601, a URL for the image)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
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
    "kind",
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
    "modelVersion",
    "secondOpinion",
    "comparison",
    "createdBy",
    "createdAt",
    "updatedAt",
    "finishedAt",
)


def job(doc: dict) -> dict:
    """A bulk job; a listed job carries no counts (read the job itself for its progress)."""
    return {"id": doc["id"], **{field: json_value(doc[field]) for field in JOB_FIELDS if field in doc}}


JOB_RESULT_COLUMNS = (
    "path",
    "status",
    "label",
    "confidence",
    "abstained",
    "modelVersion",
    "secondOpinionLabel",
    "errorCode",
    "errorMessage",
)
# A re-classification's rows also hold the stored answer they were compared with, and the user's feedback.
COMPARISON_COLUMNS = (
    *JOB_RESULT_COLUMNS[:7],
    "previousLabel",
    "previousConfidence",
    "previousModelVersion",
    "changed",
    "feedbackLabel",
    *JOB_RESULT_COLUMNS[7:],
)


def job_results(job: dict, items: Iterable[dict]) -> tuple[tuple[str, ...], Iterator[dict]]:
    """A job's outcomes as rows, with the columns of its kind."""
    if job.get("kind") == "reclassify":
        return COMPARISON_COLUMNS, (job_result(item, compared=True) for item in items)
    return JOB_RESULT_COLUMNS, (job_result(item) for item in items)


def job_result(item: dict, compared: bool = False) -> dict:
    """One outcome as a row of a job's results (a failed image has no label, a done one no error)."""
    error = item.get("error") or {}
    previous = item.get("previous") or {}
    row = {
        "path": item["path"],
        "status": item["status"],
        "label": item.get("label"),
        "confidence": item.get("confidence"),
        "abstained": item.get("abstained"),
        "modelVersion": item.get("modelVersion"),
        "secondOpinionLabel": (item.get("secondOpinion") or {}).get("label"),
        "errorCode": error.get("code"),
        "errorMessage": error.get("message"),
    }
    if compared:
        row.update(
            {
                "previousLabel": previous.get("label"),
                "previousConfidence": previous.get("confidence"),
                "previousModelVersion": previous.get("modelVersion"),
                "changed": item.get("changed"),
                "feedbackLabel": item.get("feedbackLabel"),
            }
        )
    return row

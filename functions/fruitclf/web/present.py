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

"""Aggregates kept beside the data, so a stats read costs one document (a handful for an organisation).

A summary document is a `Summary` (below). Writers add signed deltas (Firestore increments) in the same commit as the document they describe.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping
from typing import Any, TypedDict

from google.cloud.firestore import Increment

HISTOGRAM_BINS = 10
# Upper edges (ms) of a latency histogram's buckets (the ops figures' and each model's); the last is open-ended.
LATENCY_EDGES_MS = (
    10,
    20,
    30,
    40,
    50,
    60,
    70,
    80,
    100,
    125,
    150,
    200,
    250,
    300,
    400,
    500,
    750,
    1000,
    1500,
    2000,
    3000,
    5000,
    10000,
)


def latency_bucket(ms: float) -> str:
    return str(bisect.bisect_left(LATENCY_EDGES_MS, ms))


class ModelSummary(TypedDict, total=False):
    """One model's share of a summary, under its `modelVersion` (an org version "<org>/<v>" or a shipped id)."""

    requests: int
    abstained: int
    feedbackN: int
    feedbackCorrect: int
    latencyHist: dict[str, int]  # the classification's own time (decode, infer, store), by LATENCY_EDGES_MS


class Summary(TypedDict, total=False):
    """A user's or an org's aggregates as read (an empty one has no fields yet)."""

    total: int
    abstained: int
    confidenceSum: float
    perLabel: dict[str, int]
    perDay: dict[str, int]
    confidenceHist: dict[str, int]
    feedbackN: int
    feedbackCorrect: int
    perModel: dict[str, ModelSummary]


# A signed change to a summary: Firestore Increments, some in maps (perLabel, perDay, confidenceHist).
Delta = dict[str, Any]


def _day(value: object) -> str:
    when = value if isinstance(value, dt.datetime) else dt.datetime.now(dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d")


def confidence_bin(confidence: float) -> str:
    return str(min(HISTOGRAM_BINS - 1, max(0, int(confidence * HISTOGRAM_BINS))))


def feedback_counts(feedback: Mapping[str, Any] | None) -> tuple[int, int]:
    """(given, correct) for one document's feedback."""
    if not feedback:
        return 0, 0
    return 1, int(bool(feedback.get("correct")))


def _model(doc: Mapping[str, Any]) -> str:
    return str(doc.get("modelVersion") or "unknown")


def for_classification(doc: Mapping[str, Any], sign: int) -> Delta:
    given, correct = feedback_counts(doc.get("feedback"))
    per_model: Delta = {
        "requests": Increment(sign),
        "abstained": Increment(sign * int(bool(doc["abstained"]))),
        "feedbackN": Increment(sign * given),
        "feedbackCorrect": Increment(sign * correct),
    }
    if "total" in doc.get("timings", {}):
        per_model["latencyHist"] = {latency_bucket(doc["timings"]["total"]): Increment(sign)}
    return {
        "total": Increment(sign),
        "abstained": Increment(sign * int(bool(doc["abstained"]))),
        "confidenceSum": Increment(sign * float(doc["confidence"])),
        "perLabel": {doc["label"]: Increment(sign)},
        "perDay": {_day(doc.get("createdAt")): Increment(sign)},
        "confidenceHist": {confidence_bin(doc["confidence"]): Increment(sign)},
        "feedbackN": Increment(sign * given),
        "feedbackCorrect": Increment(sign * correct),
        "perModel": {_model(doc): per_model},
    }


def for_feedback(doc: Mapping[str, Any], new: Mapping[str, Any]) -> Delta:
    """The change when `doc` (as it was) gets the feedback `new`."""
    old_given, old_correct = feedback_counts(doc.get("feedback"))
    new_given, new_correct = feedback_counts(new)
    change = {"feedbackN": Increment(new_given - old_given), "feedbackCorrect": Increment(new_correct - old_correct)}
    return {**change, "perModel": {_model(doc): dict(change)}}

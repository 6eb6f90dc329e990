"""Aggregates kept beside the data, so a stats read costs one document (a handful for an organisation).

A summary document is a `Summary` (below). Writers add signed deltas (Firestore increments) in the same commit as the document they describe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypedDict

from google.cloud.firestore import Increment

HISTOGRAM_BINS = 10


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


def for_classification(doc: Mapping[str, Any], sign: int) -> Delta:
    given, correct = feedback_counts(doc.get("feedback"))
    return {
        "total": Increment(sign),
        "abstained": Increment(sign * int(bool(doc["abstained"]))),
        "confidenceSum": Increment(sign * float(doc["confidence"])),
        "perLabel": {doc["label"]: Increment(sign)},
        "perDay": {_day(doc.get("createdAt")): Increment(sign)},
        "confidenceHist": {confidence_bin(doc["confidence"]): Increment(sign)},
        "feedbackN": Increment(sign * given),
        "feedbackCorrect": Increment(sign * correct),
    }


def for_feedback(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Delta:
    old_given, old_correct = feedback_counts(old)
    new_given, new_correct = feedback_counts(new)
    return {"feedbackN": Increment(new_given - old_given), "feedbackCorrect": Increment(new_correct - old_correct)}

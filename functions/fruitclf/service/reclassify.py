"""Re-classification of an org's history with another model: each stored classification beside the new answer.

A re-classification job (service/jobs.py, kind "reclassify") lists the org's classifications when it starts;
each chunk reads one classification and its stored image, classifies it again with the job's model and records
both answers on the job's outcome. The classification itself is never changed. The job's counters add up the
comparison: how many answers stayed or changed (and from what to what), and, where a user gave feedback, how
often each model named the label the user confirmed.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..data import store
from ..data.store import Answer, Classification
from .history import model_said

KIND = "reclassify"


def earlier(path: str) -> Classification:
    """The stored classification a job item names (404 `classification-gone` once its user deleted it)."""
    doc = store.classification_at(path)
    if doc is None:
        raise errors.not_found("The classification was deleted before the job reached it.", "classification-gone")
    return doc


def compared(before: Classification, after: Answer) -> tuple[dict[str, Any], dict[str, int]]:
    """The outcome's comparison fields and what they add to the job's counters."""
    old, new = model_said(before), model_said(after)
    feedback = before.get("feedback") or None
    truth = feedback["label"] if feedback else None
    fields = {
        "previous": {
            "label": before["label"],
            "confidence": before["confidence"],
            "abstained": before["abstained"],
            "modelVersion": before.get("modelVersion"),
        },
        "changed": old != new,
        "feedbackLabel": truth,
    }
    counts = {"compared.changed": 1, f"changes.{old}>{new}": 1} if old != new else {"compared.same": 1}
    if truth is not None:
        counts.update({"feedback.items": 1, "feedback.previousRight": int(old == truth)})
        counts["feedback.newRight"] = int(new == truth)
    return fields, counts


def summary(counts: dict[str, Any]) -> dict[str, Any]:
    """The comparison so far: agreement rate, the label changes (most frequent first) and agreement with feedback."""
    same = int(counts.get("compared", {}).get("same", 0))
    changed = int(counts.get("compared", {}).get("changed", 0))
    changes = [
        {"from": key.split(">", 1)[0], "to": key.split(">", 1)[1], "count": int(n)}
        for key, n in counts.get("changes", {}).items()
        if n > 0
    ]
    feedback = counts.get("feedback", {})
    return {
        "same": same,
        "changed": changed,
        "agreement": round(same / (same + changed), 4) if same + changed else None,
        "changes": sorted(changes, key=lambda c: (-c["count"], c["from"], c["to"])),
        "feedback": {
            "items": int(feedback.get("items", 0)),
            "previousRight": int(feedback.get("previousRight", 0)),
            "newRight": int(feedback.get("newRight", 0)),
        },
    }

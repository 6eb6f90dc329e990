"""Analytics: a user's own figures, and an organisation's (with its ops figures) for its admins."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..data import store
from ..data.counters import HISTOGRAM_BINS, Summary
from . import access, monitoring, orgs
from .identity import Caller

STATS_DAYS = 30


def for_user(caller: Caller) -> dict[str, Any]:
    orgs.config_for(caller).require("analytics")
    return to_stats(store.read_summary(caller.uid))


def for_org(caller: Caller, org_id: str) -> dict[str, Any]:
    access.require_admin(caller, org_id)
    orgs.config_for(caller).require("analytics")
    summary = store.read_org_summary(org_id)
    ops = {"perDay": monitoring.daily(orgs.key(org_id))}
    return {**to_stats(summary), "models": per_model(summary), "ops": ops}


def per_model(summary: Summary) -> list[dict[str, Any]]:
    """Each model's figures side by side, most used first: classifications it made (in the history now),
    abstain rate, accuracy by its users' feedback, and latency p50/p95 (ms, a bucket's upper edge) of the
    classification itself (decode, model, store)."""
    rows: list[dict[str, Any]] = []
    for model, figures in summary.get("perModel", {}).items():
        requests = max(0, int(figures.get("requests", 0)))
        given, correct = max(0, int(figures.get("feedbackN", 0))), max(0, int(figures.get("feedbackCorrect", 0)))
        hist = figures.get("latencyHist", {})
        rows.append(
            {
                "model": model,
                "requests": requests,
                "abstainRate": round(figures.get("abstained", 0) / requests, 4) if requests else None,
                "feedback": _feedback(given, correct),
                "latencyMs": {"p50": monitoring.percentile(hist, 0.50), "p95": monitoring.percentile(hist, 0.95)},
            }
        )
    used = [row for row in rows if row["requests"] or row["feedback"]["n"]]
    return sorted(used, key=lambda row: -int(row["requests"]))


def to_stats(summary: Summary, today: dt.date | None = None) -> dict[str, Any]:
    """The API's view of a summary: the last STATS_DAYS days, rates and means."""
    today = today or dt.datetime.now(dt.UTC).date()
    total = int(summary.get("total", 0))
    per_day = summary.get("perDay", {})
    days = [(today - dt.timedelta(days=offset)).isoformat() for offset in range(STATS_DAYS - 1, -1, -1)]
    hist = summary.get("confidenceHist", {})
    given, correct = int(summary.get("feedbackN", 0)), int(summary.get("feedbackCorrect", 0))
    return {
        "total": total,
        "perLabel": {label: n for label, n in sorted(summary.get("perLabel", {}).items()) if n > 0},
        "perDay": [{"day": day, "count": int(per_day.get(day, 0))} for day in days],
        "confidenceHistogram": [int(hist.get(str(i), 0)) for i in range(HISTOGRAM_BINS)],
        "meanConfidence": round(summary.get("confidenceSum", 0.0) / total, 4) if total else None,
        "abstainRate": round(summary.get("abstained", 0) / total, 4) if total else None,
        "feedback": _feedback(given, correct),
    }


def _feedback(given: int, correct: int) -> dict[str, Any]:
    """Feedback received and how much of it confirmed the model: the accuracy users report."""
    return {"n": given, "correct": correct, "accuracy": round(correct / given, 4) if given else None}

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
    stats = to_stats(store.read_org_summary(org_id))
    return {**stats, "ops": {"perDay": monitoring.daily(orgs.key(org_id))}}


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
        "feedback": {"n": given, "correct": correct, "accuracy": round(correct / given, 4) if given else None},
    }

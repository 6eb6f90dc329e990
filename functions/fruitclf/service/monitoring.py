"""Operations figures: classify latency, errors and rate-limit hits per day, for everyone and per org.

What is counted is decided here; data/ops.py keeps the counts (batched, sharded) and reads them back.
Percentiles come from a latency histogram (its buckets in data/counters.py, shared with the per-model figures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..data import ops
from ..data.counters import LATENCY_EDGES_MS, latency_bucket
from . import orgs


def _scopes(org_id: str | None) -> list[str]:
    return ["all"] + ([orgs.key(org_id)] if org_id else [])


def record_classify(org_id: str | None, status: int, ms: float) -> None:
    counts = {"requests": 1, f"latencyHist.{latency_bucket(ms)}": 1}
    if status >= 500:
        counts["errors"] = 1
    elif status >= 400:
        counts["rejected"] = 1
    ops.add(_scopes(org_id), counts)


def record_rate_limited(org_id: str | None) -> None:
    ops.add(_scopes(org_id), {"rateLimited": 1})


def percentile(hist: Mapping[str, int], q: float) -> float | None:
    """Upper edge (ms) of the bucket holding the q-th quantile; None without samples."""
    counts = [int(hist.get(str(i), 0)) for i in range(len(LATENCY_EDGES_MS) + 1)]
    total = sum(counts)
    if not total:
        return None
    rank, seen = q * total, 0
    for i, n in enumerate(counts):
        seen += n
        if seen >= rank:
            return float(LATENCY_EDGES_MS[i]) if i < len(LATENCY_EDGES_MS) else float("inf")
    return None


def daily(scope: str, days: int = 30) -> list[dict[str, Any]]:
    """Per-day figures for `scope`, oldest first, merged over shards."""
    since = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)).isoformat()
    by_day = ops.days_since(scope, since)
    out = []
    for day in sorted(by_day):
        merged = by_day[day]
        requests = int(merged.get("requests", 0))
        hist = merged.get("latencyHist", {})
        out.append(
            {
                "day": day,
                "requests": requests,
                "errors": int(merged.get("errors", 0)),
                "rejected": int(merged.get("rejected", 0)),
                "rateLimited": int(merged.get("rateLimited", 0)),
                "errorRate": round(merged.get("errors", 0) / requests, 4) if requests else None,
                "p50": percentile(hist, 0.50),
                "p95": percentile(hist, 0.95),
                "p99": percentile(hist, 0.99),
            }
        )
    return out

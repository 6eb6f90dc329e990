"""Operations figures recorded as the function serves: classify latency, errors and rate-limit hits per day.

Each day's figures live in a few shard documents, ops/<scope>/days/<YYYY-MM-DD>-<shard> (scope: `all` or
`org-<orgId>`), holding counters and a latency histogram; percentiles are read back from the histogram.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import random

from google.cloud.firestore import Increment

from .clients import firestore_client

log = logging.getLogger(__name__)

SHARDS = 4
# Upper edges (ms) of the latency histogram's buckets; the last bucket is open-ended.
LATENCY_EDGES_MS = (10, 20, 30, 40, 50, 60, 70, 80, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000)


def _scopes(org_id: str | None) -> list[str]:
    return ["all"] + ([f"org-{org_id}"] if org_id else [])


def _today() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")


def _write(org_id: str | None, fields: dict) -> None:
    # Monitoring must never fail a request: a lost sample is better than a 5xx.
    try:
        client = firestore_client()
        batch = client.batch()
        day = _today()
        for scope in _scopes(org_id):
            ref = client.document("ops", scope, "days", f"{day}-{random.randrange(SHARDS)}")
            batch.set(ref, {"day": day, **fields}, merge=True)
        batch.commit()
    except Exception:  # noqa: BLE001
        log.warning("could not record monitoring sample", exc_info=True)


def latency_bucket(ms: float) -> str:
    return str(bisect.bisect_left(LATENCY_EDGES_MS, ms))


def record_classify(org_id: str | None, status: int, ms: float) -> None:
    fields = {"requests": Increment(1), "latencyHist": {latency_bucket(ms): Increment(1)}}
    if status >= 500 or status in (400, 413, 415, 422):
        fields["errors" if status >= 500 else "rejected"] = Increment(1)
    _write(org_id, fields)


def record_rate_limited(org_id: str | None) -> None:
    _write(org_id, {"rateLimited": Increment(1)})


def percentile(hist: dict, q: float) -> float | None:
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


def daily(scope: str, days: int = 30) -> list[dict]:
    """Per-day figures for `scope`, oldest first, merged over shards."""
    from . import counters

    since = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=days - 1)).isoformat()
    by_day: dict[str, list[dict]] = {}
    for snapshot in firestore_client().collection("ops", scope, "days").where("day", ">=", since).stream():
        data = snapshot.to_dict()
        by_day.setdefault(data["day"], []).append(data)
    out = []
    for day in sorted(by_day):
        merged = counters.merge(by_day[day])
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

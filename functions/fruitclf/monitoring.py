"""Operations figures recorded as the function serves: classify latency, errors and rate-limit hits per day.

Each day's figures live in a few shard documents, ops/<scope>/days/<YYYY-MM-DD>-<shard> (scope: `all` or
`org-<orgId>`), holding counters and a latency histogram; percentiles are read back from the histogram.
Samples reach Firestore within a few seconds (see _Recorder).
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import random
import threading
import time
from collections import Counter

from google.cloud.firestore import Increment

from . import counters
from .clients import firestore_client

log = logging.getLogger(__name__)

SHARDS = 4
# Upper edges (ms) of the latency histogram's buckets; the last bucket is open-ended.
LATENCY_EDGES_MS = (10, 20, 30, 40, 50, 60, 70, 80, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000)


def _scopes(org_id: str | None) -> list[str]:
    return ["all"] + ([f"org-{org_id}"] if org_id else [])


def _today() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")


class _Recorder:
    """Samples are summed in memory and written every FLUSH_S seconds by a background thread, so serving a
    request never waits on a monitoring write (and a busy instance writes a few documents, not one per
    request). An instance that is shut down loses at most its last FLUSH_S seconds of samples."""

    FLUSH_S = 5.0

    def __init__(self):
        self._pending: dict[tuple[str, str], Counter] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, org_id: str | None, counts: dict[str, int]) -> None:
        with self._lock:
            for scope in _scopes(org_id):
                self._pending.setdefault((scope, _today()), Counter()).update(counts)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="monitoring-flush", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.FLUSH_S)
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            client = firestore_client()
            batch = client.batch()
            for (scope, day), counts in pending.items():
                fields: dict = {"day": day}
                for name, n in counts.items():
                    head, _, bucket = name.partition(".")
                    if bucket:
                        fields.setdefault(head, {})[bucket] = Increment(n)
                    else:
                        fields[name] = Increment(n)
                batch.set(client.document("ops", scope, "days", f"{day}-{random.randrange(SHARDS)}"), fields, merge=True)
            batch.commit()
        except Exception:  # noqa: BLE001 - monitoring must never fail serving; a lost sample is acceptable
            log.warning("could not record monitoring samples", exc_info=True)


_recorder = _Recorder()
flush = _recorder.flush


def latency_bucket(ms: float) -> str:
    return str(bisect.bisect_left(LATENCY_EDGES_MS, ms))


def record_classify(org_id: str | None, status: int, ms: float) -> None:
    counts = {"requests": 1, f"latencyHist.{latency_bucket(ms)}": 1}
    if status >= 500:
        counts["errors"] = 1
    elif status >= 400:
        counts["rejected"] = 1
    _recorder.add(org_id, counts)


def record_rate_limited(org_id: str | None) -> None:
    _recorder.add(org_id, {"rateLimited": 1})


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

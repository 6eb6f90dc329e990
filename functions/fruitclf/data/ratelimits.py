"""Fixed rate-limit windows shared by every function instance (Firestore): one minute for the per-user and
per-org limits, one UTC day for the project's second-opinion ceiling.

Each key (user, org, ...) has a window whose quota is split over up to `sharded.org_shards()` documents,
ratelimits/<key>:<window>-<shard> (data/sharded.py). A request increments one shard picked at random and reads the new count
back from the same write (the increment's transform result), so there is no transaction to contend on: the
first `quota` increments of a shard are granted, later ones overshoot and are refused, and the request moves on
to the next shard. Exactly `limit` requests pass in each window, since the shards' quotas add up to it. Old
windows expire through a TTL policy on `expiresAt` (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

from .sharded import ShardedCounter, org_shards

WINDOW_S = 60

# Shards this instance has seen spent, per (key, window length, window): a refused client that keeps retrying
# costs one write per retry instead of one per shard.
_spent: dict[tuple[str, int, int], set[int]] = {}
_spent_lock = threading.Lock()


def shard_quotas(limit: int) -> list[int]:
    """Split `limit` over at most `org_shards()` shards (an org's window takes every request of the org); the
    quotas sum to `limit` exactly."""
    n = max(1, min(org_shards(), limit))
    base, extra = divmod(limit, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def take(key: str, limit: int, now: float | None = None, window_s: int = WINDOW_S) -> float | None:
    """Take one unit of `key`'s quota in the current `window_s` window; None if granted, else the seconds until
    the window resets."""
    now = time.time() if now is None else now
    window = int(now // window_s)
    retry_after = (window + 1) * window_s - now
    if limit <= 0:
        return retry_after
    quotas = shard_quotas(limit)
    with _spent_lock:
        for stale in [k for k in _spent if k[1] == window_s and k[2] < window]:
            del _spent[stale]
        spent = _spent.setdefault((key, window_s, window), set())
    expires = dt.datetime.fromtimestamp((window + 2) * window_s, dt.UTC)
    counter = ShardedCounter(("ratelimits",), f"{key}:{window}", len(quotas))
    start = random.randrange(len(quotas))
    for step in range(len(quotas)):
        shard = (start + step) % len(quotas)
        if shard in spent:
            continue
        if counter.increment(shard, "count", also={"expiresAt": expires}) <= quotas[shard]:
            return None
        with _spent_lock:
            spent.add(shard)
    return retry_after

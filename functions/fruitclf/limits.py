"""Rate limits per user and per organisation, shared by every function instance (Firestore transactions).

Each key (user or org) has a fixed one-minute window whose quota is split over up to SHARDS documents,
ratelimits/<key>:<window>:<shard>. A request takes one unit from a shard picked at random and moves on to the
next shard when that one is spent (or contended), so concurrent requests rarely wait on one document, and
exactly `limit` requests pass in each window (the quotas of the shards add up to it). Old windows expire through a TTL policy
on `expiresAt` (see docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time

from google.api_core import exceptions as gexc
from google.cloud import firestore

from . import errors, monitoring
from .auth import Caller
from .clients import firestore_client, run_transaction
from .config import settings
from .orgs import OrgConfig

WINDOW_S = 60
SHARDS = 8
_TRANSACTION_ATTEMPTS = 3
_ROUNDS = 20


def shard_quotas(limit: int) -> list[int]:
    """Split `limit` over at most SHARDS shards; the quotas sum to `limit` exactly."""
    n = max(1, min(SHARDS, limit))
    base, extra = divmod(limit, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def take(key: str, limit: int, now: float | None = None) -> float | None:
    """Take one unit of `key`'s quota; None if granted, else the seconds until the window resets."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_S)
    retry_after = (window + 1) * WINDOW_S - now
    if limit <= 0:
        return retry_after
    quotas = shard_quotas(limit)
    start = random.randrange(len(quotas))
    client = firestore_client()
    expires = dt.datetime.fromtimestamp((window + 2) * WINDOW_S, dt.timezone.utc)
    spent: set[int] = set()
    for attempt in range(_ROUNDS * len(quotas)):
        shard = (start + attempt) % len(quotas)
        if shard in spent:
            continue
        ref = client.document("ratelimits", f"{key}:{window}:{shard}")
        try:
            if run_transaction(_take_from_shard, ref, quotas[shard], expires, max_attempts=_TRANSACTION_ATTEMPTS):
                return None
        except ValueError:
            # The shard is contended ("failed to commit in N attempts"): try another one after a short pause.
            time.sleep(random.uniform(0.005, 0.05))
            continue
        spent.add(shard)
        if len(spent) == len(quotas):
            return retry_after
    raise gexc.ServiceUnavailable(f"rate limiter for {key} stayed contended")


@firestore.transactional
def _take_from_shard(transaction, ref, quota: int, expires: dt.datetime) -> bool:
    snapshot = ref.get(transaction=transaction)
    used = (snapshot.to_dict() or {}).get("count", 0) if snapshot.exists else 0
    if used >= quota:
        return False
    transaction.set(ref, {"count": used + 1, "expiresAt": expires})
    return True


def enforce(caller: Caller, org: OrgConfig) -> None:
    """Raise 429 (with Retry-After) when the caller or their organisation is over its per-minute limit."""
    checks = [(f"user-{caller.uid}", settings().rate_limit_per_minute, "you")]
    if org.org_id:
        checks.append((f"org-{org.org_id}", org.requests_per_minute, "your organisation"))
    for key, limit, who in checks:
        wait = take(key, limit)
        if wait is not None:
            monitoring.record_rate_limited(org.org_id)
            seconds = max(1, math.ceil(wait))
            raise errors.ApiError(
                429,
                "rate-limited",
                f"Too many requests: {who} may classify {limit} images a minute. Try again in {seconds} s.",
                headers={"Retry-After": str(seconds)},
            )


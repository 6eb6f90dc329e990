"""Rate limits per user and per organisation: who gets how many classifications a minute.

Every door calls `enforce` through the classify service; the shared windows live in data/ratelimits.py.
"""

from __future__ import annotations

import math

from .. import errors
from ..config import settings
from ..data import ratelimits
from . import monitoring
from .identity import Caller
from .orgs import OrgConfig


def enforce(caller: Caller, org: OrgConfig) -> None:
    """Raise 429 (with Retry-After) when the caller or their organisation is over its per-minute limit."""
    checks = [(f"user-{caller.uid}", settings().rate_limit_per_minute, "you")]
    if org.org_id:
        checks.append((f"org-{org.org_id}", org.requests_per_minute, "your organisation"))
    for key, limit, who in checks:
        wait = ratelimits.take(key, limit)
        if wait is not None:
            monitoring.record_rate_limited(org.org_id)
            seconds = max(1, math.ceil(wait))
            raise errors.ApiError(
                429,
                "rate-limited",
                f"Too many requests: {who} may classify {limit} images a minute. Try again in {seconds} s.",
                headers={"Retry-After": str(seconds)},
            )

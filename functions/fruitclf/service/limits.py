"""Limits: who gets how many classifications a minute, and how many invitations an admin sends a minute (the
project's daily ceiling on second opinions is one of the second opinion's rules: service/opinion.py).

Every door calls `enforce` through the classify service; the shared windows live in data/ratelimits.py.
"""

from __future__ import annotations

import math

from .. import errors
from ..config import settings
from ..data import ratelimits
from . import monitoring, orgs
from .identity import Caller
from .orgs import OrgConfig

DAY_S = 24 * 60 * 60


def per_minute(caller: Caller) -> int:
    """The caller's own classifications a minute (their org has its own limit besides)."""
    cfg = settings()
    return cfg.rate_limit_anonymous if caller.anonymous else cfg.rate_limit_per_minute


def enforce(caller: Caller, org: OrgConfig) -> None:
    """Raise 429 (with Retry-After) when the caller or their organisation is over its per-minute limit."""
    who = "an anonymous account" if caller.anonymous else "you"
    checks = [(f"user-{caller.uid}", per_minute(caller), who)]
    if org.org_id:
        checks.append((orgs.key(org.org_id), org.requests_per_minute, "your organisation"))
    for key, limit, who in checks:
        wait = ratelimits.take(key, limit)
        if wait is not None:
            monitoring.record_rate_limited(org.org_id)
            raise too_many("rate-limited", f"Too many requests: {who} may classify {limit} images a minute.", wait)


def take_bulk_image(org_id: str) -> bool:
    """Take one image of the org's daily bulk budget (BULK_DAILY_IMAGES a UTC day); False when none is left.
    Bulk jobs spend this, never the per-minute limits that interactive requests share."""
    return ratelimits.take(f"bulk-{org_id}", settings().bulk_daily_images, window_s=DAY_S) is None


def take_invitation(caller: Caller) -> None:
    """One of the admin's invitations this minute (INVITATIONS_PER_MINUTE); 429 past it."""
    limit = settings().invitations_per_minute
    wait = ratelimits.take(f"invitations-{caller.uid}", limit)
    if wait is not None:
        raise too_many("invitation-rate-limited", f"Too many invitations: an admin may send {limit} a minute.", wait)


def too_many(code: str, message: str, wait_s: float) -> errors.ApiError:
    seconds = max(1, math.ceil(wait_s))
    return errors.ApiError(429, code, f"{message} Try again in {seconds} s.", headers={"Retry-After": str(seconds)})

"""Analytics: a user's own figures, and an organisation's (with its ops figures) for its admins."""

from __future__ import annotations

from ..data import counters, store
from . import access, monitoring, orgs
from .identity import Caller


def for_user(caller: Caller) -> dict:
    orgs.config_for(caller).require("analytics")
    return counters.to_stats(store.read_summary(caller.uid))


def for_org(caller: Caller, org_id: str) -> dict:
    access.require_admin(caller, org_id)
    orgs.config_for(caller).require("analytics")
    stats = counters.to_stats(store.read_org_summary(org_id))
    return {**stats, "ops": {"perDay": monitoring.daily(orgs.key(org_id))}}

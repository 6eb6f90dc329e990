"""Analytics: the caller's own figures, and an organisation's for its admins."""

from flask import Blueprint

from .. import counters, errors, monitoring, orgs, store
from ..auth import current_caller

bp = Blueprint("stats", __name__)


@bp.get("/stats")
def my_stats():
    caller = current_caller()
    orgs.config_for(caller).require("analytics")
    return counters.to_stats(store.read_summary(caller.uid))


@bp.get("/orgs/<org_id>/stats")
def org_stats(org_id: str):
    caller = current_caller()
    if not (caller.org == org_id and caller.is_org_admin):
        raise errors.forbidden("Only an admin of this organisation can see its figures.", "not-org-admin")
    orgs.config_for(caller).require("analytics")
    stats = counters.to_stats(store.read_org_summary(org_id))
    return {**stats, "ops": {"perDay": monitoring.daily(f"org-{org_id}")}}

"""Analytics: the caller's own figures, and an organisation's for its admins."""

from flask import Blueprint

from ...service import stats
from ..auth import current_caller

bp = Blueprint("stats", __name__)


@bp.get("/stats")
def my_stats():
    return stats.for_user(current_caller())


@bp.get("/orgs/<org_id>/stats")
def org_stats(org_id: str):
    return stats.for_org(current_caller(), org_id)

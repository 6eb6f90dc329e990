"""An organisation's job-notice webhook: read, set (a new secret, shown once), remove (org admins;
service/webhooks.py decides)."""

from flask import Blueprint, Response

from ...service import webhooks
from ..auth import current_caller
from ..bodies import json_object

bp = Blueprint("webhooks", __name__)


@bp.get("/orgs/<org_id>/webhook")
def read(org_id: str):
    return webhooks.read(current_caller(), org_id)


@bp.put("/orgs/<org_id>/webhook")
def set_url(org_id: str):
    return webhooks.set_url(current_caller(), org_id, json_object)


@bp.delete("/orgs/<org_id>/webhook")
def remove(org_id: str):
    webhooks.remove(current_caller(), org_id)
    return Response(status=204)

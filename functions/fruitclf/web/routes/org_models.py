"""An organisation's own model versions: register an upload, list them, delete one, pin one, roll back, roll one
out to a share of the org's users. The files arrive
through Storage (orgs/<org>/models/uploads/<upload>/, storage.rules), never in a request body; who may do what
is decided in service/org_models.py."""

from flask import Blueprint, Response

from ...service import org_models
from ..auth import current_caller
from ..bodies import json_object
from ..present import json_value

bp = Blueprint("org_models", __name__)


@bp.post("/orgs/<org_id>/models")
def register(org_id: str):
    return json_value(org_models.register(current_caller(), org_id, json_object)), 202


@bp.get("/orgs/<org_id>/models")
def listing(org_id: str):
    return json_value(org_models.listing(current_caller(), org_id))


@bp.delete("/orgs/<org_id>/models/<version>")
def delete(org_id: str, version: str):
    org_models.delete(current_caller(), org_id, version)
    return Response(status=204)


@bp.post("/orgs/<org_id>/models/<version>/pin")
def pin(org_id: str, version: str):
    return org_models.pin(current_caller(), org_id, version)


@bp.post("/orgs/<org_id>/models/rollback")
def rollback(org_id: str):
    return org_models.rollback(current_caller(), org_id)


@bp.post("/orgs/<org_id>/models/<version>/rollout")
def start_rollout(org_id: str, version: str):
    return org_models.start_rollout(current_caller(), org_id, version, json_object)


@bp.delete("/orgs/<org_id>/models/rollout")
def stop_rollout(org_id: str):
    org_models.stop_rollout(current_caller(), org_id)
    return Response(status=204)

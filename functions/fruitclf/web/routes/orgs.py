"""Organisation administration: members read their org; admins change it and its membership."""

from flask import Blueprint, Response

from ... import errors
from ...service import orgs
from ...service.identity import Caller
from ..auth import current_caller
from ..bodies import json_object

bp = Blueprint("orgs", __name__)


def _member_of(org_id: str) -> Caller:
    caller = current_caller()
    orgs.require_member(caller, org_id)
    return caller


def _admin_of(org_id: str) -> Caller:
    caller = current_caller()
    orgs.require_admin(caller, org_id)
    return caller


@bp.get("/orgs/<org_id>")
def get_org(org_id: str):
    return orgs.config_for(_member_of(org_id)).to_dict()


@bp.patch("/orgs/<org_id>")
def update_org(org_id: str):
    _admin_of(org_id)
    return orgs.update(org_id, json_object()).to_dict()


@bp.get("/orgs/<org_id>/members")
def list_members(org_id: str):
    _admin_of(org_id)
    return {"members": orgs.members(org_id)}


@bp.put("/orgs/<org_id>/members")
def put_member(org_id: str):
    _admin_of(org_id)
    body = json_object()
    if not isinstance(body.get("email"), str):
        raise errors.bad_request('Send {"email": "...", "role": "member" | "admin"}.', "invalid-member")
    return orgs.set_member(org_id, body["email"], body.get("role", "member"))


@bp.delete("/orgs/<org_id>/members/<uid>")
def delete_member(org_id: str, uid: str):
    caller = _admin_of(org_id)
    orgs.remove_member(org_id, uid, removed_by=caller.uid)
    return Response(status=204)

"""Organisation administration: members read their org; admins change it, invite people and manage members."""

from flask import Blueprint, Response

from ... import errors
from ...service import invitations, orgs
from ...service.identity import Caller
from ..auth import current_caller
from ..bodies import json_object

bp = Blueprint("orgs", __name__)


def _member_of(org_id: str) -> Caller:
    caller = current_caller()
    orgs.require_member(caller, org_id)
    return caller


def _admin_of(org_id: str) -> Caller:
    return orgs.require_admin(current_caller(), org_id)


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
def change_role(org_id: str):
    caller = _admin_of(org_id)
    body = json_object()
    if not isinstance(body.get("email"), str):
        raise errors.bad_request('Send {"email": "...", "role": "member" | "admin"}.', "invalid-member")
    return orgs.change_role(org_id, body["email"], body.get("role", "member"), changed_by=caller.uid)


@bp.delete("/orgs/<org_id>/members/<uid>")
def delete_member(org_id: str, uid: str):
    caller = _admin_of(org_id)
    orgs.remove_member(org_id, uid, removed_by=caller.uid)
    return Response(status=204)


@bp.post("/orgs/<org_id>/invitations")
def invite(org_id: str):
    caller = _admin_of(org_id)
    body = json_object()
    return invitations.invite(org_id, body.get("email"), body.get("role", "member"), invited_by=caller), 202


@bp.get("/orgs/<org_id>/invitations")
def list_org_invitations(org_id: str):
    _admin_of(org_id)
    return {"invitations": invitations.pending_for_org(org_id)}


@bp.delete("/orgs/<org_id>/invitations/<invite_id>")
def withdraw_invitation(org_id: str, invite_id: str):
    _admin_of(org_id)
    invitations.withdraw(org_id, invite_id)
    return Response(status=204)

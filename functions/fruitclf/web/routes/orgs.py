"""Organisation administration: members read their org; admins change it, invite people and manage members.
Who may do what is the services' decision (service/access.py); bodies are read only once they allow it."""

from flask import Blueprint, Response

from ... import errors
from ...service import invitations, members, orgs
from ..auth import current_caller
from ..bodies import json_object

bp = Blueprint("orgs", __name__)


@bp.get("/orgs/<org_id>")
def get_org(org_id: str):
    return orgs.read(current_caller(), org_id).to_dict()


@bp.patch("/orgs/<org_id>")
def update_org(org_id: str):
    return orgs.update(current_caller(), org_id, json_object).to_dict()


@bp.get("/orgs/<org_id>/members")
def list_members(org_id: str):
    return {"members": members.listing(current_caller(), org_id)}


@bp.put("/orgs/<org_id>/members")
def change_role(org_id: str):
    return members.change_role(current_caller(), org_id, _email_and_role)


@bp.delete("/orgs/<org_id>/members/<uid>")
def delete_member(org_id: str, uid: str):
    members.remove(current_caller(), org_id, uid)
    return Response(status=204)


@bp.post("/orgs/<org_id>/invitations")
def invite(org_id: str):
    return invitations.invite(current_caller(), org_id, _invitation), 202


@bp.get("/orgs/<org_id>/invitations")
def list_org_invitations(org_id: str):
    return {"invitations": invitations.pending_for_org(current_caller(), org_id)}


@bp.delete("/orgs/<org_id>/invitations/<invite_id>")
def withdraw_invitation(org_id: str, invite_id: str):
    invitations.withdraw(current_caller(), org_id, invite_id)
    return Response(status=204)


def _email_and_role() -> tuple[str, str]:
    body = json_object()
    if not isinstance(body.get("email"), str):
        raise errors.bad_request('Send {"email": "...", "role": "member" | "admin"}.', "invalid-member")
    return body["email"], body.get("role", "member")


def _invitation() -> tuple:
    body = json_object()
    return body.get("email"), body.get("role", "member")

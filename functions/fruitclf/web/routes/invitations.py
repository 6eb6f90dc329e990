"""The signed-in person's invitations to organisations: list, accept, decline."""

from flask import Blueprint, Response

from ...service import invitations
from ..auth import current_caller

bp = Blueprint("invitations", __name__)


@bp.get("/invitations")
def mine():
    return {"invitations": invitations.mine(current_caller())}


@bp.post("/invitations/<invite_id>/accept")
def accept(invite_id: str):
    return invitations.accept(current_caller(), invite_id)


@bp.post("/invitations/<invite_id>/decline")
def decline(invite_id: str):
    invitations.decline(current_caller(), invite_id)
    return Response(status=204)

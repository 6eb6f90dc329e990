"""Organisation documents in Firestore: orgs/<orgId> (settings) and orgs/<orgId>/members/<uid>.

Membership itself lives in the member's custom claims (data/accounts.py); the members collection is the
listing the admin page reads.
"""

from __future__ import annotations

from google.api_core import exceptions as gexc
from google.cloud.firestore import DocumentReference

from .. import errors
from .clients import firestore_client
from .clock import utcnow


def _org(org_id: str) -> DocumentReference:
    return firestore_client().document("orgs", org_id)


def read(org_id: str) -> dict | None:
    snapshot = _org(org_id).get()
    return snapshot.to_dict() if snapshot.exists else None


def create(org_id: str, fields: dict) -> None:
    """Create the org document; 409 `org-exists` if the id is taken."""
    try:
        _org(org_id).create({**fields, "createdAt": utcnow()})
    except gexc.AlreadyExists:
        raise errors.ApiError(409, "org-exists", f"An organisation {org_id!r} already exists; choose another id.")


def delete(org_id: str) -> None:
    """Remove the org document and its members listing."""
    for member in _org(org_id).collection("members").list_documents():
        member.delete()
    _org(org_id).delete()


def update(org_id: str, fields: dict) -> dict:
    """Apply `fields` (if any) and return the document as it now is."""
    ref = _org(org_id)
    if fields:
        ref.update(fields)
    return ref.get().to_dict()


def put_member(org_id: str, member: dict) -> None:
    _org(org_id).collection("members").document(member["uid"]).set({**member, "updatedAt": utcnow()})


def delete_member(org_id: str, uid: str) -> None:
    _org(org_id).collection("members").document(uid).delete()


def members(org_id: str) -> list[dict]:
    return [
        {k: v for k, v in s.to_dict().items() if k != "updatedAt"} for s in _org(org_id).collection("members").stream()
    ]

"""Organisation documents in Firestore: orgs/<orgId> (settings) and orgs/<orgId>/members/<uid>.

Membership itself lives in the member's custom claims (data/accounts.py); the members collection is the
listing the admin page reads.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

from google.api_core import exceptions as gexc
from google.cloud.firestore import DocumentReference

from .. import errors
from .clients import firestore_client
from .clock import utcnow

# orgs/<orgId>: name, features, modelId, requestsPerMinute (service/orgs.py reads them), createdAt.
OrgDocument = dict[str, Any]


class Member(TypedDict):
    """orgs/<orgId>/members/<uid>, the listing the admin page reads."""

    uid: str
    email: str | None
    role: str


def _org(org_id: str) -> DocumentReference:
    return firestore_client().document("orgs", org_id)


def read(org_id: str) -> OrgDocument | None:
    snapshot = _org(org_id).get()
    return snapshot.to_dict() if snapshot.exists else None


def create(org_id: str, fields: OrgDocument) -> None:
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


def update(org_id: str, fields: OrgDocument) -> OrgDocument:
    """Apply `fields` (if any) and return the document as it now is."""
    ref = _org(org_id)
    if fields:
        ref.update(fields)
    return cast(OrgDocument, ref.get().to_dict())


def put_member(org_id: str, member: Member) -> None:
    _org(org_id).collection("members").document(member["uid"]).set({**member, "updatedAt": utcnow()})


def delete_member(org_id: str, uid: str) -> None:
    _org(org_id).collection("members").document(uid).delete()


def members(org_id: str) -> list[Member]:
    return [
        cast(Member, {k: v for k, v in (s.to_dict() or {}).items() if k != "updatedAt"})
        for s in _org(org_id).collection("members").stream()
    ]

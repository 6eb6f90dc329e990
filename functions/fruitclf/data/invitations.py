"""Invitations to join an organisation: invitations/<id>, written only by the server (firestore.rules deny
clients). One per (org, email): inviting the same address again renews it. `expiresAt` is the field of the
collection's TTL policy (firestore.indexes.json), so Firestore deletes expired ones by itself in production;
the service also skips and removes them when it meets them (the emulator does not run TTL policies)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, NotRequired, TypedDict, cast

from google.cloud import firestore
from google.cloud.firestore import CollectionReference
from google.cloud.firestore_v1.base_query import FieldFilter

from .clients import firestore_client


class Invitation(TypedDict):
    """invitations/<id>; as read it also carries its `id`."""

    orgId: str
    orgName: str | None
    email: str  # lower case
    role: str
    invitedBy: str  # the inviting admin's uid
    createdAt: dt.datetime
    expiresAt: dt.datetime
    id: NotRequired[str]


def _collection() -> CollectionReference:
    return firestore_client().collection("invitations")


def _read(snapshot: Any) -> Invitation:
    return cast(Invitation, {"id": snapshot.id, **snapshot.to_dict()})


def invitation_id(org_id: str, email: str) -> str:
    return f"{org_id}--{hashlib.sha256(email.encode()).hexdigest()[:24]}"


def _of_org(org_id: str) -> firestore.Query:
    return _collection().where(filter=FieldFilter("orgId", "==", org_id))


def put_unless_full(invitation: Invitation, max_pending: int) -> Invitation | None:
    """Store (or renew) the invitation, unless its org already has `max_pending` other unexpired ones: then
    None. Counted, then written: requests in flight at the same moment may each see the last free place (a
    transaction would close that gap, but concurrent ones time out on the emulator's locks), so the ceiling can
    be passed by those few; the per-admin rate (service/limits.py) bounds how many there are."""
    invitation_ref = _collection().document(invitation_id(invitation["orgId"], invitation["email"]))
    pending = [
        s
        for s in _of_org(invitation["orgId"]).stream()
        if s.id != invitation_ref.id and s.get("expiresAt") > invitation["createdAt"]
    ]
    if len(pending) >= max_pending:
        return None
    invitation_ref.set(dict(invitation))
    return {**invitation, "id": invitation_ref.id}


def read(invite_id: str) -> Invitation | None:
    snapshot = _collection().document(invite_id).get()
    return _read(snapshot) if snapshot.exists else None


def for_email(email: str) -> list[Invitation]:
    return [_read(s) for s in _collection().where("email", "==", email).stream()]


def for_org(org_id: str) -> list[Invitation]:
    return [_read(s) for s in _of_org(org_id).stream()]


def delete(invite_id: str) -> None:
    _collection().document(invite_id).delete()

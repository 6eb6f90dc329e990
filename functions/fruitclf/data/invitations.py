"""Invitations to join an organisation: invitations/<id>, written only by the server (firestore.rules deny
clients). One per (org, email): inviting the same address again renews it. `expiresAt` is the field of the
collection's TTL policy (firestore.indexes.json), so Firestore deletes expired ones by itself in production;
the service also skips and removes them when it meets them (the emulator does not run TTL policies)."""

from __future__ import annotations

import hashlib

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from .clients import firestore_client


def _collection():
    return firestore_client().collection("invitations")


def invitation_id(org_id: str, email: str) -> str:
    return f"{org_id}--{hashlib.sha256(email.encode()).hexdigest()[:24]}"


def _of_org(org_id: str) -> firestore.Query:
    return _collection().where(filter=FieldFilter("orgId", "==", org_id))


def put_unless_full(invitation: dict, max_pending: int) -> dict | None:
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
    invitation_ref.set(invitation)
    return {"id": invitation_ref.id, **invitation}


def read(invite_id: str) -> dict | None:
    snapshot = _collection().document(invite_id).get()
    return {"id": snapshot.id, **snapshot.to_dict()} if snapshot.exists else None


def for_email(email: str) -> list[dict]:
    return [{"id": s.id, **s.to_dict()} for s in _collection().where("email", "==", email).stream()]


def for_org(org_id: str) -> list[dict]:
    return [{"id": s.id, **s.to_dict()} for s in _of_org(org_id).stream()]


def delete(invite_id: str) -> None:
    _collection().document(invite_id).delete()

"""Invitations to join an organisation: invitations/<id>, written only by the server (firestore.rules deny
clients). One per (org, email): inviting the same address again renews it. `expiresAt` is the field of the
collection's TTL policy (firestore.indexes.json), so Firestore deletes expired ones by itself in production;
the service also skips and removes them when it meets them (the emulator does not run TTL policies)."""

from __future__ import annotations

import hashlib

from .clients import firestore_client


def _collection():
    return firestore_client().collection("invitations")


def invitation_id(org_id: str, email: str) -> str:
    return f"{org_id}--{hashlib.sha256(email.encode()).hexdigest()[:24]}"


def put(invitation: dict) -> dict:
    invitation_ref = _collection().document(invitation_id(invitation["orgId"], invitation["email"]))
    invitation_ref.set(invitation)
    return {"id": invitation_ref.id, **invitation}


def read(invite_id: str) -> dict | None:
    snapshot = _collection().document(invite_id).get()
    return {"id": snapshot.id, **snapshot.to_dict()} if snapshot.exists else None


def for_email(email: str) -> list[dict]:
    return [{"id": s.id, **s.to_dict()} for s in _collection().where("email", "==", email).stream()]


def for_org(org_id: str) -> list[dict]:
    return [{"id": s.id, **s.to_dict()} for s in _collection().where("orgId", "==", org_id).stream()]


def delete(invite_id: str) -> None:
    _collection().document(invite_id).delete()

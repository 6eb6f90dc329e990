"""An organisation's job-notice webhook: orgs/<orgId>/private/webhook (url, secret, who set it, when).

Under `private/`, which no security rule opens: members read the org document, never the signing secret.
"""

from __future__ import annotations

from typing import Any

from google.cloud.firestore import DocumentReference

from .clients import firestore_client
from .clock import utcnow

Webhook = dict[str, Any]


def _ref(org_id: str) -> DocumentReference:
    return firestore_client().document("orgs", org_id, "private", "webhook")


def read(org_id: str) -> Webhook | None:
    snapshot = _ref(org_id).get()
    return snapshot.to_dict() if snapshot.exists else None


def write(org_id: str, url: str, secret: str, uid: str) -> None:
    _ref(org_id).set({"url": url, "secret": secret, "setBy": uid, "setAt": utcnow()})


def delete(org_id: str) -> None:
    _ref(org_id).delete()

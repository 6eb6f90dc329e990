"""The mobile path: an image uploaded with the Storage SDK to uploads/<uid>/<name> is classified.

The result is the same document the API writes (source "mobile"), with an id derived from the object, so a
replayed event does not create a duplicate. The upload is deleted afterwards; the normalised copy (no
metadata) stays at users/<uid>/images/<id>.jpg. An upload that cannot be classified is deleted too, and the
reason is written to users/<uid>/uploadErrors/<id> for the app to show.
"""

from __future__ import annotations

import json
import logging
import re

from . import blobs, errors, orgs, store
from .auth import Caller
from .classify import classify_upload, upload_doc_id

log = logging.getLogger(__name__)

_UPLOAD = re.compile(r"^uploads/(?P<uid>[A-Za-z0-9_-]{1,128})/[^/]+$")


def _caller_for(uid: str) -> Caller:
    # Org membership comes from the uploader's custom claims, as on the HTTP path.
    from firebase_admin import auth

    from .clients import admin_app

    claims = auth.get_user(uid, app=admin_app()).custom_claims or {}
    return Caller(uid=uid, email=None, anonymous=False, org=claims.get("org"), role=claims.get("role"))


def on_upload(data) -> None:
    path = data.name
    match = _UPLOAD.match(path or "")
    if not match:
        return  # not an upload we handle (for example the server's own users/<uid>/images/ writes)
    uid = match["uid"]
    try:
        org = orgs.config_for(_caller_for(uid))
        org.require("classification")
        doc = classify_upload(uid, path, org, source="mobile")
        log.info(json.dumps({"event": "upload-classified", "uid": uid, "path": path, "id": doc["id"]}))
    except errors.ApiError as exc:
        if exc.code == "upload-not-found":
            return  # already classified and removed: a replay
        store.record_upload_error(uid, upload_doc_id(path, data.generation), path, exc)
        blobs.delete_quietly(path)
        log.warning(json.dumps({"event": "upload-rejected", "uid": uid, "path": path, "code": exc.code}))

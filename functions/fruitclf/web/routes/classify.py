"""POST /api/classify: a multipart upload (field `image`) or an image already in Storage."""

from __future__ import annotations

import re

from flask import Blueprint, request

from ... import errors
from ...config import settings
from ...ml import images
from ...service import classify as service
from ..auth import current_caller
from ..bodies import MULTIPART_OVERHEAD, json_object
from ..present import classification

bp = Blueprint("classify", __name__)

# uploads/<uid>/<name>: one path segment of safe characters, no traversal.
_STORAGE_PATH = re.compile(r"^uploads/(?P<uid>[A-Za-z0-9_-]{1,128})/(?P<name>[A-Za-z0-9._-]{1,200})$")


@bp.post("/classify")
def classify():
    caller = current_caller()
    wants_opinion = request.args.get("second_opinion") in ("1", "true")
    max_bytes = settings().max_upload_size
    if request.content_length is not None and request.content_length > max_bytes + MULTIPART_OVERHEAD:
        images.check_size(request.content_length, max_bytes)
    if request.mimetype == "multipart/form-data":
        doc = service.classify_image(
            caller,
            lambda: _multipart_image(max_bytes),
            source="web",
            second_opinion=wants_opinion,
            idempotency_key=_idempotency_key(),
        )
    elif request.is_json:
        doc = service.classify_stored_upload(caller, _storage_path(caller.uid), source="web")
    else:
        raise errors.ApiError(
            415, "unsupported-media-type", "Send multipart/form-data with an 'image' field, or JSON with a storagePath."
        )
    return classification(doc), 201


@bp.post("/classifications/<doc_id>/second-opinion")
def second_opinion(doc_id: str):
    return classification(service.second_opinion_for(current_caller(), doc_id))


# A client's id for one photo (the web app's offline queue sends a UUID): letters, digits, - and _.
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,128}")


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise errors.bad_request(
            "Idempotency-Key must be 8-128 letters, digits, '-' or '_' (a UUID, say).", "invalid-idempotency-key"
        )
    return key


def _multipart_image(max_bytes: int) -> bytes:
    upload = request.files.get("image")
    if upload is None:
        raise errors.bad_request("Send the photo in a multipart form field named 'image'.", "missing-image")
    data = upload.read(max_bytes + 1)
    images.check_size(len(data), max_bytes)
    return data


def _storage_path(uid: str) -> str:
    usage = 'Send JSON {"storagePath": "uploads/<your uid>/<file name>"}.'
    body = json_object(usage)
    if not isinstance(body.get("storagePath"), str):
        raise errors.bad_request(usage, "invalid-json")
    path = body["storagePath"]
    match = _STORAGE_PATH.fullmatch(path)
    if not match or ".." in path:
        raise errors.bad_request("storagePath must look like uploads/<your uid>/<file name>.", "invalid-storage-path")
    if match["uid"] != uid:
        raise errors.forbidden("That storage path is not in your own uploads folder.", "not-your-upload")
    return path

"""The mobile path: an image uploaded with the Storage SDK to uploads/<uid>/<name> is classified.

It enters the classify service exactly as the HTTP storagePath route does (same org features, rate limits,
validation and ops figures). The result is the same document the API writes (source "mobile"), with an id
derived from the object, so a replayed event does not create a duplicate. The upload is deleted afterwards;
the normalised copy (no metadata) stays at users/<uid>/images/<id>.jpg. An upload that cannot be classified
is deleted too, and the reason is written to users/<uid>/uploadErrors/<id> for the app to show.

Logs name the uid and the document, never the object's path: its last segment is the client's file name.
"""

from __future__ import annotations

import logging

from .. import errors
from ..config import settings
from ..service import classify
from ..service.identity import caller_for_uid
from .upload_paths import uploader

log = logging.getLogger(__name__)


def on_upload(data) -> None:
    path = data.name
    uid = uploader(path)
    if uid is None:
        return  # not an upload we handle (for example the server's own users/<uid>/images/ writes)
    ours = settings().storage_bucket
    if data.bucket != ours:
        # Reading it from our bucket would find nothing and look like a replay: say so instead.
        log.warning({"event": "upload-other-bucket", "bucket": data.bucket, "expected": ours, "uid": uid})
        return
    try:
        doc = classify.classify_stored_upload(caller_for_uid(uid), path, source="mobile")
        log.info({"event": "upload-classified", "uid": uid, "id": doc["id"]})
    except errors.ApiError as exc:
        if exc.code == "upload-not-found":
            return  # already classified and removed: a replay
        error_id = classify.record_upload_error(uid, path, data.generation, exc)
        log.warning({"event": "upload-rejected", "uid": uid, "id": error_id, "code": exc.code})

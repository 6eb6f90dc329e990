"""Cloud Storage access: where images live and how they are written, read and removed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from google.api_core import exceptions as gexc

from .clients import bucket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObjectInfo:
    """What the services need to know of a stored object before reading it."""

    size: int
    generation: int | None  # changes whenever the object is written again


def image_path(uid: str, classification_id: str) -> str:
    return f"users/{uid}/images/{classification_id}.jpg"


def put_jpeg(path: str, data: bytes) -> None:
    blob = bucket().blob(path)
    blob.cache_control = "private, max-age=3600"
    blob.upload_from_string(data, content_type="image/jpeg", timeout=30)


def get(path: str) -> bytes:
    data: bytes = bucket().blob(path).download_as_bytes(timeout=30)
    return data


def get_at_most(path: str, max_bytes: int) -> bytes | None:
    """The object's first `max_bytes` + 1 bytes (enough to tell that it is too large without reading it all), or
    None when there is no such object."""
    try:
        data: bytes = bucket().blob(path).download_as_bytes(start=0, end=max_bytes, timeout=30)
    except gexc.NotFound:
        return None
    return data


def get_if_exists(path: str) -> bytes | None:
    """The object's bytes, or None when there is none (another door may have consumed an upload meanwhile)."""
    try:
        return get(path)
    except gexc.NotFound:
        return None


def delete_quietly(path: str) -> None:
    """Remove an object; a missing one is fine (the goal state is reached either way)."""
    try:
        bucket().blob(path).delete(timeout=30)
    except gexc.NotFound:
        pass
    except Exception:  # noqa: BLE001 - cleanup must not mask the error that caused it
        # The folder names the owner; the last segment of an upload's path is the client's file name.
        log.exception("could not delete an object in %s/", path.rsplit("/", 1)[0])


def stat(path: str) -> ObjectInfo | None:
    """The object's size and generation, or None when there is no such object."""
    blob = bucket().get_blob(path, timeout=30)
    return None if blob is None else ObjectInfo(size=blob.size or 0, generation=blob.generation)


def list_names(prefix: str, limit: int) -> list[str]:
    """The names of the objects under `prefix`, at most `limit` (in name order)."""
    return [blob.name for blob in bucket().list_blobs(prefix=prefix, max_results=limit, timeout=60)]


def list_older_than(prefix: str, cutoff: datetime, limit: int) -> list[str]:
    """The names of the objects under `prefix` last written before `cutoff`, from the first `limit` listed."""
    blobs = bucket().list_blobs(prefix=prefix, max_results=limit, timeout=60)
    return [blob.name for blob in blobs if blob.updated is not None and blob.updated < cutoff]


def put(path: str, data: bytes, content_type: str) -> None:
    bucket().blob(path).upload_from_string(data, content_type=content_type, timeout=60)

"""Which Storage objects are client uploads (uploads/<uid>/<name>, one name segment) and which are model versions
to validate (orgs/<org>/models/versions/<version>/model.tflite).

Kept apart from the trigger so that the Storage event handler can check a path before importing anything heavy:
every object the server writes (users/<uid>/images/...) fires the same event, and is skipped here.
`ORG_ID` is the shape of an org id wherever a door reads one from outside (paths here, task payloads).
"""

from __future__ import annotations

import re

ORG_ID = r"[A-Za-z0-9-]{1,64}"
_UPLOAD = re.compile(r"uploads/(?P<uid>[A-Za-z0-9_-]{1,128})/[^/]+")


_MODEL_VERSION = re.compile(rf"orgs/(?P<org>{ORG_ID})/models/versions/(?P<version>[a-z0-9.-]{{1,40}})/model\.tflite")


def model_version(path: str | None) -> tuple[str, str] | None:
    """(org, version) of a registered model version's file, which the validation function checks; else None."""
    match = _MODEL_VERSION.fullmatch(path or "")
    return (match["org"], match["version"]) if match else None


def uploader(path: str | None) -> str | None:
    """The uid that owns an upload at `path`, or None when `path` is not a client upload."""
    match = _UPLOAD.fullmatch(path or "")
    return match["uid"] if match else None

"""Which Storage objects are client uploads: uploads/<uid>/<name>, one name segment.

Kept apart from the trigger so that the Storage event handler can check a path before importing anything heavy:
every object the server writes (users/<uid>/images/...) fires the same event, and is skipped here.
"""

from __future__ import annotations

import re

_UPLOAD = re.compile(r"uploads/(?P<uid>[A-Za-z0-9_-]{1,128})/[^/]+")


def uploader(path: str | None) -> str | None:
    """The uid that owns an upload at `path`, or None when `path` is not a client upload."""
    match = _UPLOAD.fullmatch(path or "")
    return match["uid"] if match else None

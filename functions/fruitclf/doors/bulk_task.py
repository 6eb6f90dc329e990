"""The bulk queue's door: a task's payload, checked, becomes one call of service.bulk.run_chunk.

Only our own API queues these tasks (deployed, the function is private: Cloud Tasks calls it with a service
account's token). A payload that is not one of ours is logged and acknowledged, since retrying it could never
help; any other failure is raised, so that the queue retries the chunk (with backoff, BULK_QUEUE_ATTEMPTS times).
"""

from __future__ import annotations

import logging
import re

from ..service import bulk
from ..service.jobs import JOB_ID, MAX_CHUNKS
from .upload_paths import ORG_ID

log = logging.getLogger(__name__)

_ORG_ID = re.compile(ORG_ID)


def on_chunk(data) -> dict:
    if not _well_formed(data):
        log.warning({"event": "bulk-task-refused", "payload": repr(data)[:200]})
        return {"outcome": "refused"}
    try:
        return {"outcome": bulk.run_chunk(data["org"], data["job"], data["chunk"])}
    except Exception:
        log.exception("bulk chunk %s/%s/%s failed; the queue will retry it", data["org"], data["job"], data["chunk"])
        raise


def _well_formed(data) -> bool:
    if not isinstance(data, dict):
        return False
    org, job, chunk = data.get("org"), data.get("job"), data.get("chunk")
    return (
        isinstance(org, str)
        and bool(_ORG_ID.fullmatch(org))
        and isinstance(job, str)
        and bool(JOB_ID.fullmatch(job))
        and isinstance(chunk, int)
        and not isinstance(chunk, bool)
        and 0 <= chunk < MAX_CHUNKS
    )

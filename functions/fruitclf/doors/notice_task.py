"""The job-notice queue's door: a task's payload, checked, becomes one delivery (service/webhooks.py).

Only our own code queues these tasks (deployed, the function is private). A payload that is not one of ours
is logged and acknowledged; a delivery the receiver did not take is raised, so that the queue retries it
(WEBHOOK_ATTEMPTS times at most, with backoff).
"""

from __future__ import annotations

import logging
import re

from ..service import webhooks
from .upload_paths import ORG_ID

log = logging.getLogger(__name__)

_ORG_ID = re.compile(ORG_ID)
_NOTICE = re.compile(r"[A-Za-z0-9_-]{1,200}")


def on_notice(data) -> dict:
    if not _well_formed(data):
        log.warning({"event": "job-notice-refused", "payload": repr(data)[:200]})
        return {"outcome": "refused"}
    outcome = webhooks.deliver(data["org"], data["event"], data["notice"], data["job"])
    log.info({"event": "job-notice", "org": data["org"], "notice": data["notice"], "outcome": outcome})
    return {"outcome": outcome}


def _well_formed(data) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("org"), str)
        and bool(_ORG_ID.fullmatch(data["org"]))
        and data.get("event") in webhooks.EVENTS.values()
        and isinstance(data.get("notice"), str)
        and bool(_NOTICE.fullmatch(data["notice"]))
        and isinstance(data.get("job"), dict)
    )

"""Job notices: when an org's bulk job ends (done, or paused: its daily budget spent, its model gone), the org's
webhook hears of it, signed, as Stripe and GitHub sign theirs.

An org admin sets the URL (service/webhook_urls.py decides which the server may call); the server makes the
secret and shows it once. Each notice is a task on its own queue (`jobnotice`): the chunk that ended the job
only queues it, and the queue retries a failed delivery with backoff, WEBHOOK_ATTEMPTS times at most, each
attempt cut off after WEBHOOK_TIMEOUT seconds. The task name is fixed per job, run and event, so a notice is
queued once however often the end is seen.

A delivery is a POST of JSON with
    Fruitclf-Event: job.done | job.paused
    Fruitclf-Delivery: <the notice's id; the same on every retry>
    Fruitclf-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>
A receiver recomputes the HMAC over the raw body, compares in constant time and refuses an old `t` (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from .. import errors
from ..config import settings
from ..data import tasks, webhooks
from ..data.jobs import Document
from . import access, webhook_urls
from .identity import Caller

log = logging.getLogger(__name__)
TASK_FUNCTION = "jobnotice"  # functions/main.py; its queue is named after it
TASK_DEADLINE_S = 60
EVENTS = {"done": "job.done", "paused": "job.paused"}


# -- the admin's setting


def read(caller: Caller, org_id: str) -> dict[str, Any]:
    """The org's webhook URL (None when there is none) and the secret's last characters, to tell secrets apart."""
    access.require_admin(caller, org_id)
    hook = webhooks.read(org_id)
    return {"url": hook["url"], "secretHint": "…" + hook["secret"][-4:]} if hook else {"url": None}


def set_url(caller: Caller, org_id: str, read_body: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Point the org's notices at the body's `url` with a new secret, shown in this answer only."""
    caller = access.require_admin(caller, org_id)
    body = read_body()
    if set(body) != {"url"}:
        raise errors.bad_request('Send JSON {"url": "https://..."}.', "invalid-webhook-url")
    url = webhook_urls.checked(body["url"])
    secret = "whsec_" + secrets.token_urlsafe(32)
    webhooks.write(org_id, url, secret, caller.uid)
    return {"url": url, "secret": secret}


def remove(caller: Caller, org_id: str) -> None:
    access.require_admin(caller, org_id)
    webhooks.delete(org_id)


# -- notices


def notify(org_id: str, job: Document, ended: str) -> None:
    """Queue the notice that `job` ended (`ended`: done or paused) when the org has a webhook. Never raises: a
    notice that cannot be queued is logged, and the job's own work stands."""
    try:
        if webhooks.read(org_id) is None:
            return
        name = f"{job['id']}-{org_id}-{ended}-r{job['run']}"
        payload = {"org": org_id, "event": EVENTS[ended], "notice": name, "job": summary(job)}
        tasks.enqueue(TASK_FUNCTION, name, payload, TASK_DEADLINE_S)
    except Exception:  # noqa: BLE001 - the notice is a courtesy; the job has ended either way
        log.exception("could not queue the %s notice of job %s/%s", ended, org_id, job.get("id"))


SUMMARY_FIELDS = ("kind", "state", "pausedReason", "total", "done", "failed", "modelId", "run")


def summary(job: Document) -> dict[str, Any]:
    """The job as a notice tells it, as it ended (plain values only: no images, no users' data)."""
    return {"id": job["id"], **{field: job.get(field) for field in SUMMARY_FIELDS}}


def body(org_id: str, event: str, job: dict[str, Any]) -> bytes:
    return json.dumps({"type": event, "org": org_id, "job": job}).encode()


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class DeliveryFailed(Exception):
    """The receiver did not take the notice (an error status, a timeout): the queue tries again."""


def deliver(org_id: str, event: str, notice: str, job: dict[str, Any]) -> str:
    """Send one notice now; returns what happened for the log. Raises DeliveryFailed for the queue to retry."""
    hook = webhooks.read(org_id)
    if hook is None:
        return "no-webhook"
    try:
        url = webhook_urls.checked(hook["url"])  # again: the name may resolve somewhere else by now
    except errors.ApiError as exc:
        log.warning({"event": "webhook-refused", "org": org_id, "code": exc.code})
        return "refused"
    payload = body(org_id, event, job)
    request = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "fruitclf-webhooks/1",
            "Fruitclf-Event": event,
            "Fruitclf-Delivery": notice,
            "Fruitclf-Signature": signature(hook["secret"], int(time.time()), payload),
        },
    )
    try:
        with _no_redirects.open(request, timeout=settings().webhook_timeout_s) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"the receiver answered {status}")
    return "delivered"


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead anywhere, our own network included: it counts as the receiver's answer."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_no_redirects = urllib.request.build_opener(_RefuseRedirects)

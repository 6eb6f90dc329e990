"""Job-end notices: an org admin points the org's webhook at a receiver, and a job's end reaches it through the
`jobnotice` queue, signed with the secret the server made. Deliveries time out, are retried by the queue when
the receiver fails, and never follow a redirect. The receiver is local (WEBHOOK_ALLOW_LOOPBACK, emulators only:
functions/.env.local)."""

import pytest
import requests

from support import bulk, emulators
from support.emulators import API
from support.webhook_receiver import Receiver, signature_valid


def set_webhook(admin, org, url) -> requests.Response:
    return requests.put(f"{API}/orgs/{org}/webhook", json={"url": url}, headers=admin.headers, timeout=30)


def test_a_finished_job_is_announced_to_the_orgs_webhook_signed_with_its_secret(org, admin):
    with Receiver() as receiver:
        response = set_webhook(admin, org, receiver.url)
        assert response.status_code == 200, response.text
        secret = response.json()["secret"]
        assert secret.startswith("whsec_") and response.json()["url"] == receiver.url
        shown = requests.get(f"{API}/orgs/{org}/webhook", headers=admin.headers, timeout=30).json()
        assert shown == {"url": receiver.url, "secretHint": "…" + secret[-4:]}, "the secret is shown once only"

        started = bulk.started(admin, org, {"prefix": bulk.upload(org, "announced", 3, extra={"x.txt": b"no"})})
        job = bulk.wait_until(admin, org, started["id"], lambda j: j["state"] == "done")
        emulators.wait_for(lambda: receiver.received, timeout_s=60)

    [notice] = receiver.received
    headers = {k.lower(): v for k, v in notice["headers"].items()}
    assert signature_valid(secret, headers["fruitclf-signature"], notice["raw"])
    assert not signature_valid("whsec_other", headers["fruitclf-signature"], notice["raw"])
    assert headers["fruitclf-event"] == "job.done" and headers["fruitclf-delivery"].startswith(job["id"])
    assert notice["body"]["type"] == "job.done" and notice["body"]["org"] == org
    assert {k: notice["body"]["job"][k] for k in ("id", "state", "total", "done", "failed")} == {
        "id": job["id"],
        "state": "done",
        "total": 4,
        "done": 3,
        "failed": 1,
    }
    listed = requests.get(f"{API}/orgs/{org}/jobs", headers=admin.headers, timeout=30).json()["jobs"]
    assert (listed[0]["done"], listed[0]["failed"]) == (3, 1), "the listing (the dashboard's notice) has the end"


def test_a_removed_webhook_hears_nothing(org, admin):
    with Receiver() as receiver:
        assert set_webhook(admin, org, receiver.url).status_code == 200
        assert requests.delete(f"{API}/orgs/{org}/webhook", headers=admin.headers, timeout=30).status_code == 204
        started = bulk.started(admin, org, {"prefix": bulk.upload(org, "unheard", 1)})
        bulk.wait_until(admin, org, started["id"], lambda j: j["state"] == "done")
    assert requests.get(f"{API}/orgs/{org}/webhook", headers=admin.headers, timeout=30).json() == {"url": None}
    assert receiver.received == []


@pytest.fixture
def deliver(client_with, org, admin):
    """Deliver one notice in-process (as the `jobnotice` function would) to a receiver set as the org's webhook."""
    from fruitclf import config
    from fruitclf.service import webhooks

    def send(receiver, **settings):
        app = client_with(webhook_allow_loopback=True, **settings)
        response = app.put(f"/api/orgs/{org}/webhook", json={"url": receiver.url}, headers=admin.headers)
        assert response.status_code == 200, response.get_json()
        with config.using(config.Settings(webhook_allow_loopback=True, **settings)):
            job = {"id": "j1", "state": "done", "total": 1, "done": 1, "failed": 0, "run": 1}
            return webhooks.deliver(org, "job.done", "j1-notice", job)

    return send


def test_a_receiver_that_fails_makes_the_delivery_fail_for_the_queue_to_retry(deliver):
    from fruitclf.service.webhooks import DeliveryFailed

    with Receiver(answers=(500,)) as receiver, pytest.raises(DeliveryFailed, match="500"):
        deliver(receiver)
    with Receiver(answers=(500, 200)) as receiver:
        with pytest.raises(DeliveryFailed):
            deliver(receiver)
        assert deliver(receiver) == "delivered"
        assert receiver.received[0]["body"] == receiver.received[1]["body"]


def test_a_slow_receiver_is_cut_off_at_the_timeout(deliver):
    from fruitclf.service.webhooks import DeliveryFailed

    with Receiver(delay_s=2.0) as receiver, pytest.raises(DeliveryFailed, match="timed out"):
        deliver(receiver, webhook_timeout_s=0.3)


def test_a_redirect_is_never_followed(deliver):
    from fruitclf.service.webhooks import DeliveryFailed

    with Receiver() as elsewhere, Receiver(answers=(302,), redirect_to=elsewhere.url) as receiver:
        with pytest.raises(DeliveryFailed, match="302"):
            deliver(receiver)
        assert len(receiver.received) == 1 and elsewhere.received == []

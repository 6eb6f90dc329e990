"""The job-notice webhook under attack: only the org's admins set, read or remove it; the server never calls
into its own network (SSRF: private, loopback, link-local and metadata addresses, plain http, credentials in
the URL); the signing secret is never readable by a client."""

from functools import partial

import pytest

from hostile import attack
from support import emulators


@pytest.fixture
def other_admin():
    return emulators.join_org(emulators.sign_up(), emulators.make_org(), "admin")


HOOK = "https://93.184.216.34/hooks"  # a public address, literal: nothing to resolve on an offline machine
ACTIONS = [("GET", None), ("PUT", {"url": HOOK}), ("DELETE", None)]


@pytest.mark.parametrize(("method", "body"), ACTIONS)
def test_a_member_cannot_touch_the_orgs_webhook(org, admin, member, method, body):
    send = partial(attack.api, method, f"/orgs/{org}/webhook", member, json=body)
    attack.refused(send, 403, "not-org-admin", member, admin, orgs=[org])


@pytest.mark.parametrize(("method", "body"), ACTIONS)
def test_another_orgs_admin_cannot_touch_the_orgs_webhook(org, admin, other_admin, method, body):
    send = partial(attack.api, method, f"/orgs/{org}/webhook", other_admin, json=body)
    attack.refused(send, 403, "not-org-admin", other_admin, orgs=[org])


BAD_URLS = [
    ("http://93.184.216.34/hooks", "webhook-url-not-https"),
    ("ftp://93.184.216.34/hooks", "webhook-url-not-https"),
    ("javascript:alert(1)", "invalid-webhook-url"),
    ("https://127.0.0.1/hooks", "webhook-url-not-public"),
    ("https://localhost/hooks", "webhook-url-not-public"),
    ("http://127.0.0.2/hooks", "webhook-url-not-https"),  # the emulators' exception is 127.0.0.1 alone
    ("https://10.0.0.8/hooks", "webhook-url-not-public"),
    ("https://192.168.1.1/hooks", "webhook-url-not-public"),
    ("https://172.16.0.1/hooks", "webhook-url-not-public"),
    ("https://100.64.0.1/hooks", "webhook-url-not-public"),  # carrier-grade NAT
    ("https://169.254.169.254/computeMetadata/v1/", "webhook-url-not-public"),  # the metadata server
    ("https://0.0.0.0/hooks", "webhook-url-not-public"),
    ("https://[::1]/hooks", "webhook-url-not-public"),
    ("https://[::ffff:127.0.0.1]/hooks", "webhook-url-not-public"),
    ("https://[fd00::1]/hooks", "webhook-url-not-public"),
    ("https://2130706433/hooks", "webhook-url-not-public"),  # 127.0.0.1 as one number
    ("https://user:secret@93.184.216.34/hooks", "invalid-webhook-url"),
    ("https://93.184.216.34:99999/hooks", "invalid-webhook-url"),
    ("https://93.184.216.34/hooks#x", "invalid-webhook-url"),
    ("https://no-such-host.invalid/hooks", "webhook-url-unresolvable"),
    ("https://93.184.216.34/\nhooks", "invalid-webhook-url"),
    ("https:///hooks", "invalid-webhook-url"),
    ("", "invalid-webhook-url"),
    ("https://93.184.216.34/" + "x" * 2000, "invalid-webhook-url"),
    (42, "invalid-webhook-url"),
    (None, "invalid-webhook-url"),
    (["https://93.184.216.34/hooks"], "invalid-webhook-url"),
]


@pytest.mark.parametrize(("url", "code"), BAD_URLS, ids=[repr(u)[:50] for u, _ in BAD_URLS])
def test_a_url_the_server_must_not_call_is_refused_and_nothing_is_stored(org, admin, url, code):
    send = partial(attack.api, "PUT", f"/orgs/{org}/webhook", admin, json={"url": url})
    attack.refused(send, 400, code, admin, orgs=[org])


def test_a_body_with_more_than_the_url_is_refused(org, admin):
    body = {"url": HOOK, "secret": "whsec_mine"}  # the secret is the server's to make
    attack.refused(
        partial(attack.api, "PUT", f"/orgs/{org}/webhook", admin, json=body),
        400,
        "invalid-webhook-url",
        admin,
        orgs=[org],
    )


def test_the_signing_secret_is_not_readable_from_firestore_even_by_an_admin(org, admin, member):
    assert attack.api("PUT", f"/orgs/{org}/webhook", admin, json={"url": HOOK}).status_code == 200
    for who in (admin, member):
        response = attack.firestore_rest("GET", f"orgs/{org}/private/webhook", who)
        assert response.status_code == 403, response.text

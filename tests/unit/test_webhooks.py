"""Webhook rules that need no emulator: which URLs the server may call, and the signature receivers check."""

import hashlib
import hmac

import pytest

from fruitclf import errors
from fruitclf.service import webhook_urls, webhooks


def test_the_signature_is_an_hmac_of_the_timestamp_and_the_raw_body():
    header = webhooks.signature("whsec_k", 1_700_000_000, b'{"a":1}')
    expected = hmac.new(b"whsec_k", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_a_public_https_address_is_accepted():
    assert webhook_urls.checked("https://93.184.216.34:8443/hooks?x=1") == "https://93.184.216.34:8443/hooks?x=1"


@pytest.mark.parametrize("emulated", [False, True])
def test_plain_http_to_127_0_0_1_needs_the_setting_and_the_emulators(use_settings, monkeypatch, emulated):
    """WEBHOOK_ALLOW_LOOPBACK opens the test receiver's address under the emulators, and nowhere else."""
    use_settings(webhook_allow_loopback=True)
    monkeypatch.setattr(webhook_urls, "emulator_mode", lambda: emulated)
    if emulated:
        assert webhook_urls.checked("http://127.0.0.1:8123/hook") == "http://127.0.0.1:8123/hook"
    else:
        with pytest.raises(errors.ApiError) as refused:
            webhook_urls.checked("http://127.0.0.1:8123/hook")
        assert refused.value.code == "webhook-url-not-https"


def test_without_the_setting_the_emulators_refuse_loopback_too(use_settings, monkeypatch):
    use_settings(webhook_allow_loopback=False)
    monkeypatch.setattr(webhook_urls, "emulator_mode", lambda: True)
    with pytest.raises(errors.ApiError):
        webhook_urls.checked("http://127.0.0.1:8123/hook")


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(webhook_urls.socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("10.1.2.3", 443))])
    with pytest.raises(errors.ApiError) as refused:
        webhook_urls.checked("https://hooks.example.com/x")
    assert refused.value.code == "webhook-url-not-public"

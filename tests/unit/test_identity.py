"""Who is calling (service/identity.py): the session rules applied to the account behind a verified token, and
the per-instance account cache that keeps them to one Auth read per user per SESSION_CHECK_SECONDS."""

from __future__ import annotations

import dataclasses
import time

import pytest

from fake_data import FakeData
from fruitclf.data import accounts
from fruitclf.data.accounts import Account
from fruitclf.errors import ApiError
from fruitclf.service import identity

NOW = time.time() - 60  # the tokens here were issued a minute before the instance reads the account


@pytest.fixture
def data(monkeypatch) -> FakeData:
    monkeypatch.setattr(identity, "_seen", {})
    data = FakeData().install(monkeypatch)
    data.accounts["ada"] = Account(
        uid="ada", email="ada@fruit.test", claims={"org": "acme", "role": "admin"}, anonymous=False
    )
    # Token verification itself is the admin SDK's (tested against the emulator); here a token is its claims.
    monkeypatch.setattr(accounts, "verify_id_token", lambda token: {"uid": token, "iat": NOW, "exp": NOW + 3600})
    return data


def change(data: FakeData, uid: str, **fields) -> None:
    data.accounts[uid] = dataclasses.replace(data.accounts[uid], **fields)


def code_of(call, *args) -> str:
    with pytest.raises(ApiError) as caught:
        call(*args)
    assert caught.value.status == 401
    return caught.value.code


def test_org_and_role_come_from_the_account_not_the_token(data):
    caller = identity.caller_from_token("ada")
    assert (caller.org, caller.role, caller.issued_at) == ("acme", "admin", NOW)


@pytest.mark.parametrize(
    ("ending", "code"),
    [
        ({"disabled": True}, "account-disabled"),
        ({"tokens_valid_after": NOW + 1}, "token-revoked"),
    ],
    ids=["disabled", "revoked"],
)
def test_an_ended_session_is_refused(data, ending, code):
    change(data, "ada", **ending)
    assert code_of(identity.caller_from_token, "ada") == code


def test_a_deleted_account_is_refused(data):
    del data.accounts["ada"]
    assert code_of(identity.caller_from_token, "ada") == "account-deleted"


def test_a_token_from_the_second_of_the_revocation_still_counts(data):
    """Auth keeps tokensValidAfter to the second, as the admin SDK's check_revoked compares it."""
    change(data, "ada", tokens_valid_after=float(int(NOW)))
    assert identity.caller_from_token("ada").uid == "ada"


def test_the_account_is_re_read_only_after_the_recheck_interval(data, use_settings):
    use_settings(session_check_seconds=3600.0)
    identity.caller_from_token("ada")
    change(data, "ada", disabled=True)
    assert identity.caller_from_token("ada").uid == "ada", "within the interval the instance's copy stands"
    use_settings(session_check_seconds=0.0)
    assert code_of(identity.caller_from_token, "ada") == "account-disabled"


def test_a_token_issued_after_the_instance_read_the_account_reads_it_again(data, monkeypatch, use_settings):
    """The app refreshes its token after a change (joining an org, verifying its address): that token must not
    meet the instance's older copy of the account."""
    use_settings(session_check_seconds=3600.0)
    identity.caller_from_token("ada")
    change(data, "ada", email_verified=True)
    assert not identity.caller_from_token("ada").email_verified, "the same old token: the instance's copy stands"
    monkeypatch.setattr(
        accounts, "verify_id_token", lambda token: {"uid": token, "iat": time.time(), "exp": NOW + 3600}
    )
    assert identity.caller_from_token("ada").email_verified


def test_admin_actions_and_forget_read_the_account_afresh(data, use_settings):
    use_settings(session_check_seconds=3600.0)
    caller = identity.caller_from_token("ada")
    change(data, "ada", claims={"org": "acme", "role": "member"})
    assert identity.caller_from_token("ada").role == "admin"
    assert identity.fresh(caller).role == "member"
    change(data, "ada", claims={})
    identity.forget("ada")
    assert identity.caller_from_token("ada").org is None


def test_a_token_without_an_issue_time_is_invalid(data, monkeypatch):
    monkeypatch.setattr(accounts, "verify_id_token", lambda token: {"uid": token, "exp": NOW + 3600})
    assert code_of(identity.caller_from_token, "ada") == "invalid-token"

"""Who is calling: a plain `Caller` for every door, from an ID token (HTTP) or from an account (trigger).

An ID token lives up to an hour and its claims are as old as the token. So a token is only the start: the
account behind it is read from Auth (deleted? disabled? sessions revoked since the token was issued?) and the
caller's org and role come from the account's current claims, not the token's. Reading the account on every
request would cost an Auth round trip each time; an instance keeps what it read for SESSION_CHECK_SECONDS
(30 s by default: a user who is disabled, deleted, signed out everywhere or removed from an org is refused
within half a minute, and a busy user costs one Auth read per half minute per instance). A token issued after
that read is a sign the app saw a change (it refreshes its token after joining an org or verifying its address),
so it reads the account again; admin actions and consent steps (`fresh`) always do.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from .. import errors
from ..config import emulator_mode, settings
from ..data import accounts, app_check
from ..data.accounts import Account


@dataclass(frozen=True)
class Caller:
    uid: str
    email: str | None
    anonymous: bool
    org: str | None
    role: str | None
    email_verified: bool = False
    issued_at: float | None = None  # the ID token's issue time (None for a door without a token)

    @property
    def is_org_admin(self) -> bool:
        return bool(self.org) and self.role == "admin"


def caller_from_token(token: str) -> Caller:
    """The verified caller behind a Firebase ID token; 401 when it does not verify, has expired, or its
    session has ended (account deleted or disabled, or its tokens revoked)."""
    claims = accounts.verify_id_token(token)
    # The admin SDK skips signature and expiry checks for Auth-emulator tokens (unsigned, so any claims at
    # all): there, expiry is checked here so that the emulators behave like production for expired tokens.
    if emulator_mode():
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp < time.time():
            raise errors.token_expired()
    firebase = claims.get("firebase")
    provider = firebase.get("sign_in_provider") if isinstance(firebase, dict) else None
    issued_at = claims.get("iat")
    if not isinstance(issued_at, (int, float)) or isinstance(issued_at, bool):
        raise errors.unauthenticated("The ID token is not valid: sign in again.", "invalid-token")
    return _caller(
        _account(claims["uid"], token_issued_at=float(issued_at)), float(issued_at), anonymous=provider == "anonymous"
    )


def fresh(caller: Caller) -> Caller:
    """The same caller as Auth has the account now (org, role, session): what admin actions decide on."""
    if caller.issued_at is None:
        return caller
    return _caller(_account(caller.uid, fresh=True), caller.issued_at, anonymous=caller.anonymous)


def forget(uid: str) -> None:
    """Drop what this instance remembers of an account (after this instance changed it)."""
    with _seen_lock:
        _seen.pop(uid, None)


def _caller(account: Account | None, issued_at: float, anonymous: bool) -> Caller:
    if account is None:
        raise errors.unauthenticated("This account has been deleted.", "account-deleted")
    if account.disabled:
        raise errors.unauthenticated("This account has been disabled.", "account-disabled")
    # Auth keeps tokensValidAfter to the second, as the admin SDK's own check_revoked compares it.
    if issued_at < int(account.tokens_valid_after):
        raise errors.unauthenticated(
            "This sign-in has been ended (signed out everywhere, or the account's role changed): sign in again.",
            "token-revoked",
        )
    return Caller(
        uid=account.uid,
        email=account.email,
        anonymous=anonymous,
        org=_text(account.claims.get("org")),
        role=_text(account.claims.get("role")),
        email_verified=account.email_verified,
        issued_at=issued_at,
    )


_SEEN_MAX = 10_000
# uid -> (when it was read: monotonic, and wall-clock to compare with token issue times; the account)
_seen: dict[str, tuple[float, float, Account | None]] = {}
_seen_lock = threading.Lock()


def _account(uid: str, fresh: bool = False, token_issued_at: float | None = None) -> Account | None:
    """The account as this instance last read it, unless that read is older than SESSION_CHECK_SECONDS or than
    the token (`token_issued_at`), or `fresh` asks for Auth's copy."""
    now = time.monotonic()
    if not fresh:
        with _seen_lock:
            hit = _seen.get(uid)
        # A token's iat is in whole seconds: one issued in the second of the read may be the newer.
        read_before_token = hit is not None and token_issued_at is not None and token_issued_at + 1 > hit[1]
        if hit and now - hit[0] < settings().session_check_seconds and not read_before_token:
            return hit[2]
    account = accounts.by_uid(uid)
    with _seen_lock:
        if len(_seen) >= _SEEN_MAX:  # an instance meets many users over its life: keep only the current ones
            ttl = settings().session_check_seconds
            for stale in [key for key, (at, _, _) in _seen.items() if now - at >= ttl]:
                del _seen[stale]
        _seen[uid] = (now, time.time(), account)
    return account


def _text(claim: object) -> str | None:
    # Claims are JSON: a mistaken non-string is no org, role or email rather than a crash later.
    return claim if isinstance(claim, str) else None


def caller_for_email(email: str) -> Caller:
    """An operator acting as the account with `email` (the admin CLI): org and role from its claims, as for an
    upload's owner. 404 `user-not-found` when there is no such account."""
    return caller_for_uid(accounts.by_email(email).uid)


def caller_for_uid(uid: str) -> Caller:
    """The owner of an upload (the Storage trigger's caller): org membership from the account's claims, as on
    the HTTP path. 404 `user-not-found` when the account no longer exists."""
    account = accounts.by_uid(uid)
    if account is None:
        raise errors.not_found("The account that uploaded this image no longer exists.", "user-not-found")
    if account.disabled:  # its last ID token still passes storage.rules for up to an hour
        raise errors.unauthenticated("This account has been disabled.", "account-disabled")
    return Caller(
        uid=uid,
        email=None,
        anonymous=account.anonymous,
        org=_text(account.claims.get("org")),
        role=_text(account.claims.get("role")),
    )


def verify_app(token: str) -> dict[str, Any]:
    """The claims of an App Check token for this project (401 `app-check-invalid`, 503 if the keys are out of reach)."""
    cfg = settings()
    return app_check.verify(token, cfg.project_number, cfg.project_id, cfg.app_check_jwks_url)

"""Who is calling: a plain `Caller` for every door, from an ID token (HTTP) or from an account (trigger)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .. import errors
from ..config import emulator_mode
from ..data import accounts


@dataclass(frozen=True)
class Caller:
    uid: str
    email: str | None
    anonymous: bool
    org: str | None
    role: str | None

    @property
    def is_org_admin(self) -> bool:
        return bool(self.org) and self.role == "admin"


def caller_from_token(token: str) -> Caller:
    """The verified caller behind a Firebase ID token; 401 when it does not verify or has expired."""
    claims = accounts.verify_id_token(token)
    # The admin SDK skips signature and expiry checks for Auth-emulator tokens (unsigned, so any claims at
    # all): there, expiry is checked here so that the emulators behave like production for expired tokens.
    if emulator_mode():
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp < time.time():
            raise errors.token_expired()
    firebase = claims.get("firebase")
    provider = firebase.get("sign_in_provider") if isinstance(firebase, dict) else None
    return Caller(
        uid=claims["uid"],
        email=_text(claims.get("email")),
        anonymous=provider == "anonymous",
        org=_text(claims.get("org")),
        role=_text(claims.get("role")),
    )


def _text(claim) -> str | None:
    # Claims are JSON: a forged or mistaken non-string is no org, role or email rather than a crash later.
    return claim if isinstance(claim, str) else None


def caller_for_uid(uid: str) -> Caller:
    """The owner of an upload (the Storage trigger's caller): org membership from the account's claims, as on
    the HTTP path. 404 `user-not-found` when the account no longer exists."""
    account = accounts.by_uid(uid)
    if account is None:
        raise errors.not_found("The account that uploaded this image no longer exists.", "user-not-found")
    return Caller(uid=uid, email=None, anonymous=account.anonymous, org=account.claims.get("org"), role=account.claims.get("role"))

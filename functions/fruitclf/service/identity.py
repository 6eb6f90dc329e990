"""Who is calling: a plain `Caller` for every door, from an ID token (HTTP) or from an account (trigger)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .. import errors
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
    # The admin SDK skips signature and expiry checks for Auth-emulator tokens; expiry is checked here too so
    # that the emulators behave like production for expired tokens.
    if float(claims.get("exp", 0)) < time.time():
        raise errors.token_expired()
    provider = (claims.get("firebase") or {}).get("sign_in_provider")
    return Caller(
        uid=claims["uid"],
        email=claims.get("email"),
        anonymous=provider == "anonymous",
        org=claims.get("org"),
        role=claims.get("role"),
    )


def caller_for_uid(uid: str) -> Caller:
    """The owner of an upload (the Storage trigger's caller): org membership from the account's claims, as on
    the HTTP path. 404 `user-not-found` when the account no longer exists."""
    account = accounts.by_uid(uid)
    if account is None:
        raise errors.not_found("The account that uploaded this image no longer exists.", "user-not-found")
    return Caller(uid=uid, email=None, anonymous=False, org=account.claims.get("org"), role=account.claims.get("role"))

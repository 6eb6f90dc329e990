"""Who is calling: Firebase ID-token verification and the caller's organisation claims."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import g, request

from . import errors
from .clients import admin_app

log = logging.getLogger(__name__)


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


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.unauthenticated()
    return token.strip()


def verify(token: str) -> Caller:
    from firebase_admin import auth

    try:
        claims = auth.verify_id_token(token, app=admin_app())
    except auth.ExpiredIdTokenError:
        raise errors.unauthenticated("Your sign-in has expired: refresh the ID token and retry.", "token-expired")
    except (auth.InvalidIdTokenError, ValueError) as exc:
        log.info("rejected id token: %s", exc)
        raise errors.unauthenticated("The ID token is not valid: sign in again.", "invalid-token")
    # The admin SDK skips signature and expiry checks for Auth-emulator tokens; expiry is checked here too so
    # that the emulators behave like production for expired tokens.
    if float(claims.get("exp", 0)) < time.time():
        raise errors.unauthenticated("Your sign-in has expired: refresh the ID token and retry.", "token-expired")
    provider = (claims.get("firebase") or {}).get("sign_in_provider")
    return Caller(
        uid=claims["uid"],
        email=claims.get("email"),
        anonymous=provider == "anonymous",
        org=claims.get("org"),
        role=claims.get("role"),
    )


def current_caller() -> Caller:
    """The verified caller of this request (verified once, then cached on flask.g)."""
    if "caller" not in g:
        g.caller = verify(_bearer_token())
    return g.caller

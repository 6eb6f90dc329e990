"""Firebase Auth accounts: ID-token verification, look-ups and the custom claims that carry org membership.

The only module that calls firebase_admin.auth. SDK errors become ApiErrors here, so callers never see them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from firebase_admin import auth

from .. import errors
from .clients import admin_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Account:
    uid: str
    email: str | None
    claims: dict[str, Any]  # custom claims: org and role
    anonymous: bool  # signed in anonymously: no sign-in provider is linked to the account
    email_verified: bool = False
    disabled: bool = False
    tokens_valid_after: float = 0.0  # seconds since the epoch: ID tokens issued before this were revoked


def verify_id_token(token: str) -> dict[str, Any]:
    """The token's claims; 401 `token-expired` or `invalid-token` when it does not verify."""
    try:
        claims: dict[str, Any] = auth.verify_id_token(token, app=admin_app())
        return claims
    except auth.ExpiredIdTokenError:
        raise errors.token_expired()
    except auth.CertificateFetchError:
        # Google's signing keys could not be fetched: nothing is wrong with the token, so the caller may retry.
        log.error({"event": "token-certificates-unavailable"})
        raise errors.unavailable("Sign-in cannot be checked right now; try again shortly.") from None
    except (auth.InvalidIdTokenError, ValueError, TypeError, AttributeError, RecursionError) as exc:
        # Besides its own errors, the SDK's JWT parsing trips over hostile shapes (a payload that is a list,
        # JSON nested thousands deep). The message may quote the token, so only the error's type is logged.
        log.info({"event": "invalid-id-token", "error": type(exc).__name__})
        raise errors.unauthenticated("The ID token is not valid: sign in again.", "invalid-token") from None


def _account(user: auth.UserRecord) -> Account:
    return Account(
        uid=user.uid,
        email=user.email,
        claims=dict(user.custom_claims or {}),
        anonymous=not user.provider_data,
        email_verified=bool(user.email_verified),
        disabled=bool(user.disabled),
        tokens_valid_after=(user.tokens_valid_after_timestamp or 0) / 1000,
    )


def by_uid(uid: str) -> Account | None:
    try:
        return _account(auth.get_user(uid, app=admin_app()))
    except (auth.UserNotFoundError, ValueError):
        return None


def by_email(email: str) -> Account:
    """The account with `email`; 400 for something that is not an email, 404 `user-not-found` for no account."""
    try:
        return _account(auth.get_user_by_email(email, app=admin_app()))
    except ValueError:
        raise errors.bad_request(f"{email[:100]!r} is not an email address.", "invalid-member")
    except auth.UserNotFoundError:
        raise errors.not_found(f"No user has the email {email!r}; they must sign up first.", "user-not-found")


def set_claims(uid: str, claims: dict[str, Any]) -> None:
    """Replace the account's custom claims (they reach the app with its next ID token)."""
    auth.set_custom_user_claims(uid, claims, app=admin_app())


def revoke_sessions(uid: str) -> None:
    """End the account's sessions: its refresh tokens stop working and ID tokens issued until now are refused
    (service/identity.py compares their issue time with the account's tokensValidAfter)."""
    auth.revoke_refresh_tokens(uid, app=admin_app())

"""The caller of an HTTP request: the `Authorization: Bearer <Firebase ID token>` header, verified once; and,
where enforced, the app it came from (the `X-Firebase-AppCheck` header)."""

from __future__ import annotations

from flask import g, request

from .. import errors
from ..config import settings
from ..service.identity import Caller, caller_from_token, verify_app

# Open without App Check: what a status page or the model download needs, and CORS preflights.
_OPEN_ENDPOINTS = ("health.health", "model.model")


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.unauthenticated()
    return token.strip()


def current_caller() -> Caller:
    """The verified caller of this request (verified once, then cached on flask.g)."""
    if "caller" not in g:
        g.caller = caller_from_token(_bearer_token())
    return g.caller


def require_app_check() -> None:
    """With APP_CHECK_ENFORCE on, every API call but the open ones carries a valid App Check token (401 otherwise)."""
    cfg = settings()
    if not cfg.app_check_enforce or request.method == "OPTIONS" or request.endpoint in _OPEN_ENDPOINTS:
        return
    if not cfg.project_number:
        raise errors.unavailable(
            "App Check is enforced but PROJECT_NUMBER is not set; the operator must set it.", "app-check-misconfigured"
        )
    token = request.headers.get("X-Firebase-AppCheck", "").strip()
    if not token:
        raise errors.unauthenticated(
            "This app is not verified: send an App Check token (X-Firebase-AppCheck).", "app-check-missing"
        )
    verify_app(token)

"""The caller of an HTTP request: the `Authorization: Bearer <Firebase ID token>` header, verified once."""

from __future__ import annotations

from flask import g, request

from .. import errors
from ..service.identity import Caller, caller_from_token


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

"""CORS for origins other than the Hosting site itself (which is same-origin and needs none).

Allowed origins come from ALLOWED_ORIGINS (comma-separated, exact matches). A preflight from an allowed origin
gets 204 with the allowed methods and headers; from any other origin, a 403 JSON error.
"""

from __future__ import annotations

from flask import Response, request

from .. import errors
from ..config import settings

ALLOWED_METHODS = "GET, POST, DELETE, PATCH, PUT, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, X-Firebase-AppCheck, Idempotency-Key"
MAX_AGE_S = "600"


def _allowed(origin: str | None) -> bool:
    return bool(origin) and origin in settings().allowed_origins


def preflight() -> Response | None:
    """Answer CORS preflights before routing (they carry no token)."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    origin = request.headers.get("Origin")
    if not _allowed(origin):
        raise errors.forbidden(
            f"Origin {origin!r} may not call this API; ask the operator to add it to ALLOWED_ORIGINS.",
            "origin-not-allowed",
        )
    response = Response(status=204)
    response.headers.update(
        {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": MAX_AGE_S,
            "Vary": "Origin",
        }
    )
    return response


def decorate(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if _allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        response.headers.add("Vary", "Origin")
    return response

"""One error type, one JSON shape: {"error": {"code": "<slug>", "message": "<sentence>"}}."""

from __future__ import annotations


class ApiError(Exception):
    """An error a client can act on. `code` is a stable slug; `message` is for people."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


RETRY_UNAVAILABLE_S = 5  # what a 503 tells clients to wait before retrying


def bad_request(message: str, code: str = "bad-request") -> ApiError:
    return ApiError(400, code, message)


def unauthenticated(
    message: str = "Sign in first: send 'Authorization: Bearer <Firebase ID token>'.", code: str = "unauthenticated"
) -> ApiError:
    return ApiError(401, code, message)


def token_expired() -> ApiError:
    return unauthenticated("Your sign-in has expired: refresh the ID token and retry.", "token-expired")


def forbidden(message: str, code: str = "forbidden") -> ApiError:
    return ApiError(403, code, message)


def not_found(message: str = "Nothing is here.", code: str = "not-found") -> ApiError:
    return ApiError(404, code, message)


def unavailable(
    message: str = "A backing service is unavailable; try again shortly.", code: str = "unavailable"
) -> ApiError:
    return ApiError(503, code, message, headers={"Retry-After": str(RETRY_UNAVAILABLE_S)})

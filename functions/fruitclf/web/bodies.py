"""Request bodies: the JSON object a route reads, refused with a 400 whatever arrives instead.

The app caps every body at the largest upload plus MULTIPART_OVERHEAD (web/app.py), so a JSON body is small
by the time it is parsed here.
"""

from __future__ import annotations

import json

from flask import request

from .. import errors

MULTIPART_OVERHEAD = 64 * 1024  # the form framing around an upload of the largest accepted size


def json_object(message: str = "Send a JSON object.") -> dict:
    """The request's JSON object; 400 `invalid-json` for anything else.

    Stricter than Flask's parser where a client can otherwise cause a 500 or store garbage: UTF-8 only (as
    RFC 8259 asks), no nesting deep enough to exhaust the parser's recursion, and no lone surrogates (escaped
    halves of an emoji that Firestore cannot encode)."""
    try:
        body = json.loads(request.get_data(cache=True).decode("utf-8"))
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # UnicodeError is a ValueError
        raise errors.bad_request(message, "invalid-json") from None
    if not isinstance(body, dict):
        raise errors.bad_request(message, "invalid-json")
    return body

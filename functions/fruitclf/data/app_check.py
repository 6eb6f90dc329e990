"""Firebase App Check tokens, verified as the App Check service issues them: an RS256 JWT whose issuer is
https://firebaseappcheck.googleapis.com/<project number> and whose audience holds projects/<project number>
and projects/<project id>, signed by a key from App Check's public key set (a JWKS at a URL: Google's by
default, a setting so that tests can install their own). The keys are cached for 6 hours, as Google advises.

Checked here rather than by `firebase_admin.app_check.verify_token`, which checks the issuer only by its prefix
(`iss.startswith("https://firebaseappcheck.googleapis.com/")`) and the audience only for projects/<project id>:
a token App Check issued to another project number would pass it (the `wrong-issuer` case of
tests/hostile/test_app_check.py). It also fetches its keys from a fixed URL, so tests could not sign their own.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import jwt

from .. import errors

log = logging.getLogger(__name__)
ISSUER_PREFIX = "https://firebaseappcheck.googleapis.com/"


@functools.cache
def _key_set(jwks_url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=6 * 3600, timeout=5)


def verify(token: str, project_number: str, project_id: str, jwks_url: str) -> dict[str, Any]:
    """The token's claims; 401 `app-check-invalid` when it is not a current App Check token for this project,
    503 when App Check's keys cannot be fetched (nothing is known to be wrong with the token)."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("typ") != "JWT" or header.get("alg") != "RS256":
            raise jwt.InvalidTokenError("not an RS256 JWT")
        key = _key_set(jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=f"projects/{project_number}",
            issuer=ISSUER_PREFIX + project_number,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        if f"projects/{project_id}" not in claims["aud"]:
            raise jwt.InvalidAudienceError("the audience does not name this project")
        return claims
    except jwt.PyJWKClientConnectionError:
        log.error({"event": "app-check-keys-unavailable"})
        raise errors.unavailable("App Check cannot be verified right now; try again shortly.") from None
    except (jwt.PyJWKClientError, jwt.InvalidTokenError, ValueError, TypeError) as exc:
        log.info({"event": "invalid-app-check-token", "error": type(exc).__name__})
        raise errors.unauthenticated("The App Check token is not valid: reload the app.", "app-check-invalid") from None

"""No input makes a 500: malformed or absurd JSON, query strings, headers and multipart bodies get a 4xx with
the error envelope, and nothing is written for them. Sent through Hosting, as a client would."""

from __future__ import annotations

import base64
import json

import pytest

from hostile import attack
from support import emulators

DEEP = 10_000
JSON_BODIES = {
    "nested-lists-10000-deep": "[" * DEEP + "]" * DEEP,
    "nested-objects-10000-deep": '{"a":' * DEEP + "1" + "}" * DEEP,
    "deep-inside-a-valid-field": '{"storagePath": ' + "[" * DEEP + "]" * DEEP + "}",
    "truncated": '{"storagePath": "uploads/',
    "form-encoded": "storagePath=uploads/x/y.jpg",
    "nul-bytes": '{"a": "\x00"}\x00\x00',
    "top-level-array": "[1, 2, 3]",
    "top-level-string": '"hello"',
    "top-level-null": "null",
    "empty": "",
    "lone-surrogates": '{"storagePath": "\\ud800", "label": "\\udfff", "name": "\\ud800", "email": "\\ud800@x.io", "correct": true}',
    "5000-digit-integer": '{"requestsPerMinute": ' + "9" * 5000 + "}",
    "invalid-utf8": b'{"label": "\xff\xfe", "name": "\xc3\x28"}',
    "utf16": '{"label": "banana", "name": "x", "email": "a@b.co"}'.encode("utf-16"),
}
JSON = {"Content-Type": "application/json"}
JSON_ENDPOINTS = {
    "classify": ("POST", "/classify"),
    "feedback": ("POST", "/classifications/{doc}/feedback"),
    "org-patch": ("PATCH", "/orgs/{org}"),
    "members-put": ("PUT", "/orgs/{org}/members"),
    "invitations-post": ("POST", "/orgs/{org}/invitations"),
}


@pytest.fixture(scope="module")
def owner():
    """An org admin with one classification: each JSON endpoint has something real to act on."""
    someone = emulators.join_org(emulators.sign_up(), emulators.make_org(requests_per_minute=100_000), "admin")
    someone.org = emulators.token_claims(someone.token)["org"]
    someone.doc = attack.classify(someone).json()["id"]
    return someone


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@pytest.mark.parametrize("body", JSON_BODIES)
def test_a_body_that_is_not_a_usable_json_object_is_400_invalid_json(owner, endpoint, body):
    method, template = JSON_ENDPOINTS[endpoint]
    path = template.format(doc=owner.doc, org=owner.org)
    send = lambda: attack.api(method, path, owner, data=JSON_BODIES[body], headers=JSON)  # noqa: E731
    attack.refused(send, 400, "invalid-json", owner, orgs=[owner.org])


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=%C2%B2", "invalid-limit"),  # '²' passes str.isdigit but is not a number
        ("limit=%EF%BC%95", "invalid-limit"),  # fullwidth '５'
        ("limit=%D9%A3", "invalid-limit"),  # Arabic-Indic '٣'
        ("limit=0", "invalid-limit"),
        ("limit=-1", "invalid-limit"),
        ("limit=101", "invalid-limit"),
        ("limit=1e2", "invalid-limit"),
        ("limit=" + "9" * 5000, "invalid-limit"),
        ("limit=%205", "invalid-limit"),
        ("limit=", "invalid-limit"),
        ("cursor=%00", "invalid-cursor"),
        ("cursor=" + "A" * 6000, "invalid-cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b"../../orgs/x").decode(), "invalid-cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(), "invalid-cursor"),
        ("cursor=%F0%9F%8D%8C", "invalid-cursor"),
        ("cursor=" + base64.urlsafe_b64encode(b"no-such-document").decode().rstrip("="), "invalid-cursor"),
    ],
)
def test_history_query_strings_that_are_not_a_page_are_400(user, query, code):
    attack.refused(lambda: attack.api("GET", f"/classifications?{query}", user), 400, code, user)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/feedback/export?format=xml", 400, "invalid-format"),
        ("/feedback/export?format=%00", 400, "invalid-format"),
        ("/feedback/export?scope=everyone", 400, "invalid-scope"),
        ("/model?id=../../etc/passwd", 404, "unknown-model"),
        ("/model?id=%00", 404, "unknown-model"),
        ("/model?id=" + "x" * 6000, 404, "unknown-model"),
        ("/classifications/" + "x" * 2000, 404, "not-found"),
        ("/classifications/%F0%9F%8D%8C/image", 404, "not-found"),
        ("/classifications/%00", 404, "not-found"),
        ("/fruits/not_fruit", 404, "unknown-fruit"),
        ("/fruits/Banana", 404, "unknown-fruit"),
        ("/fruits/%00", 404, "unknown-fruit"),
        ("/fruits/__proto__", 404, "unknown-fruit"),
        ("/fruits/" + "x" * 2000, 404, "unknown-fruit"),
    ],
)
def test_odd_parameters_are_4xx(user, path, status, code):
    attack.refused(lambda: attack.api("GET", path, user), status, code, user)


BAD_IDEMPOTENCY_KEYS = {
    "empty": "",
    "too-short": "abc",
    "too-long": "a" * 129,
    "spaces": "a uuid with spaces",
    "path": "../../users/someone",
    "latin-1": "clé-idempotence",
    "quote-and-semicolon": "abcdefgh';--",
}


@pytest.mark.parametrize("key", BAD_IDEMPOTENCY_KEYS)
def test_a_malformed_idempotency_key_is_400_before_anything_is_stored(user, key):
    send = lambda: attack.classify(user, headers={"Idempotency-Key": BAD_IDEMPOTENCY_KEYS[key]})  # noqa: E731
    attack.refused(send, 400, "invalid-idempotency-key", user)


def _jwt(header, payload) -> str:
    def part(value) -> str:
        raw = value if isinstance(value, str) else json.dumps(value)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    return f"{part(header)}.{part(payload)}."


_CLAIMS = {
    "iss": f"https://securetoken.google.com/{emulators.PROJECT}",
    "aud": emulators.PROJECT,
    "sub": "forger",
    "iat": 1,
    "exp": 4_000_000_000,
}
GARBAGE_TOKENS = {
    "8000-chars": "a" * 8000,
    "three-dots": "...",
    "not-base64": "a.b.c",
    # 1,500 deep: past Python's recursion limit (1,000), short enough for a server's 8 KB header line.
    "payload-nested-1500-deep": _jwt({"alg": "none"}, "[" * 1500 + "]" * 1500),
    "header-nested-1500-deep": _jwt("[" * 1500 + "]" * 1500, _CLAIMS),
    "payload-a-list": _jwt({"alg": "none"}, [1, 2, 3]),
    "payload-a-string": _jwt({"alg": "none"}, '"x"'),
    "sub-a-number": _jwt({"alg": "none"}, {**_CLAIMS, "sub": 12}),
    "exp-a-word": _jwt({"alg": "none"}, {**_CLAIMS, "exp": "tomorrow"}),
    "exp-null": _jwt({"alg": "none"}, {**_CLAIMS, "exp": None}),
    "exp-missing": _jwt({"alg": "none"}, {k: v for k, v in _CLAIMS.items() if k != "exp"}),
    "wrong-audience": _jwt({"alg": "none"}, {**_CLAIMS, "aud": "another-project"}),
}


@pytest.mark.parametrize("token", GARBAGE_TOKENS)
def test_garbage_tokens_are_401(user, token):
    for path in ("/me", "/classifications"):
        response = attack.api("GET", path, GARBAGE_TOKENS[token])
        assert response.status_code == 401, (path, response.text[:300])
        assert attack.assert_refused(response, 401)["code"] in {"invalid-token", "token-expired"}


@pytest.mark.parametrize(
    "claims",
    [
        {"firebase": "anonymous"},
        {"firebase": {"sign_in_provider": ["anonymous"]}},
        {"org": ["a", "b"], "role": {"x": 1}},
        {"email": 5},
    ],
    ids=["firebase-a-string", "provider-a-list", "org-a-list", "email-a-number"],
)
def test_odd_claims_in_an_emulator_token_do_not_crash_the_api(user, claims):
    """Unsigned tokens are accepted only by the Auth emulator (production checks Google's signature), but the
    claims they carry must still never reach a crash: an odd claim is treated as absent."""
    token = emulators.unsigned_token({**emulators.token_claims(user.token), **claims})
    response = attack.api("GET", "/me", token)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["org"] is None and response.json()["anonymous"] is False


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("multipart/form-data", b"--x\r\n\r\n", 400, "missing-image"),
        ("multipart/form-data; boundary=", b"", 400, "missing-image"),
        ("multipart/form-data; boundary=" + "b" * 70, b"--" + b"b" * 70 + b"\r\n", 400, "missing-image"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n',
            400,
            "missing-image",
        ),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="image"\r\n\r\nnot a file\r\n--x--\r\n',
            400,
            "missing-image",
        ),
        ("text/plain", b"hello", 415, "unsupported-media-type"),
        ("image/jpeg", emulators.jpeg_bytes(), 415, "unsupported-media-type"),
        ("application/x-www-form-urlencoded", b"image=abc", 415, "unsupported-media-type"),
        ("application/json; charset=ebcdic", b'{"storagePath": 1}', 400, "invalid-json"),
        ("application/octet-stream", b"\x00" * 100, 415, "unsupported-media-type"),
    ],
    ids=[
        "no-boundary",
        "empty-boundary",
        "long-boundary",
        "no-closing-boundary",
        "text-field",
        "text",
        "raw-jpeg",
        "urlencoded",
        "odd-charset",
        "octet-stream",
    ],
)
def test_broken_classify_bodies_are_4xx(user, content_type, body, status, code):
    send = lambda: attack.api("POST", "/classify", user, data=body, headers={"Content-Type": content_type})  # noqa: E731
    attack.refused(send, status, code, user)


def test_thousands_of_multipart_parts_are_413(user):
    parts = b"".join(b'--x\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i for i in range(5000))
    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    attack.refused(
        lambda: attack.api("POST", "/classify", user, data=parts + b"--x--\r\n", headers=multipart),
        413,
        "request-entity-too-large",
        user,
    )


def test_a_json_body_larger_than_any_upload_is_413(owner):
    body = b'{"name": "' + b"a" * (11 * 1024 * 1024) + b'"}'
    attack.refused(
        lambda: attack.api("PATCH", f"/orgs/{owner.org}", owner, data=body, headers=JSON),
        413,
        "request-entity-too-large",
        owner,
        orgs=[owner.org],
    )

"""firebase.json as production reads it: firebase-tools' own schema, and Hosting's RE2 regex engine.

The local Hosting emulator falls back to JavaScript regexes when the `re2` npm module is not built (bootstrap
skips that build), so a pattern production refuses (a lookahead, say) would still work locally. PyPI
`google-re2` compiles patterns the way production does. The headers the emulator sends per path are pinned by
tests/integration/test_hosting_headers.py.
"""

import json
from pathlib import Path

import jsonschema
import pytest
import re2

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / "firebase.json").read_text())
SCHEMA_PATH = ROOT / "node_modules" / "firebase-tools" / "schema" / "firebase-config.json"


def hosting_rules() -> list[dict]:
    hosting = CONFIG["hosting"]
    return [rule for kind in ("headers", "rewrites", "redirects") for rule in hosting.get(kind, [])]


def test_firebase_json_matches_firebase_tools_schema():
    if not SCHEMA_PATH.exists():
        pytest.skip("firebase-tools is not installed (scripts/bootstrap installs it)")
    schema = json.loads(SCHEMA_PATH.read_text())
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(CONFIG)
    ]
    assert not errors, errors


@pytest.mark.parametrize("rule", [r for r in hosting_rules() if "regex" in r], ids=lambda r: r["regex"])
def test_every_hosting_regex_compiles_under_re2(rule):
    re2.compile(rule["regex"])


def test_re2_refuses_what_javascript_accepts():
    """Guards the guard: if google-re2 ever accepted lookaheads, the test above would prove nothing."""
    with pytest.raises(re2.error):
        re2.compile("^/(?!api/).*$")


def test_the_api_rewrite_points_at_the_api_function():
    rewrite = next(r for r in CONFIG["hosting"]["rewrites"] if r["source"] == "/api/**")
    assert rewrite["function"]["functionId"] == "api"


# Header rules: every rule whose pattern matches a path applies, in the order firebase.json lists them, a later
# rule's value replacing an earlier one's (what the emulator does: superstatic's headers middleware). The layout
# reads the same under either precedence: one base rule for every path, then specific rules that only override.
BASE = CONFIG["hosting"]["headers"][0]
YEAR = "public, max-age=31536000, immutable"


def glob_matches(glob: str, path: str) -> bool:
    """The globs firebase.json uses: `**` any depth, `*` one segment; no negation, no braces."""
    assert not set("!{}[]") & set(glob), f"{glob}: a glob whose meaning depends on negation or sets"
    pattern = "".join(".*" if part == "**" else "[^/]*" if part == "*" else re2.escape(part) for part in _split(glob))
    return re2.fullmatch(pattern, path) is not None


def _split(glob: str) -> list[str]:
    parts, i = [], 0
    while i < len(glob):
        for token in ("**", "*"):
            if glob.startswith(token, i):
                parts.append(token)
                i += len(token)
                break
        else:
            parts.append(glob[i])
            i += 1
    return parts


def headers_for(path: str) -> dict[str, str]:
    headers = {}
    for rule in CONFIG["hosting"]["headers"]:
        matched = re2.search(rule["regex"], path) if "regex" in rule else glob_matches(rule["source"], path)
        if matched:
            headers.update({h["key"]: h["value"] for h in rule["headers"]})
    return headers


def test_the_base_rule_comes_first_and_covers_every_path_but_hostings_reserved_ones():
    assert "regex" in BASE and {h["key"] for h in BASE["headers"]} >= {"Content-Security-Policy", "X-Frame-Options"}
    for path in ["/", "/index.html", "/history", "/_app", "/__x", "/a/__/b", "/assets", "/assetsx", "/apix"]:
        assert re2.search(BASE["regex"], path), path
    for path in ["/__/auth/handler", "/__/auth/iframe", "/__/firebase/init.json", "/__/"]:
        assert not re2.search(BASE["regex"], path), path


@pytest.mark.parametrize("path", ["/", "/history", "/classifications/abc/details", "/sw.js", "/models/device.json"])
def test_documents_and_unversioned_files_are_revalidated_under_the_app_csp(path):
    headers = headers_for(path)
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "path", ["/assets/index-abc123.js", "/models/fruit-v4-0a1b2c/model.tflite", "/litert/2.5.3/x.wasm"]
)
def test_versioned_files_are_cached_for_a_year(path):
    assert headers_for(path)["Cache-Control"] == YEAR


def test_the_api_keeps_the_headers_it_sends_itself():
    """Whether Hosting's headers or the function's win, /api answers carry the API's own policy."""
    from fruitclf.web.app import create_app

    own = create_app().test_client().get("/api/health").headers
    headers = headers_for("/api/health")
    for key in ("Cache-Control", "Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options"):
        assert headers[key] == own[key], key


def test_hostings_reserved_paths_keep_what_firebase_sends():
    """/__/auth/* is framed by the app for Google sign-in: X-Frame-Options DENY or frame-ancestors 'none' there
    would break it. No rule of ours touches /__/."""
    for path in ["/__/auth/handler", "/__/auth/iframe", "/__/firebase/init.json"]:
        assert headers_for(path) == {}, path

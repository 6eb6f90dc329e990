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

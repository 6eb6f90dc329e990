"""The Android, iOS and Flutter clients (clients/, docs/mobile.md): each parses, and each uses what the server uses.

No Kotlin, Swift or Dart toolchain runs here: tree-sitter's grammars check the syntax (tests/support/syntax_errors.mjs),
and the facts every file restates are compared with their one source, as test_shared_facts.py does for the web app.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from fruitclf import errors
from fruitclf.config import Settings
from fruitclf.data import store
from fruitclf.ml.images import ACCEPTED_FORMATS

REPO = Path(__file__).resolve().parents[2]
CLIENTS = {
    "android": "clients/android/FruitClient.kt",
    "ios": "clients/ios/FruitClient.swift",
    "flutter": "clients/flutter/fruit_client.dart",
}


def read(path: str) -> str:
    return (REPO / path).read_text()


def syntax_errors(*paths: Path | str) -> dict[str, list[str]]:
    result = subprocess.run(
        ["node", "tests/support/syntax_errors.mjs", *map(str, paths)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"the parser did not run (scripts/bootstrap installs it): {result.stderr}"
    return json.loads(result.stdout)


def test_every_client_parses_without_syntax_errors():
    assert syntax_errors(*CLIENTS.values()) == {path: [] for path in CLIENTS.values()}


def test_the_syntax_check_finds_a_missing_brace(tmp_path):
    broken = []
    for path in CLIENTS.values():
        source = read(path)
        cut = source.rindex("}")
        broken.append(tmp_path / Path(path).name)
        broken[-1].write_text(source[:cut] + source[cut + 1 :])
    assert all(syntax_errors(*broken).values())


# Each fact a client restates, read from the client: a named constant, a list, or the calls that name it.


def constant(source: str, *names: str) -> str:
    """The value a constant is given (`MAX_UPLOAD_BYTES = ...`, `static let maxUploadBytes = ...`), to the line's end."""
    found = re.search(rf"\b(?:{'|'.join(names)})\b(?::\s*\w+)?\s*=\s*([^\n]+)", source)
    assert found, f"no constant {names[0]}"
    return found[1].rstrip(";,")


def product(expression: str) -> int:
    value = 1
    for factor in re.findall(r"\d+", expression):
        value *= int(factor)
    return value


def remedies(source: str) -> dict[str, str]:
    """code -> remedy from the client's mapping: `"a", "b" -> Remedy.RETRY_LATER` (Kotlin), `case "a", "b": return
    .retryLater` (Swift), `'a' || 'b' => Remedy.retryLater` (Dart); remedy names compared without case or `_`."""
    mapping = {}
    arm = re.compile(r"""((?:["'][a-z-]+["']\s*(?:,|\|\|)?\s*)+)(?:->|=>|:\s*return)\s*(?:Remedy)?\.(\w+)""")
    for codes, remedy in arm.findall(source):
        for code in re.findall(r"""["']([a-z-]+)["']""", codes):
            mapping[code] = remedy.replace("_", "").lower()
    return mapping


@pytest.fixture(params=list(CLIENTS), ids=list(CLIENTS))
def client(request) -> str:
    return read(CLIENTS[request.param])


@pytest.fixture
def defaults(monkeypatch) -> Settings:
    monkeypatch.delenv("MAX_UPLOAD_SIZE", raising=False)
    return Settings()


def test_the_upload_size_limit_is_the_servers(client, defaults):
    assert product(constant(client, "MAX_UPLOAD_BYTES", "maxUploadBytes")) == defaults.max_upload_size


def test_the_content_types_are_the_ones_the_server_classifies(client):
    types = set(re.findall(r"image/[a-z0-9.+-]+", constant(client, "ACCEPTED_TYPES", "acceptedTypes")))
    assert types == set(ACCEPTED_FORMATS.values())
    assert "contentType.matches('image/.*')" in read("storage.rules"), "and storage.rules let them through"


def test_uploads_go_to_the_folder_storage_rules_open(client):
    folder = re.search(r"match /(\w+)/\{uid\}/\{name\}", read("storage.rules"))
    assert folder, "storage.rules name the uploads folder"
    assert constant(client, "UPLOADS_FOLDER", "uploadsFolder").strip("\"' ") == folder[1]
    # The path is <folder>/<uid>/<a UUID name>, read with the interpolation markers ($, \( ), Self.) removed.
    plain = re.sub(r"\$|\\\(|\)|Self\.", "", client)
    assert re.search(r"""["'](?:UPLOADS_FOLDER|uploadsFolder)/uid/[^"'\n]*uuid""", plain, re.IGNORECASE)


def test_the_result_is_read_from_the_collections_and_fields_the_server_writes(client):
    documented = set(re.findall(r"^users/<uid>/(\w+)/<id>", store.__doc__ or "", re.MULTILINE))
    # collection("users") ... and the collections the two result queries name (resultQuery(uid, "classifications", ...)).
    named = set(re.findall(r"""(?:collection\(|[rR]esultQuery\([^)"']*)\s*["'](\w+)["']""", client))
    assert named == {"users", "classifications", "uploadErrors"} and named - {"users"} <= documented
    queried = set(re.findall(r"""where(?:EqualTo|Field)?\(\s*["'](\w+)["']""", client))
    assert queried == {"uploadPath"} <= set(store.Classification.__annotations__)
    assert "uploadPath" in (REPO / "functions/fruitclf/data/store.py").read_text().split("def record_upload_error")[1]
    for field in ("label", "confidence", "abstained", "modelVersion"):
        assert field in store.Answer.__annotations__
        assert re.search(rf"""["']{field}["']""", client), field
    error_fields = errors.ApiError(400, "code", "message").to_dict()["error"]
    for field in error_fields:
        assert re.search(rf"""["']error\.{field}["']|\[["']{field}["']\]""", client), f"error.{field}"


def test_the_query_on_upload_path_has_its_automatic_index():
    overrides = json.loads(read("firestore.indexes.json"))["fieldOverrides"]
    assert not [o for o in overrides if o["fieldPath"] == "uploadPath"], "an exemption would break the listeners"


def test_the_fallback_sends_what_the_api_reads(client):
    route = read("functions/fruitclf/web/routes/classify.py")
    assert '@bp.post("/classify")' in route and 'body.get("storagePath")' in route
    assert re.search(r"""["'](?:/)?api/classify["']""", client) and re.search(r"""["']storagePath["']""", client)
    header = re.search(r'request\.headers\.get\("([^"]*AppCheck[^"]*)"', read("functions/fruitclf/web/auth.py"))
    assert header and f'"{header[1]}"' in client.replace("'", '"')
    assert re.search(r"""["']Retry-After["']""", client, re.IGNORECASE)


def test_the_result_timeout_is_the_documented_one(client):
    documented = re.search(r"\*\*result timeout: (\d+) seconds\*\*", read("docs/mobile.md"))
    assert documented, "docs/mobile.md states the result timeout"
    assert re.findall(r"\d+", constant(client, "RESULT_TIMEOUT", "resultTimeout")) == [documented[1]]


def documented_remedies() -> tuple[dict[str, str], dict[str, str]]:
    """docs/mobile.md's two tables, code -> remedy: the API's codes, and the codes the clients add."""
    section = read("docs/mobile.md").split("## Errors to handle")[1].split("\n## ")[0]
    api, own = section.split("Codes the clients add")
    row = re.compile(r"^\| `([a-z-]+)` \| `(\w+)` \|", re.MULTILINE)
    return ({code: remedy.lower() for code, remedy in row.findall(api)}, {c: r.lower() for c, r in row.findall(own)})


def api_error_codes() -> set[str]:
    section = read("docs/api.md").split("## Errors")[1].split("\n## ")[0]
    return set(re.findall(r"`([a-z]+(?:-[a-z]+)+|[a-z]+)`", section))


def test_the_documented_error_codes_are_the_apis_and_the_clients_own_are_not():
    api, own = documented_remedies()
    assert len(api) >= 10 and set(api) <= api_error_codes()
    assert own and not set(own) & api_error_codes()


def test_every_client_maps_the_error_codes_to_the_documented_remedies(client):
    api, own = documented_remedies()
    assert remedies(client) == api | own
    assert re.search(r"""["']upload-not-found["']""", client), "the fallback's 404 is handled in the flow"
    assert "upload-not-found" in api_error_codes()


def test_debug_builds_use_the_emulators_of_firebase_json_and_the_demo_project(client):
    emulators = json.loads(read("firebase.json"))["emulators"]
    for service in ("auth", "firestore", "storage", "hosting"):
        upper, camel = f"{service.upper()}_PORT", f"{service}Port"
        assert int(constant(client, upper, camel)) == emulators[service]["port"], service
    project = json.loads(read(".firebaserc"))["projects"]["default"]
    assert f'"{project}"' in client.replace("'", '"') and f"{project}.appspot.com" in client


def test_the_reference_js_client_keeps_the_same_timeout_and_remedies():
    """clients/js is the reference the three files follow (issue 22): its defaults are held to the same sources."""
    client_ts, errors_ts = read("clients/js/src/client.ts"), read("clients/js/src/errors.ts")
    documented = re.search(r"\*\*result timeout: (\d+) seconds\*\*", read("docs/mobile.md"))
    default = re.search(r"resultTimeoutMs \?\? ([\d_]+)", client_ts)
    assert documented and default and int(default[1].replace("_", "")) == int(documented[1]) * 1000
    table = errors_ts.split("const REMEDIES")[1].split("};")[0]
    js = {code: remedy.lower() for code, remedy in re.findall(r"""["']?([a-z-]+)["']?:\s*"(\w+)",""", table)}
    documented_codes = documented_remedies()[0] | documented_remedies()[1]
    assert set(js) <= set(documented_codes)
    assert {code: js.get(code, "report") for code in documented_codes} == documented_codes  # unlisted: "report"

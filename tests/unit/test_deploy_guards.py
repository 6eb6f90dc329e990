"""scripts/deploy_guards.py: what scripts/deploy reads from firebase-tools' --json answers before it deploys."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API = {"id": "api", "region": "us-central1"}
TRIGGER = {"id": "classify_upload", "region": "us-central1"}


def guard(tmp_path: Path, command: str, *answers) -> subprocess.CompletedProcess:
    paths = []
    for i, answer in enumerate(answers):
        path = tmp_path / f"answer{i}.json"
        path.write_text(json.dumps(answer))
        paths.append(str(path))
    return subprocess.run(
        [sys.executable, "scripts/deploy_guards.py", command, *paths], cwd=ROOT, capture_output=True, text=True
    )


def success(result) -> dict:
    return {"status": "success", "result": result}


def site(name: str, kind: str) -> dict:
    return {"name": f"projects/p/sites/{name}", "type": kind}


def test_the_default_site_is_named(tmp_path):
    result = guard(tmp_path, "site", success({"sites": [site("extra", "USER_SITE"), site("p", "DEFAULT_SITE")]}))
    assert (result.returncode, result.stdout.strip()) == (0, "p")


def test_a_project_without_sites_gets_one_made_and_one_without_a_default_stops(tmp_path):
    assert guard(tmp_path, "site", success({"sites": []})).returncode == 3
    only_user_sites = guard(tmp_path, "site", success({"sites": [site("extra", "USER_SITE")]}))
    assert only_user_sites.returncode == 1 and '"site": "<site-id>"' in only_user_sites.stderr


def test_a_failed_firebase_answer_stops_the_deploy(tmp_path):
    result = guard(tmp_path, "site", {"status": "error", "error": "Failed to authenticate"})
    assert result.returncode == 1 and "Failed to authenticate" in result.stderr


def test_no_deployed_function_is_deleted_by_force(tmp_path):
    deployed = [API, TRIGGER, {"id": "old", "region": "us-central1", "codebase": "default"}]
    result = guard(tmp_path, "deletions", success(deployed), [API, TRIGGER])
    assert result.returncode == 1
    assert "old (us-central1) is deployed but not in functions/main.py" in result.stderr
    assert "functions:delete old --region us-central1" in result.stderr


def test_a_region_change_would_delete_the_old_functions_and_stops(tmp_path):
    moved = [{"id": "api", "region": "europe-west1"}, {"id": "classify_upload", "region": "europe-west1"}]
    result = guard(tmp_path, "deletions", success([API, TRIGGER]), moved)
    assert result.returncode == 1 and result.stderr.count("is deployed but not in functions/main.py") == 2


def test_redeploying_the_same_functions_or_another_codebases_goes_through(tmp_path):
    other_codebase = {"id": "theirs", "region": "us-central1", "codebase": "billing"}
    assert guard(tmp_path, "deletions", success([API, TRIGGER, other_codebase]), [API, TRIGGER]).returncode == 0
    assert guard(tmp_path, "deletions", success([]), [API, TRIGGER]).returncode == 0


def test_the_live_release_names_the_version_to_roll_back_to(tmp_path):
    live = {
        "name": "projects/p/sites/p/channels/live",
        "release": {"version": {"name": "sites/p/versions/abc123"}, "message": "git 1234567"},
    }
    preview = {"name": "projects/p/sites/p/channels/preview", "release": {"version": {"name": "sites/p/versions/zzz"}}}
    result = guard(tmp_path, "live", success({"channels": [preview, live]}))
    assert result.stdout.strip() == "abc123\tgit 1234567"

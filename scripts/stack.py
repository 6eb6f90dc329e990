"""Run the Firebase Emulator Suite for this project in its own process group, and always clean up.

    python scripts/stack.py dev            start everything, seed demo data, serve until Ctrl-C
    python scripts/stack.py run -- CMD...  start everything, run CMD, stop; exit with CMD's status
    python scripts/stack.py run --import DIR -- CMD...   the same, starting from an emulator export

firebase-tools leaves the Python functions-framework processes running after it stops (and leaks a pair on
every hot reload), so the emulators run in a session of their own and the whole group is killed at the end:
on success, failure and Ctrl-C alike, no process and no port is left behind.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "demo-fruit"
CONFIG = json.loads((ROOT / "firebase.json").read_text())["emulators"]
PORTS = {name: spec["port"] for name, spec in CONFIG.items() if isinstance(spec, dict) and "port" in spec}
HOSTING = f"http://127.0.0.1:{PORTS['hosting']}"
LOG = ROOT / ".cache" / "emulators.log"
LOCK = Path("/tmp/fruit-emulators.lock")
READY_TIMEOUT_S = 180
PORTS_RELEASE_TIMEOUT_S = 30
# Every emulator request on a fresh localhost connection: that file says which race this removes.
NO_KEEPALIVE = ROOT / "scripts" / "node-no-keepalive.cjs"


def fail(message: str) -> None:
    print(f"\033[31mstack: {message}\033[0m", file=sys.stderr)
    sys.exit(2)


def taken_ports() -> dict[str, int]:
    """The emulators' ports something on this machine answers on."""
    taken = {}
    for name, port in PORTS.items():
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                taken[name] = port
    return taken


def check_ports_free() -> None:
    for name, port in taken_ports().items():
        fail(f"port {port} ({name} emulator) is already in use: stop what holds it (`fuser -k {port}/tcp`) and retry.")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def take_lock() -> None:
    """One stack per machine (the ports are fixed): a second caller waits for the first to finish."""
    global _lock_file
    _lock_file = LOCK.open("w")
    try:
        fcntl.flock(_lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("stack: another emulator stack is running on this machine; waiting for it to finish...")
        fcntl.flock(_lock_file, fcntl.LOCK_EX)


def start(import_dir: str | None = None) -> subprocess.Popen:
    take_lock()
    check_ports_free()
    if os.environ.get("STORAGE_RULES_REAL") == "0":
        print(
            "\033[33mstack: WARNING: the Storage emulator runs with a rules stand-in: storage.rules are NOT evaluated "
            "locally (signed-in users may read and write any path). Firestore rules are enforced.\033[0m"
        )
    LOG.parent.mkdir(exist_ok=True)
    log = LOG.open("w")
    firebase = ROOT / "node_modules" / ".bin" / "firebase"
    process = subprocess.Popen(
        [str(firebase), "emulators:start", "--project", PROJECT, *(["--import", import_dir] if import_dir else [])],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=emulator_env(),
    )
    started = time.monotonic()
    while time.monotonic() - started < READY_TIMEOUT_S:
        if process.poll() is not None:
            stop(process)
            fail(
                f"the emulators exited during start-up (status {process.returncode}); the last lines of {LOG}:\n{tail()}"
            )
        if "All emulators ready" in LOG.read_text(errors="replace") and http_ok(f"{HOSTING}/api/health"):
            print(f"stack: emulators ready in {time.monotonic() - started:.1f} s (log: {LOG.relative_to(ROOT)})")
            return process
        time.sleep(0.5)
    stop(process)
    fail(f"the emulators were not ready after {READY_TIMEOUT_S} s; the last lines of {LOG}:\n{tail()}")


def emulator_env() -> dict[str, str]:
    node_options = f'{os.environ.get("NODE_OPTIONS", "")} --require "{NO_KEEPALIVE}"'.strip()
    return {**os.environ, "NODE_OPTIONS": node_options}


def tail(lines: int = 25) -> str:
    return "\n".join(LOG.read_text(errors="replace").splitlines()[-lines:])


def descendants(pid: int) -> list[int]:
    """Every process below `pid`. Some emulators (the Firestore jar) start in a session of their own, so
    killing our process group alone could miss them."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(status.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pids: list[int]) -> list[int]:
    living = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            living.append(pid)
        except ProcessLookupError:
            pass
    return living


def stop(process: subprocess.Popen) -> None:
    tree = [process.pid, *descendants(process.pid)]
    try:
        os.killpg(process.pid, signal.SIGINT)  # firebase-tools shuts its emulators down cleanly on SIGINT
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 15
    while alive(tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    # What did not stop in time, and the functions-framework workers firebase-tools orphans: the rest of our
    # process group, and anything of the tree that left it.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for pid in alive(tree):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
    # A killed process lets go of its ports only once the kernel has torn it down, which on a loaded machine can
    # take seconds: the next stack (scripts/test-parity starts three in a row) would find them taken.
    deadline = time.monotonic() + PORTS_RELEASE_TIMEOUT_S
    while taken_ports() and time.monotonic() < deadline:
        time.sleep(0.2)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("dev", "run"):
        fail("usage: stack.py dev | stack.py run -- CMD...")
    # Ctrl-C and SIGTERM both end in the `finally` below, which stops the whole group.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    options = argv[1 : argv.index("--")] if "--" in argv else []
    process = start(options[1] if options[:1] == ["--import"] and len(options) == 2 else None)
    try:
        if argv[0] == "dev":
            import seed_demo

            seed_demo.seed(HOSTING, PORTS)
            print(f"\n  The app: {HOSTING}\n  Press Ctrl-C to stop.\n")
            return process.wait()
        command = argv[argv.index("--") + 1 :] if "--" in argv else argv[1:]
        return subprocess.call(command, cwd=ROOT)
    except KeyboardInterrupt:
        return 130
    finally:
        stop(process)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

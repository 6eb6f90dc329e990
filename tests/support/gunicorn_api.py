"""Serve the API with gunicorn (the container's entry point) against the running emulators, run a command with
FRUIT_API pointing at it, stop gunicorn, and exit with the command's status.

    python tests/support/gunicorn_api.py -- .venv/bin/python -m pytest tests/integration/test_history_api.py

gunicorn gets what a container host would give it (docs/deploy.md): the project, the bucket, and here the
emulators' addresses instead of Google's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import emulators  # noqa: E402

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
LOG = FUNCTIONS.parent / ".cache" / "gunicorn.log"
PORT = 8090
API = f"http://127.0.0.1:{PORT}/api"
START_TIMEOUT_S = 60


def serve() -> subprocess.Popen:
    env = {
        **os.environ,
        "PORT": str(PORT),
        "GOOGLE_CLOUD_PROJECT": emulators.PROJECT,
        "STORAGE_BUCKET": emulators.BUCKET,
        "FIRESTORE_EMULATOR_HOST": emulators.FIRESTORE_HOST,
        "STORAGE_EMULATOR_HOST": emulators.STORAGE,
        "FIREBASE_AUTH_EMULATOR_HOST": emulators.AUTH.removeprefix("http://"),
    }
    env.pop("FIREBASE_CONFIG", None)  # a container has none: the settings above must be enough
    gunicorn = Path(sys.executable).parent / "gunicorn"
    LOG.parent.mkdir(exist_ok=True)
    return subprocess.Popen(
        [str(gunicorn), "--config", "gunicorn.conf.py", "fruitclf.doors.wsgi:app"],
        cwd=FUNCTIONS,
        env=env,
        stdout=LOG.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_until_healthy(server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited during start-up (status {server.returncode}); see {LOG}")
        try:
            if requests.get(f"{API}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    sys.exit(f"gunicorn did not answer {API}/health within {START_TIMEOUT_S} s; see {LOG}")


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    server = serve()
    try:
        wait_until_healthy(server)
        print(f"gunicorn serves {API} (log: {LOG.relative_to(FUNCTIONS.parent)})")
        return subprocess.call(command, env={**os.environ, "FRUIT_API": API})
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

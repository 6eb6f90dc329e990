"""scripts/stack.py starts the emulators' Node process with every HTTP request on a fresh connection.

With Node's default keep-alive agent, the functions emulator could write a request onto a socket in the instant
gunicorn (the Python worker) closed it for idleness: a 500 {"code":"ECONNRESET"} to the caller and a killed
worker. The race is rare and load dependent, so what is tested here is the setting that removes it.
"""

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# An agent-less request, as the functions emulator makes to its Python worker: does it ask to keep the socket?
PROBE = """
const http = require("node:http");
const server = http.createServer((_, response) => response.end("ok")).listen(0, "127.0.0.1", () => {
  const request = http.request({ host: "127.0.0.1", port: server.address().port }, (response) => {
    response.resume();
    response.on("end", () => { console.log(JSON.stringify(request.shouldKeepAlive)); server.close(); });
  });
  request.end();
});
"""


def load_stack():
    spec = importlib.util.spec_from_file_location("stack", ROOT / "scripts" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def keeps_alive(env: dict[str, str]) -> bool:
    result = subprocess.run(["node", "-e", PROBE], env=env, capture_output=True, text=True, timeout=30, check=True)
    return result.stdout.strip() == "true"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (scripts/bootstrap installs it)")
def test_the_emulators_node_process_opens_a_fresh_connection_per_request(monkeypatch):
    monkeypatch.setenv("NODE_OPTIONS", "--no-warnings")  # an option the developer already set is kept
    env = load_stack().emulator_env()
    assert env["NODE_OPTIONS"].startswith("--no-warnings ")
    assert keeps_alive({**env, "NODE_OPTIONS": ""}), "Node's default agent no longer keeps alive: the preload can go"
    assert not keeps_alive(env)

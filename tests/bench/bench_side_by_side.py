"""Two copies of the function, side by side in one sitting: cold import time and in-process classify latency.

    .venv/bin/python scripts/stack.py run -- .venv/bin/python tests/bench/bench_side_by_side.py BEFORE AFTER

BEFORE and AFTER are `functions` folders (e.g. `git archive <commit> functions | tar -x -C /tmp/before`). Rounds
alternate which side goes first, each measurement in a fresh process, so drift in the machine's load falls on
both sides alike. Per side it prints the median and the spread (min..max over rounds) of:
  - cold import: a new interpreter importing `main` (the SDK, the options, the package), as a cold start does;
  - classify p50: the p50 of REQUESTS `POST /api/classify` (a 1024x768 JPEG of fruits.jpg, as scripts/bench) through the Flask app in-process,
    against the running emulators (so the data layer is the real one), after a few warm-up requests.
Figures, not a test: it asserts nothing. Machine load and CPU are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

COLD_IMPORT = """
import time
started = time.perf_counter()
import main  # noqa: F401
print((time.perf_counter() - started) * 1000)
"""

CLASSIFY = """
import io, os, statistics, sys, time
sys.path.insert(0, os.environ["BENCH_TESTS"])
from support import emulators  # noqa: F401 - points the clients at the emulators
from pathlib import Path
from fruitclf.web.app import create_app

client = create_app().test_client()
headers = {"Authorization": "Bearer " + os.environ["BENCH_TOKEN"]}
photo = Path(os.environ["BENCH_PHOTO"]).read_bytes()
times = []
for i in range(int(os.environ["BENCH_WARMUP"]) + int(os.environ["BENCH_REQUESTS"])):
    started = time.perf_counter()
    response = client.post(
        "/api/classify",
        headers=headers,
        data={"image": (io.BytesIO(photo), "p.jpg", "image/jpeg")},
        content_type="multipart/form-data",
    )
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 201, response.get_data(as_text=True)
    if i >= int(os.environ["BENCH_WARMUP"]):
        times.append(elapsed)
print(statistics.median(times))
"""


def run_side(functions: Path, code: str, env: dict) -> float:
    python = functions / "venv" / "bin" / "python"
    if not python.exists():
        python = REPO / "functions" / "venv" / "bin" / "python"
    out = subprocess.run(
        [str(python), "-c", code], cwd=functions, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"{functions}: {out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} ms  ({min(values):.1f}..{max(values):.1f}, n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    sys.path.insert(0, str(REPO / "tests"))
    sys.path.insert(0, str(REPO / "tests" / "bench"))
    from bench_api import photo_1024x768

    from support import emulators

    user = emulators.sign_up()
    photo = Path(tempfile.mkdtemp()) / "photo.jpg"
    photo.write_bytes(photo_1024x768())
    env = {
        **os.environ,
        "BENCH_TESTS": str(REPO / "tests"),
        "BENCH_TOKEN": user.token,
        "BENCH_PHOTO": str(photo),
        "BENCH_REQUESTS": str(args.requests),
        "BENCH_WARMUP": str(args.warmup),
        # The benchmark measures the classify path, not the limiter.
        "RATE_LIMIT": "1000000",
    }
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    results: dict[str, dict[str, list[float]]] = {name: {"import": [], "classify": []} for name in sides}
    load = [os.getloadavg()[0]]
    for round_no in range(args.rounds):
        order = list(sides) if round_no % 2 == 0 else list(reversed(sides))
        for name in order:
            results[name]["import"].append(run_side(sides[name], COLD_IMPORT, env))
            results[name]["classify"].append(run_side(sides[name], CLASSIFY, env))
        load.append(os.getloadavg()[0])
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"cpu: {cpu}; {os.cpu_count()} cores; load average (1 min) {min(load):.2f}..{max(load):.2f}")
    for name, path in sides.items():
        print(f"{name:6} {path}")
        print(f"  cold import of main.py   {summary(results[name]['import'])}")
        print(f"  classify p50 in-process  {summary(results[name]['classify'])}")
    print(json.dumps({"load": load, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

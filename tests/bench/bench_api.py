"""Benchmark POST /api/classify end to end (not a test: it prints figures, it asserts nothing).

    scripts/bench            starts the emulators with a high RATE_LIMIT and runs this

1. Through the Hosting emulator (the URL the SPA uses): a 1024x768 JPEG, warm latency p50/p95/p99 and
   requests/s at concurrency 1 and 8, and the error count.
2. Cold start and memory: a separate functions-framework process serving the same `api` (same venv, same
   emulators): time from process start to the first classify answer, and its peak RSS after a burst.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from support import emulators  # noqa: E402

WARMUP, N_SERIAL, N_CONCURRENT, CONCURRENCY = 5, 100, 200, 8


def photo_1024x768() -> bytes:
    candidates = sorted((ROOT / ".cache" / "test-photos").glob("fruits.jpg"))
    image = (
        Image.open(candidates[0]).convert("RGB") if candidates else Image.effect_noise((1024, 768), 50).convert("RGB")
    )
    out = io.BytesIO()
    image.resize((1024, 768)).save(out, "JPEG", quality=90)
    return out.getvalue()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def drive(url: str, user, data: bytes, n: int, concurrency: int) -> dict:
    session = requests.Session()

    def one(_):
        started = time.perf_counter()
        response = session.post(
            url, headers=user.headers, files={"image": ("bench.jpg", data, "image/jpeg")}, timeout=60
        )
        return (time.perf_counter() - started) * 1000, response.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(n)))
    elapsed = time.perf_counter() - started
    latencies = [ms for ms, status in results if status == 201]
    return {
        "n": n,
        "concurrency": concurrency,
        "errors": sum(status != 201 for _, status in results),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "req_per_s": round(n / elapsed, 1),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process and its children (functions-framework may fork)."""
    total = 0
    for proc in [
        pid,
        *map(int, subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()),
    ]:
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return round(total / 1024, 1)


def cold_start(user, data: bytes) -> dict:
    port = free_port()
    env = {
        **os.environ,
        "FUNCTIONS_EMULATOR": "true",
        "GCLOUD_PROJECT": emulators.PROJECT,
        "FIREBASE_CONFIG": json.dumps({"projectId": emulators.PROJECT, "storageBucket": emulators.BUCKET}),
        "RATE_LIMIT": "1000000",
    }
    framework = ROOT / "functions" / "venv" / "bin" / "functions-framework"
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(framework), "--target", "api", "--port", str(port), "--host", "127.0.0.1"],
        cwd=ROOT / "functions",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/classify"
    try:
        while True:
            try:
                response = requests.post(
                    url, headers=user.headers, files={"image": ("b.jpg", data, "image/jpeg")}, timeout=30
                )
                if response.status_code == 201:
                    break
            except requests.ConnectionError:
                time.sleep(0.02)
            if time.perf_counter() - started > 60:
                raise RuntimeError("the function did not answer within 60 s")
        first_answer_s = time.perf_counter() - started
        burst = drive(url, user, data, 50, CONCURRENCY)
        return {
            "process_start_to_first_answer_s": round(first_answer_s, 2),
            "peak_rss_mb": peak_rss_mb(process.pid),
            "direct_burst": burst,
        }
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    if not emulators.stack_is_up():
        sys.exit("the emulators are not running: use scripts/bench")
    user = emulators.sign_up()
    data = photo_1024x768()
    url = f"{emulators.API}/classify"
    print(f"image: 1024x768 JPEG, {len(data) / 1024:.0f} KB; through {url}")
    # The functions emulator starts a worker process per concurrent request, each loading the model once:
    # warm them all before measuring "warm" latency.
    drive(url, user, data, WARMUP * CONCURRENCY, CONCURRENCY)
    for n, concurrency in ((N_SERIAL, 1), (N_CONCURRENT, CONCURRENCY)):
        print("hosting", drive(url, user, data, n, concurrency))
    print("cold", cold_start(user, data))


if __name__ == "__main__":
    main()

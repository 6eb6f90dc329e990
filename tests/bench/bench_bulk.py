"""A bulk job end to end through the Cloud Tasks emulator (not a test: it prints figures, asserts nothing).

    .venv/bin/python scripts/stack.py run -- .venv/bin/python tests/bench/bench_bulk.py [--images 10000]
        [--chunk-size 50]

Uploads small JPEGs under a new org's bulk folder, starts a job through the API as the org's admin, follows its
progress, and prints images a second through the queue, the time to finish, and whether every image was
recorded exactly once (done or failed with a reason). Interactive classify latency (through Hosting, one request
at a time, a 640x480 JPEG) is measured before the job and while it runs, by two users (RATE_LIMIT allows each
60 a minute).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from support import bulk, emulators  # noqa: E402

INTERACTIVE = 25


def interactive_ms(n: int, stop: threading.Event | None = None) -> list[float]:
    """Latency of `n` classify requests, one at a time, by a new user (fewer if `stop` is set first)."""
    user, image, times = emulators.sign_up(), emulators.jpeg_bytes(), []
    for _ in range(n):
        if stop is not None and stop.is_set():
            break
        started = time.perf_counter()
        response = requests.post(
            f"{emulators.API}/classify",
            headers=user.headers,
            files={"image": ("p.jpg", image, "image/jpeg")},
            timeout=60,
        )
        response.raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


def describe(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms ({len(ordered)} requests)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--chunk-size", type=int, default=50)
    args = parser.parse_args()

    interactive_ms(3)  # warm the api's worker and model
    quiet = interactive_ms(INTERACTIVE)
    org = emulators.make_org()
    admin = emulators.join_org(emulators.sign_up(), org, "admin")
    started = time.perf_counter()
    prefix = bulk.upload(org, "bench", args.images)
    uploaded = time.perf_counter()
    response = bulk.start(admin, org, {"prefix": prefix, "chunkSize": args.chunk_size})
    response.raise_for_status()
    job_id = response.json()["id"]
    queued = time.perf_counter()
    samples = []
    stop, busy = threading.Event(), []
    during = threading.Thread(target=lambda: busy.extend(interactive_ms(INTERACTIVE, stop)))
    during.start()

    def finished(job):
        samples.append((time.perf_counter(), job["done"] + job["failed"]))
        return job["state"] != "running"

    job = bulk.wait_until(admin, org, job_id, finished, timeout_s=3600)
    ended = time.perf_counter()
    stop.set()
    during.join()
    items = bulk.items(org, job_id)
    per_path = Counter(item["path"] for item in items)
    rates = [(n1 - n0) / (t1 - t0) for (t0, n0), (t1, n1) in zip(samples, samples[1:]) if t1 - t0 > 0 and n1 > n0 > 0]
    rates.sort()
    print(f"bulk job: {args.images} images in chunks of {args.chunk_size}; state {job['state']}")
    print(f"  upload {uploaded - started:.1f} s, start (list + chunks + enqueue) {queued - uploaded:.1f} s")
    print(f"  queue to end {ended - queued:.1f} s: {args.images / (ended - queued):.1f} images/s overall")
    if rates:
        print(
            f"  rate between polls, images/s: median {rates[len(rates) // 2]:.1f}, min {rates[0]:.1f}, max {rates[-1]:.1f}"
        )
    print(f"  interactive classify, no job running: {describe(quiet)}")
    print(f"  interactive classify while the job ran: {describe(busy) if busy else 'none finished'}")
    print(
        f"  done {job['done']}, failed {job['failed']}; outcomes recorded {len(items)}, distinct images {len(per_path)}, "
        f"recorded more than once {sum(1 for n in per_path.values() if n > 1)}"
    )


if __name__ == "__main__":
    main()

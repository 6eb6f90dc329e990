"""A bulk job end to end through the Cloud Tasks emulator (not a test: it prints figures, asserts nothing).

    .venv/bin/python scripts/stack.py run -- .venv/bin/python tests/bench/bench_bulk.py [--images 10000]
        [--chunk-size 50]

Uploads small JPEGs under a new org's bulk folder, starts a job through the API as the org's admin, follows its
progress, and prints images a second through the queue, the time to finish, and whether every image was
recorded exactly once (done or failed with a reason).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from support import bulk, emulators  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--chunk-size", type=int, default=50)
    args = parser.parse_args()

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

    def finished(job):
        samples.append((time.perf_counter(), job["done"] + job["failed"]))
        return job["state"] != "running"

    job = bulk.wait_until(admin, org, job_id, finished, timeout_s=3600)
    ended = time.perf_counter()
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
    print(
        f"  done {job['done']}, failed {job['failed']}; outcomes recorded {len(items)}, distinct images {len(per_path)}, "
        f"recorded more than once {sum(1 for n in per_path.values() if n > 1)}"
    )


if __name__ == "__main__":
    main()

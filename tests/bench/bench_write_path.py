"""Load test of one busy org's write path alone, at a set rate (not a test: it prints figures, asserts nothing).

    .venv/bin/python scripts/stack.py run -- .venv/bin/python tests/bench/bench_write_path.py [--rate 100]
        [--seconds 20] [--path interactive|bulk]

What each classification writes, with the classifier left out, through the data layer the function uses, against
the Firestore emulator on loopback:
  interactive  the user's and the org's rate-limit windows (service.limits.enforce: one increment each), then the
               result with the user's summary and one shard of the org's aggregates (store.create_classification)
  bulk         one image of the org's daily bulk budget (limits.take_bulk_image), the job's state (one read), the
               outcome with one shard of the job's counters (jobs.record_item)
Classifications start on an open-loop schedule at --rate a second (a slow one does not delay the next) for
--seconds (at most 60 s and 6,000 classifications). ORG_PEAK_PER_SECOND is set to the rate (or --peak), so the
shard counts are those that rate asks for. Prints the achieved rate, latency percentiles, errors, and how many writes the
busiest document took in any one second (what Firestore's per-document limit is about; the emulator does not
enforce it, so this shows the spread, and production must be checked against the figure in docs/operations.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "functions")]
from support import emulators  # noqa: E402 - sets the emulator hosts before the data layer builds clients

MAX_SECONDS, MAX_CLASSIFICATIONS, USERS = 60, 6_000, 200


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--path", choices=("interactive", "bulk"), default="interactive")
    parser.add_argument("--peak", type=float, help="ORG_PEAK_PER_SECOND for the run (default: the rate)")
    args = parser.parse_args()
    seconds = min(args.seconds, MAX_SECONDS)
    total = min(int(args.rate * seconds), MAX_CLASSIFICATIONS)
    # The process's own settings, set before anything reads them (config.from_environment reads them once).
    os.environ["ORG_PEAK_PER_SECOND"] = str(args.peak or args.rate)
    os.environ["BULK_DAILY_IMAGES"] = str(total * 2)

    from fruitclf.data import jobs, sharded, store
    from fruitclf.data.clock import utcnow
    from fruitclf.service import limits
    from fruitclf.service.identity import Caller
    from fruitclf.service.orgs import OrgConfig

    writes: Counter = Counter()  # (document path, second) -> writes
    lock = threading.Lock()

    def count(path: str) -> None:
        with lock:
            writes[(path, int(time.time()))] += 1

    original_shard = sharded.ShardedCounter.shard

    def counted_shard(self, n=None):
        ref = original_shard(self, n)
        count(ref.path)
        return ref

    sharded.ShardedCounter.shard = counted_shard

    org_id = emulators.make_org(requests_per_minute=1_000_000)
    org = OrgConfig(org_id, org_id, None, ("classification",), 1_000_000)
    users = [f"bench-{uuid.uuid4().hex[:10]}" for _ in range(USERS)]
    job_id = jobs.new_job_id()
    if args.path == "bulk":
        job = {"prefix": f"orgs/{org_id}/bulk/bench/", "state": "running", "run": 1, "total": total}
        jobs.create_job(org_id, job_id, job, [])

    answer = {"label": "apple", "confidence": 0.9, "topk": [{"label": "apple", "p": 0.9}], "abstained": False}

    def interactive(i: int) -> None:
        uid = users[i % USERS]
        limits.enforce(Caller(uid, None, False, org_id, "member"), org)
        doc = {**answer, "modelVersion": "bench", "imagePath": "", "source": "bench", "org": org_id}
        store.create_classification(uid, f"b{i:06d}", {**doc, "feedback": None, "createdAt": utcnow()})
        count(f"users/{uid}/counters/summary")

    def bulk(i: int) -> None:
        assert limits.take_bulk_image(org_id)
        assert jobs.read_job(org_id, job_id)["state"] == "running"
        item = {"path": f"orgs/{org_id}/bulk/bench/{i:06d}.jpg", "status": "done", **answer}
        jobs.record_item(org_id, job_id, item, {"done": 1, "perLabel.apple": 1})

    work = interactive if args.path == "interactive" else bulk
    latencies: list[float] = []
    errors: Counter = Counter()

    def one(i: int) -> None:
        started = time.perf_counter()
        try:
            work(i)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors[type(exc).__name__] += 1
            return
        with lock:
            latencies.append((time.perf_counter() - started) * 1000)

    work(-1)  # warm the clients (not counted below)
    latencies.clear()
    writes.clear()
    started = time.perf_counter()
    with ThreadPoolExecutor(64) as pool:
        for i in range(total):
            delay = started + i / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i)
        scheduled = time.perf_counter() - started
    elapsed = time.perf_counter() - started

    print(f"write path: {args.path}, target {args.rate:g}/s for {seconds:g} s ({total} classifications)")
    print(f"  shards per per-org count: {sharded.org_shards()} (ORG_PEAK_PER_SECOND={args.peak or args.rate:g})")
    print(
        f"  achieved: {len(latencies) / elapsed:.1f}/s (schedule kept: {total / scheduled:.1f}/s), errors: {dict(errors) or 0}"
    )
    print(
        f"  latency of one classification's writes, ms: p50 {percentile(latencies, 0.5):.1f}, "
        f"p95 {percentile(latencies, 0.95):.1f}, p99 {percentile(latencies, 0.99):.1f}, max {max(latencies):.1f}"
    )
    for kind, docs in sorted(by_kind(writes).items()):
        n_writes = sum(n for per_second in docs.values() for n in per_second.values())
        busiest = max(max(per_second.values()) for per_second in docs.values())
        print(
            f"  {kind}: {len(docs)} documents, {n_writes / len(docs) / elapsed:.2f} writes/s each on average, "
            f"busiest second of any one: {busiest}"
        )


def by_kind(writes: Counter) -> dict[str, dict[str, Counter]]:
    """kind -> document -> second -> writes, kinds named by their collection."""
    kinds: dict[str, dict[str, Counter]] = {}
    for (path, second), n in writes.items():
        parts = path.split("/")
        kind = {"org": "org rate-limit window", "bulk": "org bulk budget window"}.get(
            parts[1].split("-")[0], "user rate-limit windows"
        )
        if parts[0] == "users":
            kind = "user summaries"
        elif "jobs" in parts:
            kind = "job counters"
        elif parts[0] == "orgs":
            kind = "org aggregates"
        kinds.setdefault(kind, {}).setdefault(path, Counter())[second] += n
    return kinds


if __name__ == "__main__":
    main()

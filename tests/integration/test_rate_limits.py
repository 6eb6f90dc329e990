"""Rate limits shared by every instance: exact under concurrency, and 429 with Retry-After at the API."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from support import emulators
from support.emulators import API


def test_sixteen_concurrent_clients_get_exactly_the_limit(capsys):
    from fruitclf.data import ratelimits

    key, limit, clients, attempts_each = f"user-test-{uuid.uuid4().hex[:8]}", 25, 16, 3
    now = 1_800_000_030.0  # a fixed instant in one window, so the test cannot straddle two
    start = threading.Barrier(clients)

    def hammer(_):
        start.wait()
        return [ratelimits.take(key, limit, now=now) is None for _ in range(attempts_each)]

    with ThreadPoolExecutor(clients) as pool:
        granted = sum(sum(results) for results in pool.map(hammer, range(clients)))
    with capsys.disabled():
        print(f"\nrate limit: {granted} granted of {clients * attempts_each} attempted (limit {limit})")
    assert granted == limit
    assert ratelimits.take(key, limit, now=now + 60) is None, "the next window starts afresh"


def test_over_the_limit_the_api_answers_429_with_retry_after():
    org = emulators.make_org(requests_per_minute=1)
    user = emulators.join_org(emulators.sign_up(), org)
    emulators.fresh_window()
    files = {"image": ("p.jpg", emulators.jpeg_bytes(), "image/jpeg")}
    assert requests.post(f"{API}/classify", headers=user.headers, files=files, timeout=60).status_code == 201
    refused = requests.post(f"{API}/classify", headers=user.headers, files=files, timeout=60)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["code"] == "rate-limited"

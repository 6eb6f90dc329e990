"""Pure parts of rate limiting and monitoring."""

from fruitclf.data import ratelimits
from fruitclf.service import monitoring


def test_shard_quotas_add_up_to_the_limit():
    for limit in (1, 2, 7, 8, 9, 60, 1000):
        quotas = ratelimits.shard_quotas(limit)
        assert sum(quotas) == limit
        assert len(quotas) == min(ratelimits.SHARDS, limit)
        assert max(quotas) - min(quotas) <= 1


def test_latency_percentiles_come_from_the_histogram():
    hist = {monitoring.latency_bucket(ms): 0 for ms in (1,)}
    for ms in [15] * 90 + [180] * 9 + [2500]:
        key = monitoring.latency_bucket(ms)
        hist[key] = hist.get(key, 0) + 1
    assert monitoring.percentile(hist, 0.50) == 20
    assert monitoring.percentile(hist, 0.95) == 200
    assert monitoring.percentile(hist, 0.995) == 3000
    assert monitoring.percentile({}, 0.5) is None

"""Pure parts of rate limiting and monitoring."""

import pytest

from fruitclf.data import ratelimits, sharded
from fruitclf.service import monitoring


@pytest.mark.parametrize("peak", ["10", "100", "7.5"])
def test_shard_quotas_add_up_to_the_limit(use_settings, peak):
    use_settings(org_peak_per_second=float(peak))
    for limit in (1, 2, 7, 8, 9, 60, 1000, 6000):
        quotas = ratelimits.shard_quotas(limit)
        assert sum(quotas) == limit
        assert len(quotas) == min(sharded.org_shards(), limit)
        assert max(quotas) - min(quotas) <= 1


@pytest.mark.parametrize(("peak", "shards"), [("0.2", 1), ("1", 1), ("10", 10), ("7.5", 8), ("100", 100)])
def test_each_per_org_hot_document_stays_at_one_write_a_second(use_settings, peak, shards):
    """ORG_PEAK_PER_SECOND classifications a second, each writing every per-org count once, spread evenly:
    each shard gets DOCUMENT_WRITES_PER_S at most."""
    use_settings(org_peak_per_second=float(peak))
    assert sharded.org_shards() == shards
    assert float(peak) / shards <= sharded.DOCUMENT_WRITES_PER_S


def test_latency_percentiles_come_from_the_histogram():
    hist = {monitoring.latency_bucket(ms): 0 for ms in (1,)}
    for ms in [15] * 90 + [180] * 9 + [2500]:
        key = monitoring.latency_bucket(ms)
        hist[key] = hist.get(key, 0) + 1
    assert monitoring.percentile(hist, 0.50) == 20
    assert monitoring.percentile(hist, 0.95) == 200
    assert monitoring.percentile(hist, 0.995) == 3000
    assert monitoring.percentile({}, 0.5) is None

"""GET /api/stats: the caller's aggregates, maintained on write."""

import requests

from support.emulators import API


def test_stats_follow_classifications_feedback_and_deletes(user, classified):
    docs = classified(3)
    requests.post(
        f"{API}/classifications/{docs[0]['id']}/feedback", json={"correct": True}, headers=user.headers, timeout=30
    )
    requests.delete(f"{API}/classifications/{docs[2]['id']}", headers=user.headers, timeout=30)

    stats = requests.get(f"{API}/stats", headers=user.headers, timeout=30).json()
    kept = docs[:2]
    assert stats["total"] == 2
    assert sum(stats["perLabel"].values()) == 2
    assert stats["perDay"][-1]["count"] == 2 and len(stats["perDay"]) == 30
    assert sum(stats["confidenceHistogram"]) == 2
    expected_mean = sum(d["confidence"] for d in kept) / 2
    assert abs(stats["meanConfidence"] - expected_mean) < 1e-3
    assert stats["abstainRate"] == sum(d["abstained"] for d in kept) / 2
    assert stats["feedback"] == {"n": 1, "correct": 1, "accuracy": 1.0}


def test_stats_of_a_new_user_are_empty(user):
    stats = requests.get(f"{API}/stats", headers=user.headers, timeout=30).json()
    assert stats["total"] == 0 and stats["meanConfidence"] is None and stats["feedback"]["accuracy"] is None

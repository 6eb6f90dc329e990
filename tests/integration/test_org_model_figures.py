"""The org dashboard's per-version figures (GET /api/orgs/<org>/stats, `models`): requests, abstain rate,
feedback accuracy and latency of each model that answered the org, side by side, from the org's sharded
aggregates (no new document per request)."""

import requests

from support import emulators
from support import org_models as om
from support.emulators import API

LABELS = ["red-apple", "green-pear", "blue-plum"]


def test_the_org_dashboard_shows_each_versions_figures_side_by_side(org, admin, member):
    om.add_version(admin, org, "v1", LABELS)
    om.add_version(admin, org, "v1.1", ["green-pear", "red-apple", "blue-plum"])
    om.pin(admin, org, "v1")
    first = [om.classify(member).json() for _ in range(2)] + [om.classify(member, color=(128, 128, 128)).json()]
    om.pin(admin, org, "v1.1")
    second = om.classify(member).json()
    for doc, body in ((first[0], {"correct": True}), (first[1], {"label": "green-pear"}), (second, {"correct": True})):
        answer = requests.post(
            f"{API}/classifications/{doc['id']}/feedback", json=body, headers=member.headers, timeout=30
        )
        assert answer.status_code == 200, answer.text

    response = requests.get(f"{API}/orgs/{org}/stats", headers=admin.headers, timeout=30)
    assert response.status_code == 200, response.text
    rows = {row["model"]: row for row in response.json()["models"]}
    assert list(rows) == [f"{org}/v1", f"{org}/v1.1"], "most used first; a version name with a dot is one key"
    v1, v11 = rows[f"{org}/v1"], rows[f"{org}/v1.1"]
    assert (v1["requests"], v1["abstainRate"], v1["feedback"]) == (3, 0.3333, {"n": 2, "correct": 1, "accuracy": 0.5})
    assert (v11["requests"], v11["abstainRate"], v11["feedback"]["accuracy"]) == (1, 0.0, 1.0)
    for row in (v1, v11):
        assert row["latencyMs"]["p50"] > 0 and row["latencyMs"]["p95"] >= row["latencyMs"]["p50"]
    # Kept in the org's aggregate shards, beside its other figures: no document of its own.
    shards = emulators.firestore().collection("orgs", org, "counters").stream()
    assert all(s.id.startswith("shard-") for s in shards)
    summary = emulators.firestore().document("users", member.uid, "counters", "summary").get().to_dict()
    assert summary["total"] == 4 and "perModel" not in summary, "a user's own figures do not compare versions"

    # A deleted classification leaves its version's figures.
    gone = requests.delete(f"{API}/classifications/{second['id']}", headers=member.headers, timeout=30)
    assert gone.status_code == 204
    after = requests.get(f"{API}/orgs/{org}/stats", headers=admin.headers, timeout=30).json()["models"]
    assert [row["model"] for row in after] == [f"{org}/v1"]

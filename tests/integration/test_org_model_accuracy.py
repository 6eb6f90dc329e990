"""The accuracy check in a new version's report: the candidate and the version serving the org now, side by
side on the org's own corrected photos (its feedback), before anyone pins or rolls it out."""

import requests

from support import org_models as om
from support.emulators import API

LABELS = ["red-apple", "green-pear", "blue-plum"]
# The same tiny model with its labels in another order: it calls a red photo a green pear.
SHUFFLED = ["green-pear", "red-apple", "blue-plum"]


def feedback(user, doc_id: str, body: dict) -> None:
    response = requests.post(f"{API}/classifications/{doc_id}/feedback", json=body, headers=user.headers, timeout=30)
    assert response.status_code == 200, response.text


def test_a_new_versions_report_compares_it_with_the_pinned_one_on_the_orgs_corrected_photos(org, admin, member):
    shipped = om.classify(member).json()  # answered by the shipped model: its label set is not the org's
    feedback(member, shipped["id"], {"label": "apple"})
    om.add_version(admin, org, "v1", LABELS)
    assert om.pin(admin, org, "v1").status_code == 200
    for body in ({"correct": True}, {"correct": True}, {"label": "green-pear"}):
        feedback(member, om.classify(member).json()["id"], body)

    candidate = om.add_version(admin, org, "v2", SHUFFLED)
    assert candidate["status"] == "ready", candidate["report"]["reasons"]
    assert candidate["report"]["accuracy"] == {
        "photos": 4,
        "candidate": {"model": f"{org}/v2", "photos": 3, "correct": 1, "top1": 0.3333, "unknownLabels": 1},
        "serving": {"model": f"{org}/v1", "photos": 3, "correct": 2, "top1": 0.6667, "unknownLabels": 1},
    }
    listed = requests.get(f"{API}/orgs/{org}/models", headers=admin.headers, timeout=30).json()
    [shown] = [v for v in listed["versions"] if v["version"] == "v2"]
    assert shown["report"]["accuracy"]["candidate"]["top1"] == 0.3333, "admins see it before any rollout"


def test_without_corrected_photos_the_check_says_so_beside_the_shipped_model(org, admin):
    version = om.add_version(admin, org, "v1", LABELS)
    accuracy = version["report"]["accuracy"]
    assert accuracy["photos"] == 0 and accuracy["candidate"]["top1"] is None
    assert accuracy["serving"]["model"].startswith("fruit-") and accuracy["serving"]["photos"] == 0

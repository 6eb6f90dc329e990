"""service/org_models.py, the pure rules: which version serves a user during a staged rollout."""

from fruitclf.service.org_models import rollout_bucket, version_for
from fruitclf.service.orgs import OrgConfig


def org(rollout=None) -> OrgConfig:
    return OrgConfig("acme", "Acme", None, ("classification",), 60, model_version="v1", rollout=rollout)


def test_a_share_sends_about_that_share_of_users_and_always_the_same_ones():
    uids = [f"user-{i}" for i in range(10_000)]
    candidate = [u for u in uids if version_for(org({"version": "v2", "share": 30}), u) == "v2"]
    assert 2800 < len(candidate) < 3200
    assert candidate == [u for u in uids if version_for(org({"version": "v2", "share": 30}), u) == "v2"]


def test_a_larger_share_keeps_the_users_a_smaller_one_had():
    uids = [f"user-{i}" for i in range(2000)]
    at_10 = {u for u in uids if version_for(org({"version": "v2", "share": 10}), u) == "v2"}
    at_50 = {u for u in uids if version_for(org({"version": "v2", "share": 50}), u) == "v2"}
    assert at_10 < at_50


def test_without_a_rollout_everyone_gets_the_pinned_version():
    assert {version_for(org(), f"user-{i}") for i in range(100)} == {"v1"}


def test_the_split_differs_between_orgs():
    uids = [f"user-{i}" for i in range(1000)]
    assert [rollout_bucket("acme", u) for u in uids] != [rollout_bucket("other", u) for u in uids]

"""Around the API: what a client can do with the Firestore REST API (what the SDKs speak) and its own ID token,
checked by firestore.rules on the emulator. Every write below is refused (403 PERMISSION_DENIED) and nothing
changes; the reads a client is meant to have still work. Org settings in particular are written only through
PATCH /api/orgs/<id>, whose validation the rules do not duplicate."""

import os
from functools import partial

import pytest

from hostile import attack
from support import emulators

ORG_FIELD_WRITES = {
    "name": {"name": "Hijacked"},
    "rate-1e9": {"requestsPerMinute": 1_000_000_000},
    "rate-negative": {"requestsPerMinute": -1},
    "features-string": {"features": "everything"},
    "features-unknown": {"features": ["classification", "teleport"]},
    "model-unknown": {"modelId": "no-such-model"},
    "new-field": {"billingPlan": "free"},
}


def _denied(response) -> None:
    assert response.status_code == 403, response.text[:300]
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"


@pytest.mark.parametrize("fields", ORG_FIELD_WRITES.values(), ids=ORG_FIELD_WRITES.keys())
def test_an_admin_cannot_write_org_settings_directly(org, admin, fields):
    with attack.nothing_written(admin, orgs=[org]):
        _denied(attack.firestore_rest("PATCH", f"orgs/{org}", admin, fields, update_mask=list(fields)))


def _writes(user, org, victim_uid):
    """(id, path, fields, update mask or None for a whole-document write)."""
    uid = user.uid
    return [
        ("own-result", f"users/{uid}/classifications/forged", {"label": "apple", "confidence": 1.0}, None),
        ("own-counters", f"users/{uid}/counters/summary", {"total": 1_000_000}, None),
        ("own-upload-errors", f"users/{uid}/uploadErrors/e1", {"code": "none"}, None),
        ("own-user-doc", f"users/{uid}", {"role": "admin"}, None),
        ("victims-result", f"users/{victim_uid}/classifications/forged", {"label": "apple"}, None),
        ("enrol-self", f"orgs/{org}/members/{uid}", {"uid": uid, "role": "admin"}, None),
        ("new-org", "orgs/my-own-org", {"name": "Mine"}, None),
        ("rate-limit-window", f"ratelimits/user-{uid}", {"count": 0}, None),
        ("ops-figures", "ops/all/days/2026-12-01-0", {"requests": 0}, None),
        ("invite-self", f"invitations/{org}--self", {"orgId": org, "email": user.email, "role": "admin"}, None),
    ]


WRITE_IDS = [w[0] for w in _writes(emulators.User("u", "e", "p", "t"), "o", "v")]


@pytest.mark.parametrize("which", WRITE_IDS)
def test_server_only_documents_cannot_be_written(org, user, victim, which):
    _, path, fields, mask = next(w for w in _writes(user, org, victim.uid) if w[0] == which)
    with attack.nothing_written(user, victim, orgs=[org]):
        _denied(attack.firestore_rest("PATCH", path, user, fields, update_mask=mask))


def test_a_member_cannot_promote_themselves_in_the_membership_record(org, member):
    with attack.nothing_written(member, orgs=[org]):
        _denied(
            attack.firestore_rest(
                "PATCH", f"orgs/{org}/members/{member.uid}", member, {"role": "admin"}, update_mask=["role"]
            )
        )


def test_a_member_cannot_delete_their_results_around_the_api(user, victim):
    doc_id = victim.classification["id"]
    with attack.nothing_written(victim):
        _denied(attack.firestore_rest("DELETE", f"users/{victim.uid}/classifications/{doc_id}", victim))


@pytest.mark.parametrize(
    "path",
    [
        "users/{victim}/classifications/{id}",
        "users/{victim}/counters/summary",
        "users/{victim}/uploadErrors/x",
        "orgs/{org}",
        "orgs/{org}/members/{victim}",
    ],
    ids=["result", "counters", "upload-errors", "org", "membership"],
)
def test_other_peoples_documents_cannot_be_read(org, user, victim, path):
    emulators.join_org(victim, org)
    _denied(attack.firestore_rest("GET", path.format(victim=victim.uid, id=victim.classification["id"], org=org), user))


def test_a_removed_member_whose_token_still_names_the_org_cannot_read_it(org, member):
    emulators.firestore().document("orgs", org, "members", member.uid).delete()  # the API's removal, in short
    assert emulators.token_claims(member.token)["org"] == org
    _denied(attack.firestore_rest("GET", f"orgs/{org}", member))


def test_the_reads_clients_are_meant_to_have_work(org, member, victim):
    assert attack.firestore_rest("GET", f"orgs/{org}", member).status_code == 200
    assert attack.firestore_rest("GET", f"orgs/{org}/members/{member.uid}", member).status_code == 200
    assert (
        attack.firestore_rest(
            "GET", f"users/{victim.uid}/classifications/{victim.classification['id']}", victim
        ).status_code
        == 200
    )
    emulators.firestore().document("users", victim.uid, "uploadErrors", "e1").set({"code": "unsupported-image"})
    assert attack.firestore_rest("GET", f"users/{victim.uid}/uploadErrors/e1", victim).status_code == 200


# -- an org pinned to a model the deployment does not have (only possible around the API: an admin SDK write)


def test_an_unknown_org_model_is_a_clear_503_for_that_org_and_the_admin_can_fix_it(org, admin):
    emulators.firestore().document("orgs", org).update({"modelId": "no-such-model"})
    error = attack.refused(partial(attack.classify, admin), 503, "org-model-unavailable", admin)
    assert "no-such-model" in error["message"]
    assert attack.api("GET", f"/orgs/{org}", admin).json()["modelId"] == "no-such-model"
    assert attack.api("PATCH", f"/orgs/{org}", admin, json={"modelId": None}).status_code == 200
    assert attack.classify(admin).status_code == 201


def test_an_admin_cannot_set_an_unknown_model_through_the_api(org, admin):
    send = partial(attack.api, "PATCH", f"/orgs/{org}", admin, json={"modelId": "no-such-model"})
    attack.refused(send, 400, "invalid-org-field", admin, orgs=[org])


# -- Storage: storage.rules are evaluated only by the real rules runtime


needs_storage_rules = pytest.mark.skipif(
    os.environ.get("STORAGE_RULES_REAL") != "1",
    reason="the Storage rules runtime could not be downloaded here; the stand-in in use does not evaluate storage.rules",
)


@needs_storage_rules
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("users/{me}/images/forged.jpg", "image/jpeg"),
        ("uploads/{victim}/p.jpg", "image/jpeg"),
        ("uploads/{me}/p.html", "text/html"),
        ("anything/{me}.jpg", "image/jpeg"),
    ],
    ids=["server-folder", "someone-elses-uploads", "not-an-image", "unnamed-path"],
)
def test_storage_writes_outside_ones_own_uploads_are_refused(user, victim, path, content_type):
    with attack.nothing_written(user, victim):
        response = attack.storage_upload(
            user, path.format(me=user.uid, victim=victim.uid), emulators.jpeg_bytes(), content_type
        )
    assert response.status_code == 403, response.text[:300]


@needs_storage_rules
def test_another_users_stored_image_cannot_be_downloaded(user, victim):
    assert attack.storage_get(user, victim.classification["imagePath"]).status_code == 403

"""Other people's things: results, images, uploads, organisations. Each attempt is refused and writes nothing."""

from functools import partial

import pytest

from hostile import attack
from support import emulators

# (method, path template, JSON body, expected status, expected code): {id} is the victim's classification.
ON_A_VICTIMS_RESULT = [
    ("GET", "/classifications/{id}", None, 404, "not-found"),
    ("GET", "/classifications/{id}/image", None, 404, "not-found"),
    ("GET", "/classifications/{id}/labels", None, 404, "not-found"),
    ("DELETE", "/classifications/{id}", None, 404, "not-found"),
    ("POST", "/classifications/{id}/feedback", {"correct": True}, 404, "not-found"),
    ("POST", "/classifications/{id}/feedback", {"label": "apple"}, 404, "not-found"),
    ("POST", "/classifications/{id}/second-opinion", None, 404, "not-found"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    ON_A_VICTIMS_RESULT,
    ids=lambda v: str(v) if not isinstance(v, dict) else "body",
)
def test_a_victims_result_is_not_found_for_anyone_else(user, victim, method, path, body, status, code):
    send = partial(attack.api, method, path.format(id=victim.classification["id"]), user, json=body)
    attack.refused(send, status, code, user, victim)


@pytest.mark.parametrize(
    ("storage_path", "status", "code"),
    [
        ("uploads/{victim}/p.jpg", 403, "not-your-upload"),
        ("users/{victim}/images/{id}.jpg", 400, "invalid-storage-path"),
        ("uploads/{me}/../{victim}/p.jpg", 400, "invalid-storage-path"),
        ("uploads/{me}/..%2F{victim}%2Fp.jpg", 400, "invalid-storage-path"),
        ("/uploads/{victim}/p.jpg", 400, "invalid-storage-path"),
        ("uploads/{me}/p.jpg\n", 400, "invalid-storage-path"),
        ("gs://demo-fruit.appspot.com/uploads/{victim}/p.jpg", 400, "invalid-storage-path"),
    ],
    ids=[
        "their-upload",
        "their-stored-image",
        "dot-dot",
        "encoded-dot-dot",
        "leading-slash",
        "trailing-newline",
        "gs-url",
    ],
)
def test_classifying_someone_elses_object_is_refused(user, victim, storage_path, status, code):
    # The API refuses on the path alone (no object need exist there: one uploaded here would be classified by the
    # Storage trigger at once, racing the check that nothing was written).
    path = storage_path.format(me=user.uid, victim=victim.uid, id=victim.classification["id"])
    attack.refused(
        partial(attack.api, "POST", "/classify", user, json={"storagePath": path}), status, code, user, victim
    )


ON_ANOTHER_ORG = [
    ("GET", "/orgs/{org}", None, "not-org-member"),
    ("PATCH", "/orgs/{org}", {"name": "Ours now"}, "not-org-admin"),
    ("PATCH", "/orgs/{org}", {"features": []}, "not-org-admin"),
    ("GET", "/orgs/{org}/members", None, "not-org-admin"),
    ("PUT", "/orgs/{org}/members", {"email": "{me}", "role": "admin"}, "not-org-admin"),
    ("DELETE", "/orgs/{org}/members/{admin}", None, "not-org-admin"),
    ("GET", "/orgs/{org}/stats", None, "not-org-admin"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "code"), ON_ANOTHER_ORG, ids=lambda v: str(v) if not isinstance(v, dict) else "-".join(v)
)
@pytest.mark.parametrize("attacker_role", ["no-org", "member-elsewhere", "admin-elsewhere"])
def test_another_orgs_business_is_refused(org, admin, attacker_role, method, path, body, code):
    attacker = emulators.sign_up()
    if attacker_role != "no-org":
        emulators.join_org(attacker, emulators.make_org(), attacker_role.split("-")[0])
    if body:
        body = {k: v.format(me=attacker.email) if isinstance(v, str) else v for k, v in body.items()}
    send = partial(attack.api, method, path.format(org=org, admin=admin.uid), attacker, json=body)
    attack.refused(send, 403, code, attacker, admin, orgs=[org])


def test_an_admin_cannot_remove_a_member_of_another_org_through_their_own(admin, org):
    other_org = emulators.make_org()
    outsider = emulators.join_org(emulators.sign_up(), other_org)
    send = partial(attack.api, "DELETE", f"/orgs/{org}/members/{outsider.uid}", admin)
    attack.refused(send, 404, "member-not-found", admin, outsider, orgs=[org, other_org])
    assert emulators.token_claims(emulators.sign_in(outsider).token)["org"] == other_org


def test_a_member_cannot_export_the_orgs_feedback(member, org):
    send = partial(attack.api, "GET", "/feedback/export", member, params={"scope": "org"})
    attack.refused(send, 403, "not-org-admin", member, orgs=[org])


def test_another_users_stored_image_is_not_served_by_guessing_its_path(user, victim):
    image_path = victim.classification["imagePath"]
    attack.assert_refused(attack.api("GET", f"/classifications/{image_path}", user), 404)
    # Hosting resolves the dot segments before any rewrite: the path leaves /api and gets Hosting's own 404 page.
    escaped = attack.api("GET", f"/classifications/..%2F..%2F{image_path}/image", user)
    assert escaped.status_code == 404 and b"JFIF" not in escaped.content

"""Privileged operations decide on the caller's role as the server has it now, never on the token's claims: a
demoted, removed or self-promoting admin gets nowhere, and a role change ends the member's sessions."""

import time
from functools import partial

import pytest

from hostile import attack
from support import emulators

# Every privileged operation, as (method, path, JSON body); {org}, {other} (another member's uid), {email}.
PRIVILEGED = [
    ("PATCH", "/orgs/{org}", {"name": "Taken over"}),
    ("PATCH", "/orgs/{org}", {"requestsPerMinute": 100000}),
    ("GET", "/orgs/{org}/members", None),
    ("PUT", "/orgs/{org}/members", {"email": "{me}", "role": "admin"}),
    ("DELETE", "/orgs/{org}/members/{other}", None),
    ("POST", "/orgs/{org}/invitations", {"email": "accomplice@example.com", "role": "admin"}),
    ("GET", "/orgs/{org}/invitations", None),
    ("GET", "/orgs/{org}/stats", None),
    ("GET", "/feedback/export?scope=org", None),
]
IDS = [f"{m} {p.split('?')[0].replace('{org}', 'org')}{'-' + '-'.join(b) if b else ''}" for m, p, b in PRIVILEGED]


def _send(attacker, org, other, method, path, body):
    if body:
        body = {k: v.format(me=attacker.email) if isinstance(v, str) else v for k, v in body.items()}
    return attack.api(method, path.format(org=org, other=other.uid), attacker, json=body)


@pytest.fixture
def second_admin(org):
    return emulators.join_org(emulators.sign_up(), org, "admin")


@pytest.mark.parametrize(("method", "path", "body"), PRIVILEGED, ids=IDS)
def test_a_token_that_still_says_admin_is_not_enough(org, admin, second_admin, method, path, body):
    """The claims changed behind the token (an operator, another instance): the server's record decides."""
    emulators.set_claims(admin.uid, {"org": org, "role": "member"})  # admin.token still carries role=admin
    attack.refused(
        partial(_send, admin, org, second_admin, method, path, body),
        403,
        "not-org-admin",
        admin,
        second_admin,
        orgs=[org],
    )


@pytest.mark.parametrize(("method", "path", "body"), PRIVILEGED, ids=IDS)
@pytest.mark.parametrize("change", ["demoted", "removed"])
def test_a_demoted_or_removed_admin_is_signed_out(org, admin, second_admin, change, method, path, body):
    attack.age_token(admin)
    if change == "demoted":
        changed = attack.api("PUT", f"/orgs/{org}/members", second_admin, json={"email": admin.email, "role": "member"})
    else:
        changed = attack.api("DELETE", f"/orgs/{org}/members/{admin.uid}", second_admin)
    assert changed.status_code in (200, 204), changed.text
    attack.refused(
        partial(_send, admin, org, second_admin, method, path, body),
        401,
        "token-revoked",
        admin,
        second_admin,
        orgs=[org],
    )


def test_a_removed_admin_signing_in_again_cannot_add_themselves_back(org, admin, second_admin):
    assert attack.api("DELETE", f"/orgs/{org}/members/{admin.uid}", second_admin).status_code == 204
    emulators.sign_in(admin)
    send = partial(attack.api, "PUT", f"/orgs/{org}/members", admin, json={"email": admin.email, "role": "admin"})
    attack.refused(send, 403, "not-org-admin", admin, second_admin, orgs=[org])
    invite_self = partial(
        attack.api, "POST", f"/orgs/{org}/invitations", admin, json={"email": admin.email, "role": "admin"}
    )
    attack.refused(invite_self, 403, "not-org-admin", admin, orgs=[org])


def test_a_demoted_admin_cannot_remove_the_admin_who_demoted_them(org, admin, second_admin):
    assert (
        attack.api(
            "PUT", f"/orgs/{org}/members", second_admin, json={"email": admin.email, "role": "member"}
        ).status_code
        == 200
    )
    emulators.sign_in(admin)
    send = partial(attack.api, "DELETE", f"/orgs/{org}/members/{second_admin.uid}", admin)
    attack.refused(send, 403, "not-org-admin", admin, second_admin, orgs=[org])


def test_a_member_cannot_promote_themselves(org, member):
    send = partial(attack.api, "PUT", f"/orgs/{org}/members", member, json={"email": member.email, "role": "admin"})
    attack.refused(send, 403, "not-org-admin", member, orgs=[org])


def test_an_admin_cannot_change_their_own_role(org, admin):
    send = partial(attack.api, "PUT", f"/orgs/{org}/members", admin, json={"email": admin.email, "role": "member"})
    attack.refused(send, 409, "cannot-change-own-role", admin, orgs=[org])


def test_an_admin_cannot_remove_themselves(org, admin):
    attack.refused(
        partial(attack.api, "DELETE", f"/orgs/{org}/members/{admin.uid}", admin),
        409,
        "cannot-remove-self",
        admin,
        orgs=[org],
    )


@pytest.mark.parametrize("role", ["owner", "ADMIN", "", None, ["admin"], {"admin": True}], ids=repr)
def test_no_role_but_member_or_admin_can_be_given(org, admin, member, role):
    send = partial(attack.api, "PUT", f"/orgs/{org}/members", admin, json={"email": member.email, "role": role})
    attack.refused(send, 400, "invalid-role", admin, member, orgs=[org])


def _forged(user, **claims) -> str:
    """A token in the Auth emulator's unsigned format for a real account, with whatever claims a forger likes
    (production tokens are signed; the point here is that even accepted claims are not what the API trusts)."""
    now = int(time.time())
    return emulators.unsigned_token(
        {
            "iss": f"https://securetoken.google.com/{emulators.PROJECT}",
            "aud": emulators.PROJECT,
            "sub": user.uid,
            "user_id": user.uid,
            "iat": now,
            "exp": now + 3600,
            "auth_time": now,
            "email": user.email,
            "firebase": {"sign_in_provider": "password"},
            **claims,
        }
    )


@pytest.mark.parametrize(("method", "path", "body"), PRIVILEGED[:5], ids=IDS[:5])
def test_forged_admin_claims_are_ignored(org, member, admin, method, path, body):
    forged = _forged(member, org=org, role="admin")
    if body:
        body = {k: v.format(me=member.email) if isinstance(v, str) else v for k, v in body.items()}
    send = partial(attack.api, method, path.format(org=org, other=admin.uid), forged, json=body)
    attack.refused(send, 403, "not-org-admin", member, admin, orgs=[org])


def test_forged_org_claims_do_not_reach_another_org(org, admin):
    outsider = emulators.sign_up()
    forged = _forged(outsider, org=org, role="admin")
    attack.refused(partial(attack.api, "GET", f"/orgs/{org}", forged), 403, "not-org-member", outsider, orgs=[org])
    me = attack.api("GET", "/me", forged).json()
    assert me["org"] is None and me["role"] is None

"""Joining an org takes consent: admins invite, people accept or decline. Nobody is enrolled without saying
yes, invitations cannot be taken by someone else, expired or declined ones leave nothing, and an admin learns
nothing about who has an account."""

import datetime as dt
from functools import partial

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from hostile import attack
from support import emulators


def invite(admin, org, email, role="member"):
    return attack.api("POST", f"/orgs/{org}/invitations", admin, json={"email": email, "role": role})


def invitations_of(user):
    response = attack.api("GET", "/invitations", user)
    assert response.status_code == 200, response.text
    return response.json()["invitations"]


@pytest.fixture
def invitee():
    user = emulators.sign_up()
    emulators.verify_email(user)
    return user


def _shape(response) -> tuple:
    body = response.json()
    return response.status_code, tuple(sorted(body)), body["role"], body["orgId"]


def test_an_admin_cannot_tell_who_has_an_account(org, admin):
    in_other_org = emulators.join_org(emulators.sign_up(), emulators.make_org())
    free = emulators.sign_up()
    answers = [
        invite(admin, org, email)
        for email in ("nobody-at-all@example.com", in_other_org.email, free.email, admin.email.upper())
    ]
    assert len({_shape(a) for a in answers}) == 1, [a.text for a in answers]
    assert answers[0].status_code == 202


def test_an_invitation_enrols_nobody_until_accepted(org, admin, invitee):
    with attack.nothing_written(invitee):
        assert invite(admin, org, invitee.email).status_code == 202
    assert attack.api("GET", "/me", invitee).json()["org"] is None
    assert not emulators.firestore().document("orgs", org, "members", invitee.uid).get().exists


def test_accepting_joins_and_uses_the_invitation_up(org, admin, invitee):
    invite(admin, org, invitee.email, "admin")
    [invitation] = invitations_of(invitee)
    assert attack.api("POST", f"/invitations/{invitation['id']}/accept", invitee).json() == {
        "org": org,
        "orgName": org.title(),
        "role": "admin",
    }
    assert emulators.firestore().document("orgs", org, "members", invitee.uid).get().get("role") == "admin"
    assert invitations_of(invitee) == []
    replay = partial(attack.api, "POST", f"/invitations/{invitation['id']}/accept", invitee)
    attack.refused(replay, 404, "invitation-not-found", invitee, orgs=[org])


def test_declining_leaves_nothing_behind(org, admin, invitee):
    invite(admin, org, invitee.email)
    [invitation] = invitations_of(invitee)
    with attack.nothing_written(invitee, orgs=[org]):
        assert attack.api("POST", f"/invitations/{invitation['id']}/decline", invitee).status_code == 204
    assert not emulators.firestore().document("invitations", invitation["id"]).get().exists
    assert attack.api("GET", f"/orgs/{org}/invitations", admin).json()["invitations"] == []


def test_an_expired_invitation_cannot_be_accepted_and_is_removed(org, admin, invitee):
    invite(admin, org, invitee.email)
    [invitation] = invitations_of(invitee)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    emulators.firestore().document("invitations", invitation["id"]).update({"expiresAt": past})
    accept = partial(attack.api, "POST", f"/invitations/{invitation['id']}/accept", invitee)
    attack.refused(accept, 404, "invitation-not-found", invitee, orgs=[org])
    assert invitations_of(invitee) == []
    assert not emulators.firestore().document("invitations", invitation["id"]).get().exists


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_someone_elses_invitation_cannot_be_used(org, admin, invitee, action):
    invite(admin, org, invitee.email)
    [invitation] = invitations_of(invitee)
    thief = emulators.sign_up()
    emulators.verify_email(thief)
    send = partial(attack.api, "POST", f"/invitations/{invitation['id']}/{action}", thief)
    attack.refused(send, 404, "invitation-not-found", thief, invitee, orgs=[org])
    assert len(invitations_of(invitee)) == 1


def test_an_unverified_address_cannot_take_an_invitation(org, admin):
    """Anyone can sign up with an address they do not own; only its verified owner sees the invitation."""
    squatter = emulators.sign_up()
    invite(admin, org, squatter.email)
    attack.refused(partial(attack.api, "GET", "/invitations", squatter), 403, "email-not-verified", squatter)
    invitation_id = (
        emulators.firestore()
        .collection("invitations")
        .where(filter=FieldFilter("email", "==", squatter.email))
        .get()[0]
        .id
    )
    accept = partial(attack.api, "POST", f"/invitations/{invitation_id}/accept", squatter)
    attack.refused(accept, 403, "email-not-verified", squatter, orgs=[org])


def test_verifying_the_address_lets_the_invitation_be_taken_at_once(org, admin):
    """The API remembers an account for half a minute; a consent step reads it afresh, so the person who was
    just told to verify their address is not refused again once they have."""
    person = emulators.sign_up()
    invite(admin, org, person.email)
    attack.refused(partial(attack.api, "GET", "/invitations", person), 403, "email-not-verified", person)
    emulators.verify_email(person)
    [invitation] = invitations_of(person)
    accepted = attack.api("POST", f"/invitations/{invitation['id']}/accept", person)
    assert accepted.status_code == 200, accepted.text
    assert emulators.firestore().document("orgs", org, "members", person.uid).get().exists


def test_a_member_of_another_org_must_leave_it_first(org, admin, invitee):
    emulators.join_org(invitee, emulators.make_org())
    invite(admin, org, invitee.email)
    [invitation] = invitations_of(invitee)
    accept = partial(attack.api, "POST", f"/invitations/{invitation['id']}/accept", invitee)
    attack.refused(accept, 409, "in-another-org", invitee, orgs=[org])


@pytest.mark.parametrize(
    "invite_id",
    ["no-such-invitation", "x%2F..%2Fy", "a" * 300, "%00", "invitations"],
    ids=["unknown", "encoded-slashes", "long", "nul", "collection-name"],
)
def test_made_up_invitation_ids_are_not_found(invitee, invite_id):
    send = partial(attack.api, "POST", f"/invitations/{invite_id}/accept", invitee)
    attack.refused(send, 404, None, invitee)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"email": "not an email"}, "invalid-member"),
        ({"email": ""}, "invalid-member"),
        ({"email": ["a@example.com"]}, "invalid-member"),
        ({}, "invalid-member"),
        ({"email": "a@example.com", "role": "owner"}, "invalid-role"),
        ({"email": "a@example.com", "role": None}, "invalid-role"),
    ],
    ids=["not-an-email", "empty", "list", "missing", "owner-role", "null-role"],
)
def test_malformed_invitations_are_refused(org, admin, body, code):
    attack.refused(
        partial(attack.api, "POST", f"/orgs/{org}/invitations", admin, json=body), 400, code, admin, orgs=[org]
    )


def test_members_cannot_invite(org, member):
    send = partial(invite, member, org, "friend@example.com")
    attack.refused(send, 403, "not-org-admin", member, orgs=[org])
    assert (
        emulators.firestore()
        .collection("invitations")
        .where(filter=FieldFilter("email", "==", "friend@example.com"))
        .where(filter=FieldFilter("orgId", "==", org))
        .get()
        == []
    )

"""Invitations have ceilings: an org holds at most INVITATIONS_PENDING_MAX pending invitations and an admin sends
at most INVITATIONS_PER_MINUTE; past either the answer is 429 with Retry-After and nothing is stored. An admin
can withdraw a pending invitation, which frees its place."""

from functools import partial

from google.cloud.firestore_v1.base_query import FieldFilter

from hostile import attack
from support import emulators


def stored_invitations(org: str) -> list:
    return emulators.firestore().collection("invitations").where(filter=FieldFilter("orgId", "==", org)).get()


def send_invite(client, admin, org: str, email: str):
    return client.post(f"/api/orgs/{org}/invitations", headers=admin.headers, json={"email": email, "role": "member"})


def assert_too_many(response, code: str) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == code
    assert int(response.headers["Retry-After"]) >= 1


def test_a_burst_of_invitations_stops_at_the_org_s_pending_ceiling(client_with, org, admin):
    client = client_with(invitations_pending_max=5, invitations_per_minute=1000)
    emails = [f"burst-{n}-{org}@example.com" for n in range(12)]
    answers = [send_invite(client, admin, org, email) for email in emails]
    assert [a.status_code for a in answers] == [202] * 5 + [429] * 7
    for refusal in (a for a in answers if a.status_code == 429):
        assert_too_many(refusal, "too-many-invitations")
    assert len(stored_invitations(org)) == 5
    invited = [email for email, a in zip(emails, answers) if a.status_code == 202]
    assert send_invite(client, admin, org, invited[0]).status_code == 202, (
        "renewing a pending invitation takes no place"
    )
    withdrawn = client.delete(
        f"/api/orgs/{org}/invitations/{answers[emails.index(invited[1])].get_json()['id']}", headers=admin.headers
    )
    assert withdrawn.status_code == 204
    assert send_invite(client, admin, org, "one-more@example.com").status_code == 202, "a withdrawn one frees its place"
    assert len(stored_invitations(org)) == 5


def test_an_admin_sends_at_most_so_many_invitations_a_minute(client_with, org, admin):
    client = client_with(invitations_pending_max=1000, invitations_per_minute=3)
    emulators.fresh_window()
    answers = [send_invite(client, admin, org, f"rate-{n}-{org}@example.com") for n in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert_too_many(answers[-1], "invitation-rate-limited")
    assert int(answers[-1].headers["Retry-After"]) <= 60
    assert len(stored_invitations(org)) == 3


def test_an_admin_withdraws_a_pending_invitation(org, admin, member):
    invitee = emulators.verify_email(emulators.sign_up())
    invited = attack.api("POST", f"/orgs/{org}/invitations", admin, json={"email": invitee.email})
    assert invited.status_code == 202
    path = f"/orgs/{org}/invitations/{invited.json()['id']}"
    attack.refused(partial(attack.api, "DELETE", path, member), 403, "not-org-admin", member, orgs=[org])
    other_org = emulators.make_org()
    other_admin = emulators.join_org(emulators.sign_up(), other_org, "admin")
    theirs = f"/orgs/{other_org}/invitations/{invited.json()['id']}"
    attack.refused(partial(attack.api, "DELETE", theirs, other_admin), 404, "invitation-not-found", orgs=[org])
    assert len(attack.api("GET", "/invitations", invitee).json()["invitations"]) == 1

    assert attack.api("DELETE", path, admin).status_code == 204
    assert attack.api("GET", "/invitations", invitee).json()["invitations"] == []
    assert stored_invitations(org) == []
    attack.refused(partial(attack.api, "DELETE", path, admin), 404, "invitation-not-found", orgs=[org])

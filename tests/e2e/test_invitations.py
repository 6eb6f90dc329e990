"""The Account page's invitations: a person sees who invites them, declines one and accepts another; nobody is
enrolled before they say yes."""

from __future__ import annotations

import requests
from actions import sign_in
from playwright.sync_api import expect

from support import emulators


def _invite(email: str, org_name: str) -> str:
    org = emulators.make_org(name=org_name)
    admin = emulators.join_org(emulators.sign_up(), org, "admin")
    response = requests.post(
        f"{emulators.API}/orgs/{org}/invitations",
        json={"email": email, "role": "member"},
        headers=admin.headers,
        timeout=30,
    )
    assert response.status_code == 202, response.text
    return org


def _open_account(page, user) -> None:
    page.goto("/")
    sign_in(page, user.email, user.password)
    page.get_by_role("link", name="Account", exact=True).click()


def test_a_person_declines_one_invitation_and_accepts_another(page, screenshot):
    person = emulators.verify_email(emulators.sign_up())
    wanted = _invite(person.email, "Orchard Co-op")
    _invite(person.email, "Spam Fruit Ltd")
    _open_account(page, person)

    invitations = page.get_by_role("region", name="Invitations")
    expect(invitations.get_by_text("Orchard Co-op invites you to join as member")).to_be_visible()
    expect(invitations.get_by_text("Spam Fruit Ltd invites you to join as member")).to_be_visible()
    screenshot(page, "account-invitations")

    invitations.get_by_role("button", name="Decline Spam Fruit Ltd").click()
    expect(invitations.get_by_text("Spam Fruit Ltd invites you")).to_have_count(0)
    invitations.get_by_role("button", name="Accept Orchard Co-op").click()
    expect(page.get_by_text(f"{wanted} (member)")).to_be_visible()
    expect(
        page.get_by_role("region", name="Invitations").get_by_text("No invitations to join an organisation.")
    ).to_be_visible()
    assert emulators.firestore().document("orgs", wanted, "members", person.uid).get().get("role") == "member"


def test_an_unverified_address_is_asked_to_verify_first(page):
    person = emulators.sign_up()
    _invite(person.email, "Orchard Co-op")
    _open_account(page, person)
    invitations = page.get_by_role("region", name="Invitations")
    expect(invitations.get_by_text("Invitations are sent to verified addresses")).to_be_visible()
    expect(invitations.get_by_role("button", name="Send verification email")).to_be_visible()
    expect(invitations.get_by_role("button", name="Accept Orchard Co-op")).to_have_count(0)

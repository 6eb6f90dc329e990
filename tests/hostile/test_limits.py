"""One limit for every door, a lower one for anonymous accounts, and a daily ceiling on paid second opinions.

The Storage trigger runs in the functions emulator with the stack's settings; cases that need other settings
(an anonymous quota of 2, a ceiling of 2 opinions) run the app in-process, with the local OpenAI stand-in
counting the calls that reach it.
"""

from __future__ import annotations

import time

import pytest
import requests

from hostile import attack
from integration.inprocess import post_image
from support import emulators
from support.emulators import wait_for
from support.fake_openai import FakeOpenAI

DAY_S = 24 * 60 * 60


def anonymous_user() -> emulators.User:
    """A new anonymous account, as `signInAnonymously()` makes one (free, as many as anyone likes)."""
    response = requests.post(
        f"{emulators.AUTH}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-api-key",
        json={"returnSecureToken": True},
        timeout=10,
    )
    response.raise_for_status()
    body = response.json()
    return emulators.User(uid=body["localId"], email="", password="", token=body["idToken"])


def upload(who, name: str, data: bytes | None = None) -> None:
    response = attack.storage_upload(who, f"uploads/{who.uid}/{name}", data or emulators.jpeg_bytes())
    assert response.status_code == 200, response.text


def upload_errors(uid: str) -> list[dict]:
    return [doc.to_dict() for doc in emulators.user_documents(uid, "uploadErrors")]


def settled(uid: str, expected: int):
    """Wait until `expected` uploads have each become a classification or an upload error, and are gone."""

    def done():
        docs, errors = emulators.user_documents(uid), upload_errors(uid)
        return (
            (docs, errors)
            if len(docs) + len(errors) >= expected and not emulators.user_objects(uid, "uploads")
            else None
        )

    return wait_for(done)


def test_the_trigger_refuses_uploads_over_the_org_limit_with_the_http_code():
    org = emulators.make_org(requests_per_minute=1)
    member = emulators.join_org(emulators.sign_up(), org)
    emulators.fresh_window(min_left_s=30)
    for i in range(3):
        upload(member, f"burst-{i}.jpg", emulators.jpeg_bytes(color=(10 + 80 * i, 90, 30)))
    docs, errors = settled(member.uid, 3)
    assert len(docs) == 1, "one upload fits the org's one request a minute"
    assert [e["error"]["code"] for e in errors] == ["rate-limited", "rate-limited"]
    assert all("a minute" in e["error"]["message"] for e in errors)
    attack.refused(lambda: attack.classify(member), 429, "rate-limited", member, orgs=[org])


def test_an_http_classification_uses_up_the_quota_the_trigger_then_enforces():
    org = emulators.make_org(requests_per_minute=1)
    member = emulators.join_org(emulators.sign_up(), org)
    emulators.fresh_window(min_left_s=30)
    assert attack.classify(member).status_code == 201
    upload(member, "after-http.jpg")
    docs, [error] = settled(member.uid, 2)
    assert len(docs) == 1 and error["error"]["code"] == "rate-limited"
    assert error["uploadPath"] == f"uploads/{member.uid}/after-http.jpg"
    # The app shows it to its owner, with the Firestore SDK (rule-checked), and to nobody else.
    [stored] = emulators.user_documents(member.uid, "uploadErrors")
    path = f"users/{member.uid}/uploadErrors/{stored.id}"
    assert attack.firestore_rest("GET", path, member).status_code == 200
    assert attack.firestore_rest("GET", path, emulators.sign_up()).status_code == 403


def test_anonymous_uploads_get_the_lower_anonymous_quota():
    """The stack runs with the default RATE_LIMIT_ANONYMOUS (10): the 11th upload in a minute is refused."""
    anonymous = anonymous_user()
    emulators.fresh_window(min_left_s=30)
    for i in range(11):
        upload(anonymous, f"anon-{i}.jpg", emulators.jpeg_bytes(color=(20 * i, 60, 200)))
    docs, errors = settled(anonymous.uid, 11)
    assert (len(docs), [e["error"]["code"] for e in errors]) == (10, ["rate-limited"])


def test_an_anonymous_account_gets_its_own_lower_quota_over_http(client_with, user):  # noqa: F811
    app_client = client_with(rate_limit_per_minute=1000, rate_limit_anonymous=2)
    anonymous = anonymous_user()
    emulators.fresh_window()
    assert [post_image(app_client, anonymous).status_code for _ in range(2)] == [201, 201]
    with attack.nothing_written(anonymous):
        refused = post_image(app_client, anonymous)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate-limited"
    assert "anonymous" in refused.get_json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert [post_image(app_client, user).status_code for _ in range(3)] == [201, 201, 201], (
        "a signed-in account has the full quota"
    )


@pytest.fixture
def openai():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def opinions_client(openai, client_with):
    """The app with a vision model that answers banana, asked automatically for every answer."""
    return lambda **more: client_with(
        openai_base_url=openai.base_url,
        openai_api_key="sk-answer-banana",
        openai_timeout_s=2.0,
        second_opinion_below=1.01,  # every answer counts as unsure: asked automatically
        rate_limit_per_minute=1000,
        **more,
    )


def test_an_anonymous_account_never_spends_a_second_opinion(openai, opinions_client):  # noqa: F811
    app_client = opinions_client()
    anonymous = anonymous_user()
    body = post_image(app_client, anonymous).get_json()
    assert body["secondOpinion"] is None, "not asked automatically"
    with attack.nothing_written(anonymous):
        asked = post_image(app_client, anonymous, "?second_opinion=1")
    assert asked.status_code == 403 and asked.get_json()["error"]["code"] == "feature-disabled"
    later = app_client.post(f"/api/classifications/{body['id']}/second-opinion", headers=anonymous.headers)
    assert later.status_code == 403 and later.get_json()["error"]["code"] == "feature-disabled"
    assert "second_opinion" not in app_client.get("/api/me", headers=anonymous.headers).get_json()["features"]
    assert openai.requests == []


@pytest.fixture
def ceiling_of_two(openai):
    """SECOND_OPINION_DAILY_MAX=2 (the test's app has it), counted from zero: the ceiling is project-wide, so
    today's count (other tests ask too) is cleared first."""
    day, ratelimits = int(time.time() // DAY_S), emulators.firestore().collection("ratelimits")
    for shard in range(8):  # data/ratelimits.py: <key>:<window> and the shard number
        for separator in ":-":
            ratelimits.document(f"second-opinions:{day}{separator}{shard}").delete()
    return openai


def test_the_daily_ceiling_stops_automatic_opinions_and_refuses_asked_ones(ceiling_of_two, opinions_client, user):  # noqa: F811
    app_client = opinions_client(second_opinion_daily_max=2)
    opinions = [post_image(app_client, user).get_json()["secondOpinion"] for _ in range(3)]
    assert [o["label"] for o in opinions] == ["banana", "banana", None]
    assert "used up" in opinions[2]["note"]
    assert len(ceiling_of_two.requests) == 2, "the vision model was called exactly up to the ceiling"

    with attack.nothing_written(user):
        asked = post_image(app_client, user, "?second_opinion=1")
    assert asked.status_code == 429 and asked.get_json()["error"]["code"] == "second-opinion-limit"
    assert int(asked.headers["Retry-After"]) <= DAY_S

    doc_id = emulators.user_documents(user.uid)[0].id
    with attack.nothing_written(user):
        later = app_client.post(f"/api/classifications/{doc_id}/second-opinion", headers=user.headers)
    assert later.status_code == 429 and later.get_json()["error"]["code"] == "second-opinion-limit"
    assert len(ceiling_of_two.requests) == 2

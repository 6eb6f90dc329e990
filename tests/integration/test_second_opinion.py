"""The GPT-4 Vision second opinion, against a local server that speaks the chat-completions API."""

import pytest

from integration.inprocess import post_image
from support.fake_openai import FakeOpenAI


@pytest.fixture
def openai_server():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def with_key(openai_server, client_with):
    """A client of the app whose OpenAI key (the fake server answers by it) and other settings are given."""
    return lambda key, **more: client_with(
        openai_api_key=key, openai_base_url=openai_server.base_url, openai_timeout_s=1.0, **more
    )


def test_a_requested_opinion_is_stored_beside_the_models(openai_server, with_key, user):
    app_client = with_key("sk-answer-banana")
    response = post_image(app_client, user, "?second_opinion=1")
    assert response.status_code == 201
    body = response.get_json()
    assert body["secondOpinion"]["label"] == "banana"
    assert body["secondOpinion"]["confidence"] == 0.87
    assert body["label"] and body["topk"], "the model's own answer is kept"
    [sent] = openai_server.requests
    content = sent["body"]["messages"][0]["content"]
    assert content[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert "not_fruit" in content[0]["text"], "the prompt offers the model's label set and 'not a fruit'"


@pytest.mark.parametrize(
    "key, note",
    [
        ("sk-slow", "timed out"),
        ("sk-garbage", "malformed"),
        ("sk-refuse", "declined"),
        ("sk-broken", "failed"),
        ("sk-answer-durian", "not one of our labels"),
    ],
)
def test_any_failure_keeps_the_models_answer_with_a_note(with_key, user, key, note):
    app_client = with_key(key)
    response = post_image(app_client, user, "?second_opinion=1")
    assert response.status_code == 201
    body = response.get_json()
    assert body["secondOpinion"]["label"] is None
    assert note in body["secondOpinion"]["note"]
    assert body["label"]


def test_without_a_key_the_service_works_and_says_why(client_with, user):
    app_client = client_with(openai_api_key="")
    response = post_image(app_client, user, "?second_opinion=1")
    assert response.status_code == 201
    assert "not configured" in response.get_json()["secondOpinion"]["note"]
    assert "second_opinion" not in app_client.get("/api/me", headers=user.headers).get_json()["features"]


def test_an_unsure_answer_asks_automatically(with_key, user):
    app_client = with_key("sk-answer-kiwi", second_opinion_below=1.01)  # every answer counts as unsure
    body = post_image(app_client, user).get_json()
    assert body["secondOpinion"]["label"] == "kiwi"


def test_only_an_abstention_asks_when_the_threshold_is_zero(openai_server, with_key, user):
    app_client = with_key("sk-answer-kiwi", second_opinion_below=0.0)
    body = post_image(app_client, user).get_json()
    asked = body["secondOpinion"] is not None
    assert asked == body["abstained"]
    assert len(openai_server.requests) == int(body["abstained"])


def test_asking_later_for_a_stored_result(with_key, user):
    app_client = with_key("sk-answer-lime", second_opinion_below=0.0)
    doc = post_image(app_client, user).get_json()
    response = app_client.post(f"/api/classifications/{doc['id']}/second-opinion", headers=user.headers)
    assert response.status_code == 200
    assert response.get_json()["secondOpinion"]["label"] == "lime"
    stored = app_client.get(f"/api/classifications/{doc['id']}", headers=user.headers).get_json()
    assert stored["secondOpinion"]["label"] == "lime"

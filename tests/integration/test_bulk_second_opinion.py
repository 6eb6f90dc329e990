"""Second opinions for bulk work: off unless the job asks, then for each image the model is unsure of and within
the project's daily ceiling, against the local server that speaks OpenAI's chat-completions API. In-process with
the queue left out: the chunk runs under the test's settings, as the task function would run with them."""

import pytest

from support import bulk, emulators
from support.fake_openai import FakeOpenAI


@pytest.fixture
def openai():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def bulk_app(openai, client_with, monkeypatch):
    """(settings, client): every answer counts as unsure, so each image may be asked about."""
    from fruitclf import config
    from fruitclf.data import tasks

    monkeypatch.setattr(tasks, "enqueue", lambda *args, **kwargs: True)

    def make(**more):
        settings = dict(
            openai_base_url=openai.base_url,
            openai_api_key="sk-answer-banana",
            openai_timeout_s=2.0,
            second_opinion_below=1.01,
            **more,
        )
        return config.Settings(**settings), client_with(**settings)

    return make


def run_job(settings, client, admin, org, body) -> tuple[dict, list[dict]]:
    from fruitclf import config
    from fruitclf.service import bulk as bulk_service

    response = client.post(f"/api/orgs/{org}/jobs", headers=admin.headers, json=body)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    with config.using(settings):
        assert bulk_service.run_chunk(org, job["id"], 0) == "done"
    return job, bulk.items(org, job["id"])


def test_a_job_that_asks_gets_an_opinion_on_each_unsure_image(openai, bulk_app, org, admin):
    settings, client = bulk_app(second_opinion_daily_max=10_000)
    prefix = bulk.upload(org, "asked", 3)
    job, items = run_job(settings, client, admin, org, {"prefix": prefix, "secondOpinion": True})
    assert job["secondOpinion"] is True
    assert [item["secondOpinion"]["label"] for item in items] == ["banana"] * 3
    assert len(openai.requests) == 3
    csv_rows = client.get(f"/api/orgs/{org}/jobs/{job['id']}/results?format=csv", headers=admin.headers)
    assert csv_rows.get_data(as_text=True).count(",banana,") == 3


def test_a_job_that_does_not_ask_never_calls_the_vision_model(openai, bulk_app, org, admin):
    settings, client = bulk_app(second_opinion_daily_max=10_000)
    _, items = run_job(settings, client, admin, org, {"prefix": bulk.upload(org, "quiet", 3)})
    assert all("secondOpinion" not in item for item in items)
    assert openai.requests == []


def test_past_the_daily_ceiling_a_job_carries_on_with_a_note_instead(openai, bulk_app, org, admin):
    settings, client = bulk_app(second_opinion_daily_max=0)
    job, items = run_job(settings, client, admin, org, {"prefix": bulk.upload(org, "spent", 2), "secondOpinion": True})
    assert [item["status"] for item in items] == ["done", "done"], "the model's answers stand"
    assert all("used up" in item["secondOpinion"]["note"] for item in items)
    assert openai.requests == []


def test_an_org_without_the_feature_cannot_ask_for_opinions_in_bulk(bulk_app, admin, org):
    _, client = bulk_app()
    emulators.firestore().document("orgs", org).update({"features": ["classification"]})
    from fruitclf.service import orgs

    orgs.forget(org)
    body = {"prefix": bulk.upload(org, "nofeature", 1), "secondOpinion": True}
    response = client.post(f"/api/orgs/{org}/jobs", headers=admin.headers, json=body)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "feature-disabled"
    assert list(emulators.firestore().collection("orgs", org, "jobs").stream()) == [], "no job was started"

"""Feedback export for retraining, and CORS for other origins."""

import csv
import io
import json

import requests

from support.emulators import API


def test_a_user_exports_their_feedback_as_jsonl_and_csv(user, classified):
    confirmed, corrected, untouched = classified(3)
    requests.post(
        f"{API}/classifications/{confirmed['id']}/feedback", json={"correct": True}, headers=user.headers, timeout=30
    )
    requests.post(
        f"{API}/classifications/{corrected['id']}/feedback", json={"label": "papaya"}, headers=user.headers, timeout=30
    )

    jsonl = requests.get(f"{API}/feedback/export", headers=user.headers, timeout=30)
    assert jsonl.status_code == 200 and jsonl.headers["Content-Type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert {row["id"] for row in rows} == {confirmed["id"], corrected["id"]}
    fix = next(row for row in rows if row["id"] == corrected["id"])
    assert (
        fix["correctedLabel"] == "papaya"
        and fix["modelLabel"] == corrected["label"]
        and fix["imagePath"] == corrected["imagePath"]
    )

    table = requests.get(f"{API}/feedback/export", params={"format": "csv"}, headers=user.headers, timeout=30)
    assert len(list(csv.DictReader(io.StringIO(table.text)))) == 2


def test_export_refuses_bad_parameters_and_non_admins(user):
    assert (
        requests.get(f"{API}/feedback/export", params={"format": "xml"}, headers=user.headers, timeout=30).status_code
        == 400
    )
    assert (
        requests.get(f"{API}/feedback/export", params={"scope": "org"}, headers=user.headers, timeout=30).status_code
        == 403
    )


def test_preflight_from_an_allowed_origin(client_with):
    app_client = client_with(allowed_origins=("https://fruit.example", "https://admin.example"))
    response = app_client.options(
        "/api/classify",
        headers={
            "Origin": "https://fruit.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://fruit.example"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_preflight_from_another_origin_is_refused(client_with):
    app_client = client_with(allowed_origins=("https://fruit.example",))
    response = app_client.options(
        "/api/classify", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "origin-not-allowed"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_simple_requests_get_cors_headers_only_for_allowed_origins(client_with):
    app_client = client_with(allowed_origins=("https://fruit.example",))
    allowed = app_client.get("/api/health", headers={"Origin": "https://fruit.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://fruit.example"
    other = app_client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers

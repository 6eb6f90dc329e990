"""GET /api/fruits/<label>: nutrition per 100 g from the catalog, with its source and licence, for signed-in users."""

import requests

from support.emulators import API


def test_a_label_the_model_gives_has_nutrition_and_cites_its_source(user):
    labels = requests.get(f"{API}/model", timeout=30).json()["labels"]
    assert "orange" in labels
    response = requests.get(f"{API}/fruits/orange", headers=user.headers, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["label"] == "orange" and body["food"] == "Oranges, raw, all commercial varieties"
    assert body["basis"] == "per 100 g of the edible part"
    figures = body["per100g"]
    assert figures["energy_kcal"] == 47 and figures["vitamin_c_mg"] == 53.2 and figures["potassium_mg"] == 181
    assert {"sugars_g", "fibre_g"} <= figures.keys()
    assert body["units"]["vitamin_c_mg"] == "mg"
    assert "USDA FoodData Central" in body["source"]["name"] and "Public domain" in body["source"]["licence"]


def test_every_fruit_label_of_the_served_model_answers(user):
    labels = requests.get(f"{API}/model", timeout=30).json()["labels"]
    missing = [
        label
        for label in labels
        if label != "not_fruit"
        and requests.get(f"{API}/fruits/{label}", headers=user.headers, timeout=30).status_code != 200
    ]
    assert not missing


def test_an_unknown_label_is_a_404_with_the_error_envelope(user):
    for label in ("durian", "not_fruit"):
        response = requests.get(f"{API}/fruits/{label}", headers=user.headers, timeout=30)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown-fruit"
        assert "/api/model" in response.json()["error"]["message"]


def test_it_needs_a_signed_in_user():
    response = requests.get(f"{API}/fruits/orange", timeout=30)
    assert response.status_code == 401
    assert response.json()["error"]["code"]

"""functions/catalog/nutrition.json (built by scripts/build_nutrition_catalog.py): nutrition per 100 g for every
label of every shipped model, with its source and licence, which the result card and /api/fruits/<label> cite."""

from __future__ import annotations

import json
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CATALOG = json.loads((REPO / "functions" / "catalog" / "nutrition.json").read_text())
MODELS = sorted(p.parent for p in (REPO / "functions" / "models").glob("*/labels.txt"))
REQUIRED = ["energy_kcal", "sugars_g", "fibre_g", "vitamin_c_mg", "potassium_mg"]


def labels(model: pathlib.Path) -> list[str]:
    return [line.strip() for line in (model / "labels.txt").read_text().splitlines() if line.strip()]


def test_the_catalog_cites_an_open_source_and_its_licence():
    source = CATALOG["source"]
    assert source["name"] and source["url"] and source["package"]
    assert "public domain" in source["licence"].lower()
    assert CATALOG["basis"].startswith("per 100 g")
    assert set(REQUIRED) <= set(CATALOG["units"])


@pytest.mark.parametrize("model", MODELS, ids=[m.name for m in MODELS])
def test_every_fruit_label_of_every_shipped_model_has_nutrition(model):
    missing = [label for label in labels(model) if label != "not_fruit" and label not in CATALOG["fruits"]]
    assert not missing, (
        f"{model.name}: no nutrition for {missing}: add them to FOODS in scripts/build_nutrition_catalog.py"
    )


@pytest.mark.parametrize("label", sorted(CATALOG["fruits"]))
def test_each_entry_names_its_food_and_gives_the_figures_people_look_for(label):
    entry = CATALOG["fruits"][label]
    assert entry["food"] and entry["dataset"] in ("SR Legacy", "FNDDS")
    figures = entry["per100g"]
    assert set(REQUIRED) <= set(figures)
    # a figure the table lacks is null ("not listed"), never a made-up 0; sugars are the only gaps in the table
    assert all(figures[key] is not None for key in REQUIRED if key != "sugars_g"), figures
    assert all(value is None or value >= 0 for value in figures.values())
    assert 10 <= figures["energy_kcal"] <= 400
    if entry["match"] == "proxy":
        assert entry.get("note"), "a stand-in food must say why it stands in"
    else:
        assert entry["match"] == "exact"


def test_not_fruit_has_no_entry():
    assert "not_fruit" not in CATALOG["fruits"]

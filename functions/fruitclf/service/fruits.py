"""What a fruit is good for: nutrition per 100 g from the catalog (functions/catalog/nutrition.json, built by
scripts/build_nutrition_catalog.py from USDA FoodData Central), with the source and licence it must be cited with."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from .. import errors

CATALOG = Path(__file__).resolve().parents[2] / "catalog" / "nutrition.json"


@functools.cache
def _catalog() -> dict[str, Any]:
    catalog: dict[str, Any] = json.loads(CATALOG.read_text(encoding="utf-8"))
    return catalog


def nutrition(label: str) -> dict[str, Any]:
    """The label's entry with the figures' basis, units and source; 404 for a label the catalog does not know."""
    catalog = _catalog()
    entry = catalog["fruits"].get(label)
    if entry is None:
        raise errors.not_found(
            f"No fruit {label!r} in the catalog; the model's labels are at /api/model.", "unknown-fruit"
        )
    return {
        "label": label,
        **entry,
        "basis": catalog["basis"],
        "units": catalog["units"],
        "source": catalog["source"],
    }

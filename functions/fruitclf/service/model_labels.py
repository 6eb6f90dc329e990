"""The labels of the model that made a stored classification, whatever became of that model since.

History outlives models: an org deletes a version (its record and labels stay, its file goes), a release
withdraws a shipped model, an item comes from another deployment. Feedback and the second opinion on an old item
ask here, and an id this deployment does not know is never an error: the item's own answers and the labels of
the model serving the caller now stand in for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..data import model_versions
from ..ml.model import available_models, default_model_id, get_classifier
from . import org_models
from .orgs import OrgConfig


def of_model(model_version: str | None) -> list[str] | None:
    """The labels of `model_version` as stored results name it ("<org>/<version>" for an org's version, a
    shipped model's id, None or "" for the default model); None when this deployment does not know it."""
    if model_version and "/" in model_version:
        org_id, version = model_version.split("/", 1)
        doc = model_versions.read_if_valid(org_id, version)
        return list(doc["labels"]) if doc else None
    model_id = model_version or default_model_id()
    return list(get_classifier(model_id).labels) if model_id in available_models() else None


def serving_model(org: OrgConfig, uid: str) -> str | None:
    """The model answering `uid` now, named as a stored result names it."""
    version = org_models.version_for(org, uid)
    return f"{org.org_id}/{version}" if version and org.org_id else org.model_id


def for_item(item: Mapping[str, Any], org: OrgConfig, uid: str) -> list[str]:
    """The labels a user may name for a stored item, and a second opinion may choose from: its model's, or,
    when that model is unknown here, the item's own answers and the labels of the model serving `uid` now."""
    known = of_model(item.get("modelVersion"))
    if known is not None:
        return known
    own = [item["label"], *(t["label"] for t in item.get("topk", []))]
    return list(dict.fromkeys(own + (of_model(serving_model(org, uid)) or [])))

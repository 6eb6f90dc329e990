"""Which model a bulk job classifies with: chosen when the job starts and recorded on it, so that every image of
one job is classified by the same model, whatever an admin pins while it runs."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..data import model_versions
from ..ml.model import Classifier, available_models, default_model_id, get_classifier
from . import org_models
from .orgs import OrgConfig


def chosen(org: OrgConfig, requested: str | None) -> dict[str, Any]:
    """The job's `modelId` (as each result's `modelVersion` will name it) and `modelVersion` (the org's own
    version, or None for a shipped model): `requested` when given (a ready version of the org, else a model
    this deployment ships), otherwise what serves the org itself (its pinned version, else its shipped model)."""
    org_id = org.org_id or ""
    if requested is None:
        if org.model_version:
            return _org_version(org_id, org.model_version)
        return {"modelId": org.model_id or default_model_id(), "modelVersion": None}
    if not isinstance(requested, str):
        raise errors.bad_request("modelVersion must be the name of a model version.", "invalid-model-version")
    if requested in available_models() and model_versions.read(org_id, requested) is None:
        return {"modelId": requested, "modelVersion": None}
    org_models.require_servable(org_id, requested)
    return _org_version(org_id, requested)


def _org_version(org_id: str, version: str) -> dict[str, Any]:
    return {"modelId": f"{org_id}/{version}", "modelVersion": version}


def classifier(org: OrgConfig, job: dict[str, Any]) -> Classifier:
    """The classifier the job recorded (503 `org-model-unavailable` when it can no longer be loaded)."""
    if job.get("modelVersion"):
        return org_models.version_classifier(org, job["modelVersion"])
    try:
        return get_classifier(job.get("modelId"))
    except KeyError:
        raise errors.unavailable(
            f"The job's model {job.get('modelId')!r} is not available on this server.", "org-model-unavailable"
        ) from None

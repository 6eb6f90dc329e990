"""GET /api/model: what the default model is and what it can say (public)."""

from flask import Blueprint, request

from ... import errors
from ...ml.model import available_models, get_classifier

bp = Blueprint("model", __name__)


def describe(model_id: str | None = None) -> dict:
    classifier = get_classifier(model_id)
    return {
        "id": classifier.model_id,
        "version": classifier.card.get("version", classifier.model_id),
        "labels": classifier.labels,
        "inputSize": classifier.input_size,
        "abstainThreshold": classifier.abstain_threshold,
    }


@bp.get("/model")
def model():
    model_id = request.args.get("id")
    if model_id is not None and model_id not in available_models():
        raise errors.not_found(f"No model {model_id!r}; available: {', '.join(available_models())}.", "unknown-model")
    return {**describe(model_id), "available": available_models()}

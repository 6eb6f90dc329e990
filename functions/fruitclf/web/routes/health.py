"""Liveness and the identity of what is serving."""

from flask import Blueprint, jsonify

from ... import __version__
from ...ml.model import get_classifier

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    try:
        model_id = get_classifier().model_id
    except (KeyError, FileNotFoundError):
        model_id = None
    return jsonify(status="ok", version=__version__, model=model_id)

"""Liveness and the identity of what is serving."""

from flask import Blueprint, jsonify

from ... import __version__
from ...config import settings
from ...ml.images import ACCEPTED_FORMATS
from ...ml.model import get_classifier
from ...service import opinion, orgs
from ..auth import current_caller

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    try:
        model_id = get_classifier().model_id
    except (KeyError, FileNotFoundError):
        model_id = None
    return jsonify(status="ok", version=__version__, model=model_id)


@bp.get("/me")
def me():
    caller = current_caller()
    org = orgs.config_for(caller)
    return jsonify(
        uid=caller.uid,
        email=caller.email,
        anonymous=caller.anonymous,
        org=caller.org,
        role=caller.role,
        features=opinion.features_offered(org),
        limits={"maxUploadBytes": settings().max_upload_size, "acceptedTypes": sorted(set(ACCEPTED_FORMATS.values()))},
    )

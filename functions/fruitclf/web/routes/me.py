"""The caller as the API sees them: who they are, their org and role, what they may use, the upload limits."""

from flask import Blueprint, jsonify

from ...config import settings
from ...ml.images import ACCEPTED_FORMATS
from ...service import opinion, orgs
from ..auth import current_caller

bp = Blueprint("me", __name__)


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

"""The model the caller's browser runs: GET /api/me/model (which one, and how to prepare its input) and GET
/api/me/model/file (an org version's .tflite, only with the caller's ID token; the default model is public
under /models/). The browser keeps the file per version, by its hash (frontend/src/ondevice/model.js)."""

from flask import Blueprint, Response

from ...service import device_model
from ..auth import current_caller

bp = Blueprint("device_model", __name__)


@bp.get("/me/model")
def describe():
    return device_model.describe(current_caller())


@bp.get("/me/model/file")
def model_file():
    sha256, data = device_model.model_file(current_caller())
    response = Response(data, mimetype="application/octet-stream")
    response.headers["ETag"] = f'"{sha256}"'  # no-store all the same (app.py): the page keeps it, by this hash
    return response

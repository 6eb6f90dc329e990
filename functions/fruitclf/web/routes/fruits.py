"""GET /api/fruits/<label>: nutrition per 100 g for a label the model gives, citing its source (signed-in users)."""

from flask import Blueprint

from ...service import fruits
from ..auth import current_caller

bp = Blueprint("fruits", __name__)


@bp.get("/fruits/<label>")
def fruit(label: str):
    current_caller()  # signed-in users only, like every other route that is not public
    return fruits.nutrition(label)

"""A user's history: list, read and delete classifications, their stored images, and feedback on them."""

from __future__ import annotations

from .. import errors
from ..data import blobs, store
from ..data.clock import utcnow
from ..data.store import Answer, Classification, Feedback
from . import access, model_labels, orgs
from .identity import Caller

MAX_PAGE = 100


def page(uid: str, limit: int, cursor: str | None) -> tuple[list[Classification], str | None]:
    """Newest first, `limit` (1..MAX_PAGE) at a time; the cursor of the next page or None at the end."""
    if not 1 <= limit <= MAX_PAGE:
        raise errors.bad_request(f"limit must be a whole number from 1 to {MAX_PAGE}.", "invalid-limit")
    return store.list_classifications(uid, limit, cursor)


def get(uid: str, doc_id: str) -> Classification:
    return store.get_classification(uid, doc_id)


def delete(uid: str, doc_id: str) -> None:
    """Remove the classification, its aggregates' share and its stored image."""
    doc = store.delete_classification(uid, doc_id)
    blobs.delete_quietly(doc["imagePath"])


def image(uid: str, doc_id: str) -> bytes:
    """The stored (normalised, metadata-free) JPEG of one classification; 404 `image-not-found` when the
    object is gone (removed in the bucket by hand, say)."""
    data = blobs.get_if_exists(store.get_classification(uid, doc_id)["imagePath"])
    if data is None:
        raise errors.not_found("The image of this classification is no longer stored.", "image-not-found")
    return data


def correction_labels(caller: Caller, doc_id: str) -> list[str]:
    """What a user may name as the right label of one stored item: its model's labels (an org's own version has
    its own), the same list feedback checks against."""
    return model_labels.for_item(store.get_classification(caller.uid, doc_id), orgs.config_for(caller), caller.uid)


def model_said(answer: Answer | Classification) -> str:
    """What a model told the user: its label, or not_fruit when it abstained (what feedback judges it by)."""
    return "not_fruit" if answer["abstained"] else answer["label"]


def give_feedback(caller: Caller, doc_id: str, correct: bool, label: str | None) -> Classification:
    """Confirm the model's answer (`correct`) or name the right label (one of that model's labels, whatever
    became of the model: service/model_labels.py)."""
    uid = caller.uid
    doc = store.get_classification(uid, doc_id)
    if correct:
        right, named = True, doc["label"]
    elif label is not None:
        if label not in model_labels.for_item(doc, orgs.config_for(caller), uid):
            raise errors.bad_request(
                f"Unknown label {label!r}: use one of this item's labels (GET /api/classifications/<id>/labels).",
                "unknown-label",
            )
        right, named = label == model_said(doc), label
    else:
        raise errors.bad_request('Send JSON {"correct": true} or {"label": "<a model label>"}.', "invalid-feedback")
    feedback: Feedback = {"correct": right, "label": named, "at": utcnow()}
    return store.set_feedback(uid, doc_id, feedback)


def feedback_examples(caller: Caller, whole_org: bool = False) -> list[Classification]:
    """Classifications with feedback, newest first (for retraining): the caller's, or (its admins) their whole
    org's."""
    if whole_org:
        access.require_admin(caller, caller.org)
        return store.feedback_examples(org_id=caller.org)
    return store.feedback_examples(uid=caller.uid)

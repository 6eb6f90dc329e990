"""The classify service: one path for both entry points (HTTP upload and the Storage trigger).

validate + normalise -> store the image while classifying -> write the document (with its aggregates).
If anything fails after the upload started, the image is removed again: nothing is left half-written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor, wait

from . import blobs, errors, images, opinion, store
from .config import settings
from .model import get_classifier
from .orgs import OrgConfig

log = logging.getLogger(__name__)

# Storage uploads overlap with classification (one per concurrent request; the function serves up to 8).
_uploads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="upload")


def classify_bytes(
    uid: str,
    data: bytes,
    org: OrgConfig,
    source: str,
    doc_id: str | None = None,
    extra: dict | None = None,
    second_opinion: bool = False,
) -> dict | None:
    """Classify one uploaded image for `uid`; returns the stored document, or None if `doc_id` already exists.

    `second_opinion` asks the vision model even when the classifier is sure (the org must have the feature)."""
    cfg = settings()
    started = time.perf_counter()
    image = images.normalise(data, cfg.max_upload_size, cfg.max_image_pixels)
    decoded = time.perf_counter()
    doc_id = doc_id or store.new_id()
    path = blobs.image_path(uid, doc_id)
    # The image upload is I/O: it runs while this thread classifies. The document is written only once the
    # image is stored, and the image is removed again if anything after the upload fails.
    upload = _uploads.submit(blobs.put_jpeg, path, image.jpeg)
    try:
        classifier = get_classifier(org.model_id)
        # From the upload itself, not the stored copy: the model then sees exactly training's eval transform
        # (and its fast JPEG draft decode), so the model card's figures hold for the API too.
        prediction = classifier.classify(data)
        classified = time.perf_counter()
        doc = {
            "label": prediction.label,
            "confidence": round(prediction.confidence, 6),
            "topk": [{"label": label, "p": round(p, 6)} for label, p in prediction.topk],
            "abstained": prediction.abstained,
            "modelVersion": prediction.model_id,
            "imagePath": path,
            "source": source,
            "org": org.org_id,
            "feedback": None,
            "secondOpinion": None,
            "createdAt": store.utcnow(),
            **(extra or {}),
        }
        # Asked for (the route checked the feature), or automatically where it can work and the model is unsure.
        if second_opinion or ("second_opinion" in org.features and opinion.available() and opinion.unsure(doc)):
            doc["secondOpinion"] = opinion.ask(image.jpeg, classifier.labels, doc["topk"])
        upload.result()
        doc["timings"] = {
            "decode": round((decoded - started) * 1000, 2),
            "infer": round((classified - decoded) * 1000, 2),
            "total": round((time.perf_counter() - started) * 1000, 2),
        }
        created = store.create_classification(uid, doc_id, doc)
    except BaseException:
        wait([upload])  # a delete racing a still-running upload would leave the image behind
        blobs.delete_quietly(path)
        raise
    if not created:
        return None
    log.info(json.dumps({"event": "classified", "uid": uid, "id": doc_id, "label": doc["label"], "ms": doc["timings"]["total"], "source": source}))
    return {"id": doc_id, **doc}


def upload_doc_id(path: str, generation: int | str | None) -> str:
    """The classification id of an uploaded object: the same object always maps to the same document, so a
    replayed trigger event, or the trigger racing a client's POST for the same object, classifies it once."""
    return "u" + hashlib.sha256(f"{path}#{generation}".encode()).hexdigest()[:27]


def classify_upload(uid: str, path: str, org: OrgConfig, source: str) -> dict:
    """Classify an image a client put at uploads/<uid>/<name>, then delete the upload (the normalised copy is
    kept under users/<uid>/images/). Returns the document, the existing one if it was already classified."""
    blob = blobs.stat(path)
    if blob is None:
        raise errors.not_found(f"Nothing is stored at {path}.", "upload-not-found")
    doc_id = upload_doc_id(path, blob.generation)
    if store.exists(uid, doc_id):
        return store.get_classification(uid, doc_id)
    images.check_size(blob.size or 0, settings().max_upload_size)
    doc = classify_bytes(uid, blobs.get(path), org, source=source, doc_id=doc_id, extra={"uploadPath": path})
    if doc is None:  # lost a race with the other entry point
        doc = store.get_classification(uid, doc_id)
    blobs.delete_quietly(path)
    return doc


def second_opinion_for(uid: str, doc_id: str, org: OrgConfig) -> dict:
    """Ask the vision model about an already classified image and store its answer beside the model's."""
    org.require("second_opinion")
    doc = store.get_classification(uid, doc_id)
    labels = get_classifier(doc.get("modelVersion")).labels
    answer = opinion.ask(blobs.get(doc["imagePath"]), labels, doc["topk"])
    store.set_second_opinion(uid, doc_id, answer)
    return {**doc, "secondOpinion": answer}

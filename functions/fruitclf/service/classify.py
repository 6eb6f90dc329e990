"""The classify service: one path for every door (HTTP upload, HTTP storagePath, the Storage trigger).

admit the caller (org features, rate limits) -> validate + normalise -> store the image while classifying ->
write the document (with its aggregates). Every attempt is recorded in the ops figures. If anything fails
after the upload started and before the document write, the image is removed again; a document write whose
outcome is unknown is settled instead (`_write`). Either way the document, its image and its aggregates all
exist or none do.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from typing import cast

from .. import errors
from ..config import in_context, settings
from ..data import blobs, store
from ..data.clock import utcnow
from ..data.store import Answer, Classification, JobAnswer
from ..ml import images
from ..ml.model import Classifier, Prediction
from . import limits, model_labels, monitoring, opinion, org_models, orgs
from .identity import Caller
from .orgs import OrgConfig

log = logging.getLogger(__name__)

# Storage uploads overlap with classification (one per concurrent request; the function serves up to 8).
_uploads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="upload")
# Document writes whose outcome is still unknown after the request gave up, retried until Firestore answers.
_settling = ThreadPoolExecutor(max_workers=1, thread_name_prefix="settle")
SETTLE_FOR_S = 600
SETTLE_EVERY_S = 5


@contextlib.contextmanager
def _admitted(caller: Caller, second_opinion: bool = False) -> Iterator[OrgConfig]:
    """The caller's org once they may classify now (feature on, under the limits); the attempt's outcome and
    latency go to the ops figures (a 429 is counted as a rate-limit hit instead)."""
    started = time.perf_counter()
    org_id, status = caller.org, 201
    try:
        org = orgs.config_for(caller)
        org.require("classification")
        org.require_model()
        if second_opinion:
            opinion.require_feature(org)
        limits.enforce(caller, org)
        if second_opinion:
            opinion.reserve()  # refused before any work when today's opinions are used up
        yield org
    except errors.ApiError as exc:
        status = exc.status
        raise
    except BaseException:
        status = 500
        raise
    finally:
        if status != 429:
            monitoring.record_classify(org_id, status, (time.perf_counter() - started) * 1000)


def classify_image(
    caller: Caller,
    read_image: Callable[[], bytes],
    source: str,
    second_opinion: bool = False,
    idempotency_key: str | None = None,
) -> Classification:
    """Classify an image sent with the request. `read_image` is called only once the caller is admitted, so a
    refused caller costs no upload parsing. `second_opinion` asks the vision model even when the classifier
    is sure (the org must have the feature). A repeated `idempotency_key` (the web app's offline queue sends
    one per photo) returns the first answer instead of classifying again: a retried upload is stored once."""
    doc_id = keyed_doc_id(idempotency_key) if idempotency_key else None
    if doc_id and (earlier := store.find_classification(caller.uid, doc_id)):
        return earlier
    with _admitted(caller, second_opinion) as org:
        return _classify_bytes(caller.uid, read_image(), org, source, doc_id=doc_id, second_opinion=second_opinion)


def keyed_doc_id(idempotency_key: str) -> str:
    """The classification id for a client's idempotency key (per user: ids live under users/<uid>/)."""
    return "k" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:27]


def classify_stored_upload(caller: Caller, path: str, source: str) -> Classification:
    """Classify an image the caller put at uploads/<uid>/<name>, then delete the upload (the normalised copy
    is kept under users/<uid>/images/). Returns the document, the existing one if it was already classified
    (a replayed event, or the trigger and a POST racing for one upload): that costs no quota."""
    upload = blobs.stat(path)
    if upload is None:
        raise _upload_not_found()
    doc_id = upload_doc_id(path, upload.generation)
    if earlier := store.find_classification(caller.uid, doc_id):
        return earlier
    with _admitted(caller) as org:
        images.check_size(upload.size, settings().max_upload_size)
        data = blobs.get_if_exists(path)
        if data is None:
            # The other door classified this upload and removed it between our stat and our read: its
            # document is written before the upload is removed, so answer with that.
            if earlier := store.find_classification(caller.uid, doc_id):
                return earlier
            raise _upload_not_found()
        doc = _classify_bytes(caller.uid, data, org, source=source, doc_id=doc_id, upload_path=path)
    blobs.delete_quietly(path)
    return doc


def _upload_not_found() -> errors.ApiError:
    return errors.not_found("Nothing is stored at that storagePath.", "upload-not-found")


def _classify_bytes(
    uid: str,
    data: bytes,
    org: OrgConfig,
    source: str,
    doc_id: str | None = None,
    upload_path: str | None = None,
    second_opinion: bool = False,
) -> Classification:
    """Classify one image for `uid` and store it: decode, classify while the image uploads, write the document.
    Returns the stored document (the existing one when another door wrote `doc_id` first)."""
    cfg = settings()
    started = time.perf_counter()
    classifier = org_models.classifier_for(org, uid)
    image = images.prepare(data, cfg.max_upload_size, cfg.max_image_pixels, classifier.preprocessing)
    decoded = time.perf_counter()
    doc_id = doc_id or store.new_id()
    with _storing_image(blobs.image_path(uid, doc_id), image.jpeg) as path:
        prediction = classifier.classify(image.model_input)
        classified = time.perf_counter()
        doc = _document(prediction, path, source, org, upload_path)
        doc["secondOpinion"] = opinion.for_classification(org, second_opinion, image.jpeg, classifier.labels, doc)
    doc["timings"] = _timings(started, decoded, classified)
    if not _write(uid, doc_id, doc):  # lost a race with the other entry point, or an earlier attempt landed
        return store.get_classification(uid, doc_id)
    _log_classified(uid, doc_id, doc)
    return {"id": doc_id, **doc}


@contextlib.contextmanager
def _storing_image(path: str, jpeg: bytes) -> Iterator[str]:
    """Upload the image while the block runs (the upload is I/O, the block classifies), then wait for it. If
    the block or the upload fails, the image is removed again: no image is left without its document."""
    upload = _uploads.submit(in_context(blobs.put_jpeg), path, jpeg)
    try:
        yield path
        upload.result()
    except BaseException:
        wait([upload])  # a delete racing a still-running upload would leave the image behind
        blobs.delete_quietly(path)
        raise


def _document(
    prediction: Prediction, image_path: str, source: str, org: OrgConfig, upload_path: str | None
) -> Classification:
    """The classification as stored, before its second opinion and timings are known."""
    # A cast: mypy cannot tell that a TypedDict spread into another leaves out only the optional keys.
    doc = cast(
        Classification,
        {
            **_answer(prediction),
            "imagePath": image_path,
            "source": source,
            "org": org.org_id,
            "feedback": None,
            "secondOpinion": None,
            "createdAt": utcnow(),
        },
    )
    if upload_path:  # a Storage upload's own path, removed once classified
        doc["uploadPath"] = upload_path
    return doc


def _answer(prediction: Prediction) -> Answer:
    """The model's answer as every stored result holds it."""
    return {
        "label": prediction.label,
        "confidence": round(prediction.confidence, 6),
        "topk": [{"label": label, "p": round(p, 6)} for label, p in prediction.topk],
        "abstained": prediction.abstained,
        "modelVersion": prediction.model_id,
    }


def classify_for_job(classifier: Classifier, data: bytes, second_opinion: bool = False) -> JobAnswer:
    """The answer of the job's classifier for one image of an org's bulk job: the same checks and pipeline as
    every other door, without a stored copy (the image stays where the org put it). A second opinion only when
    the job asked for them, for an image the model is unsure of, within today's ceiling. An image that cannot be
    classified raises its ApiError (4xx), as it would for an upload."""
    cfg = settings()
    image = images.prepare(data, cfg.max_upload_size, cfg.max_image_pixels, classifier.preprocessing)
    answer = cast(JobAnswer, _answer(classifier.classify(image.model_input)))
    if second_opinion:
        answer["secondOpinion"] = opinion.for_bulk_image(image.jpeg, classifier.labels, answer)
    return answer


def _timings(started: float, decoded: float, classified: float) -> dict[str, float]:
    return {
        "decode": round((decoded - started) * 1000, 2),
        "infer": round((classified - decoded) * 1000, 2),
        "total": round((time.perf_counter() - started) * 1000, 2),
    }


def _log_classified(uid: str, doc_id: str, doc: Classification) -> None:
    event = {"event": "classified", "uid": uid, "id": doc_id, "label": doc["label"], "source": doc["source"]}
    log.info({**event, "ms": doc["timings"]["total"]})


def _write(uid: str, doc_id: str, doc: Classification) -> bool:
    """Store the document with its aggregates: True when this call wrote it, False when the id had one.

    A write that timed out may still land later, so once it has been tried the image stays whatever happens.
    Trying the same create again settles it (exactly one create of an id succeeds, its aggregates in the same
    commit): once now, which outlasts a short outage; if Firestore is still out, the caller gets the 503 and
    the write is retried in the background until Firestore answers."""
    try:
        return store.create_classification(uid, doc_id, doc)
    except store.OUTCOME_UNKNOWN:
        try:
            return store.create_classification(uid, doc_id, doc)
        except store.OUTCOME_UNKNOWN:
            _settling.submit(in_context(_settle), uid, doc_id, doc, give_up=time.monotonic() + SETTLE_FOR_S)
            raise


def _settle(uid: str, doc_id: str, doc: Classification, give_up: float) -> None:
    while True:
        try:
            store.create_classification(uid, doc_id, doc)
            log.info({"event": "classification-settled", "uid": uid, "id": doc_id})
            return
        except store.OUTCOME_UNKNOWN:
            if time.monotonic() > give_up:
                break
            time.sleep(SETTLE_EVERY_S)
        except Exception:  # noqa: BLE001 - a background task has nobody else to report to
            log.exception("settling classification %s failed", doc_id)
            break
    # The image stays: should the write land after all, its document is whole.
    log.error({"event": "classification-unsettled", "uid": uid, "id": doc_id, "imagePath": doc["imagePath"]})


def upload_doc_id(path: str, generation: int | str | None) -> str:
    """The classification id of an uploaded object: the same object always maps to the same document, so a
    replayed trigger event, or the trigger racing a client's POST for the same object, classifies it once."""
    return "u" + hashlib.sha256(f"{path}#{generation}".encode()).hexdigest()[:27]


def record_upload_error(uid: str, path: str, generation: int | str | None, error: errors.ApiError) -> str | None:
    """Why an upload could not be classified, for the app to show (users/<uid>/uploadErrors/<id>); the upload
    itself is removed. Returns the error's id, None when there is no account to tell (nothing is recorded
    under a uid nobody owns)."""
    error_id = None if error.code == "user-not-found" else upload_doc_id(path, generation)
    if error_id:
        store.record_upload_error(uid, error_id, path, error)
    blobs.delete_quietly(path)
    return error_id


def second_opinion_for(caller: Caller, doc_id: str) -> Classification:
    """Ask the vision model about an already classified image and store its answer beside the model's."""
    org = orgs.config_for(caller)
    limits.enforce(caller, org)
    opinion.require_feature(org)
    doc = store.get_classification(caller.uid, doc_id)
    opinion.reserve()
    labels = model_labels.for_item(doc, org, caller.uid)
    answer = opinion.ask(blobs.get(doc["imagePath"]), labels, doc["topk"])
    store.set_second_opinion(caller.uid, doc_id, answer)
    return {**doc, "secondOpinion": answer}

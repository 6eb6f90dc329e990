"""An organisation's own model versions: register an upload, validate it (in the validation function, never
in the serving instance), pin, roll back, and serve the pinned version to the org's members.

Who may do what is decided here: org admins register, pin, roll back and read every version with its report;
members read only the name and version serving them. A pin reaches this instance at once and every other one
within the org config cache's 30 s (service/orgs.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from .. import errors
from ..config import settings
from ..data import accounts, blobs, jobs, model_versions
from ..data import orgs as org_docs
from ..data.clock import utcnow
from ..ml.loaded_models import LoadedModels, resident_bytes
from ..ml.model import Classifier, default_model_id, get_classifier, labels_from_text
from . import access, identity, orgs
from .identity import Caller
from .orgs import OrgConfig

VALIDATING, READY, DELETED = "validating", "ready", "deleted"
# Version and upload names: lowercase letters, digits, dots and dashes, starting and ending with a letter or
# digit (so never "." or "..", never a path, never Firestore's reserved __names__).
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,38}[a-z0-9])?")
# The words of the API's own paths under /models/ (DELETE .../models/rollout stops a rollout): never a version.
RESERVED_VERSIONS = ("rollout", "rollback")
MAX_LABELS_BYTES = 256 * 1024
MAX_CARD_BYTES = 64 * 1024
MAX_NOTES_CHARS = 2000


def _name(value: object, what: str) -> str:
    reserved = what == "version" and value in RESERVED_VERSIONS
    if not isinstance(value, str) or not _NAME.fullmatch(value) or ".." in value or reserved:
        raise errors.bad_request(
            f"{what} must be 1 to 40 lowercase letters, digits, dots or dashes, starting and ending with a letter or"
            f" digit, and not {' or '.join(RESERVED_VERSIONS)}.",
            f"invalid-model-{what}",
        )
    return value


def _upload_missing(file: str) -> errors.ApiError:
    return errors.not_found(
        f"No {file} in the upload folder (orgs/<org>/models/uploads/<upload>/ holds model.tflite, labels.txt and card.json).",
        "model-upload-not-found",
    )


def _read_upload(org_id: str, upload: str, file: str, max_bytes: int) -> bytes:
    path = model_versions.upload_path(org_id, upload, file)
    blob = blobs.stat(path)
    if blob is None:
        raise _upload_missing(file)
    if blob.size > max_bytes:
        raise errors.ApiError(413, "model-file-too-large", f"{file} is over its limit of {max_bytes} bytes.")
    data = blobs.get_if_exists(path)
    if data is None:
        raise _upload_missing(file)
    return data


def _labels(raw: bytes) -> list[str]:
    try:
        return labels_from_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise errors.bad_request("labels.txt must be UTF-8 text, one label a line.", "invalid-model-labels") from None


def _card(raw: bytes) -> dict[str, Any]:
    try:
        card = json.loads(raw)
    except ValueError:
        card = None
    if not isinstance(card, dict):
        raise errors.bad_request("card.json must hold a JSON object (docs/models.md).", "invalid-model-card")
    return card


def register(caller: Caller, org_id: str, read_body: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Register the files an admin put in the org's upload folder as a new, immutable version, status
    `validating`; the validation function decides ready or rejected. Nothing is left half-written: the version
    document goes first (it holds the name against a second registration and counts against the cap), then
    the file, which triggers validation; if the file cannot be stored the document goes again."""
    admin = access.require_admin(caller, org_id)
    body = read_body()  # only once the caller may register
    version = _name(body.get("version"), "version")
    upload = _name(body.get("upload", version), "upload")
    notes = body.get("notes", "")
    if not isinstance(notes, str) or len(notes) > MAX_NOTES_CHARS:
        raise errors.bad_request(f"notes must be text of at most {MAX_NOTES_CHARS} characters.", "invalid-model-notes")
    cfg = settings()
    labels = _labels(_read_upload(org_id, upload, "labels.txt", MAX_LABELS_BYTES))
    card = _card(_read_upload(org_id, upload, "card.json", MAX_CARD_BYTES))
    data = _read_upload(org_id, upload, "model.tflite", cfg.model_max_bytes)
    doc = {
        "name": card.get("name") if isinstance(card.get("name"), str) else version,
        "notes": notes,
        "status": VALIDATING,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "labels": labels,
        "card": card,
        "uploadedBy": {"uid": admin.uid, "email": admin.email},
        "report": None,
    }
    try:
        model_versions.create(org_id, version, doc, cfg.model_versions_max)
    except model_versions.VersionExists:
        raise errors.ApiError(409, "model-version-exists", f"Version {version!r} exists; versions never change.")
    except model_versions.TooManyVersions:
        raise errors.ApiError(
            409,
            "model-version-limit",
            f"This organisation has {cfg.model_versions_max} model versions, the most it may keep.",
        )
    try:
        blobs.put(model_versions.model_path(org_id, version), data, "application/octet-stream")
    except BaseException:
        model_versions.discard(org_id, version)
        raise
    for file in model_versions.UPLOAD_FILES:
        blobs.delete_quietly(model_versions.upload_path(org_id, upload, file))
    _sweep_abandoned_uploads(org_id)
    return {"version": version, **doc}


ABANDONED_UPLOAD_AGE = dt.timedelta(days=1)
SWEEP_AT_MOST = 300


def _sweep_abandoned_uploads(org_id: str) -> None:
    """A refused registration leaves its upload (a refusal writes nothing, and the admin may fix one file and try
    again); what was left there for a day goes at the org's next successful registration, so uploads never pile
    up in a folder no one lists."""
    cutoff = utcnow() - ABANDONED_UPLOAD_AGE
    for name in blobs.list_older_than(model_versions.uploads_prefix(org_id), cutoff, SWEEP_AT_MOST):
        blobs.delete_quietly(name)


CONTENT_TYPES = {
    "model.tflite": "application/octet-stream",
    "labels.txt": "text/plain",
    "card.json": "application/json",
}


def register_files(email: str, org_id: str, version: str, files: dict[str, bytes], notes: str = "") -> dict[str, Any]:
    """The admin CLI's door, on behalf of the org admin with `email`: the same upload folder and the same
    registration as the API's clients use. The upload is removed whatever the outcome."""
    caller = identity.caller_for_uid(accounts.by_email(email).uid)
    access.require_admin(caller, org_id)  # before anything is written
    version = _name(version, "version")
    try:
        for file in model_versions.UPLOAD_FILES:
            blobs.put(model_versions.upload_path(org_id, version, file), files[file], CONTENT_TYPES[file])
        return register(caller, org_id, lambda: {"version": version, "notes": notes})
    finally:
        for file in model_versions.UPLOAD_FILES:
            blobs.delete_quietly(model_versions.upload_path(org_id, version, file))


def validate_stored(org_id: str, version: str) -> str | None:
    """The validation function's work for a stored version file: run every check (the model itself only in a
    limited child process) and record ready or rejected with the report. Returns the status recorded, None when
    there was nothing to decide (no such version, or already decided: a replayed event)."""
    doc = model_versions.read(org_id, version)
    if doc is None or doc.get("status") != VALIDATING:
        return None
    data = blobs.get_if_exists(model_versions.model_path(org_id, version))
    report: dict[str, Any]
    if data is None or hashlib.sha256(data).hexdigest() != doc["sha256"]:
        report = {"status": "rejected", "reasons": ["file: the stored file is not the one registered"], "checks": []}
    else:
        # Through JSON: what Firestore stores is exactly what the API later shows.
        report = json.loads(json.dumps(_validated(org_id, version, data, doc)))
    status: str = report["status"]
    return status if model_versions.finish_validation(org_id, version, status, report) else None


def _validated(org_id: str, version: str, data: bytes, doc: dict[str, Any]) -> dict[str, Any]:
    """Every check on the version's file and, once it passes, the accuracy check: its answers on the org's
    corrected photos (run in the validation child with the other checks) beside those of the model serving now."""
    from ..ml.model_validation import validate_model  # the validator is the validation function's alone
    from . import model_accuracy

    cfg = settings()
    with model_accuracy.corrected_photos(org_id, cfg.model_accuracy_photos) as photos:
        result = validate_model(data, doc["labels"], doc["card"], cfg, images=[path for path, _ in photos])
        report = result.to_dict()
        if result.ready:
            report["accuracy"] = model_accuracy.side_by_side(
                org_id, version, doc["labels"], result.image_outputs, photos
            )
    return report


def _servable(version: str, doc: dict[str, Any] | None) -> None:
    if doc is None:
        raise errors.not_found(f"No model version {version!r} in this organisation.", "model-version-not-found")
    if doc.get("status") != READY:
        raise errors.ApiError(
            409,
            "model-version-not-ready",
            f"Version {version!r} is {doc.get('status')}; only a version that passed validation can serve.",
        )


def pin(caller: Caller, org_id: str, version: str) -> dict[str, Any]:
    """Make `version` (ready) the one serving the org; the version it replaces goes on the rollback history."""
    access.require_admin(caller, org_id)
    _name(version, "version")

    def choose(pinned: str | None, history: list[str]) -> tuple[str, list[str]]:
        return version, (history + [pinned] if pinned and pinned != version else history)

    return _repinned(org_id, choose)


def rollback(caller: Caller, org_id: str) -> dict[str, Any]:
    """Serve the version pinned before the current one again (it must still be ready)."""
    access.require_admin(caller, org_id)

    def choose(pinned: str | None, history: list[str]) -> tuple[str, list[str]]:
        if not history:
            raise errors.ApiError(409, "no-previous-model-version", "No version was pinned before this one.")
        return history[-1], history[:-1]

    return _repinned(org_id, choose)


def _repinned(org_id: str, choose: Callable[[str | None, list[str]], tuple[str, list[str]]]) -> dict[str, Any]:
    fields = model_versions.repin(org_id, choose, _servable)
    orgs.forget(org_id)
    return {"serving": fields["modelVersion"], "history": fields["modelVersionHistory"]}


def delete(caller: Caller, org_id: str, version: str) -> None:
    """Delete a version that serves nobody (neither pinned nor in a rollout): its file goes and its place under
    the cap is free again; its record (labels, card, hash, report) stays, marked deleted, because the history
    it made names it (service/model_labels.py). The name stays taken: a version name never means two models."""
    admin = access.require_admin(caller, org_id)
    _name(version, "version")
    # Read before the transaction: a job started in between still finds the version gone and pauses with
    # `org-model-unavailable` (service/job_model.py), so the race costs a paused job, never a wrong answer.
    if in_use := jobs.unfinished_with_version(org_id, version):
        raise errors.ApiError(
            409,
            "model-version-in-use",
            f"Bulk job {in_use[0]!r} classifies with {version!r}: cancel it or let it end first.",
        )

    def check(doc: dict[str, Any] | None, org: dict[str, Any]) -> None:
        if doc is None or doc.get("status") == DELETED:
            raise errors.not_found(f"No model version {version!r} in this organisation.", "model-version-not-found")
        if org.get("modelVersion") == version:
            raise errors.ApiError(
                409, "model-version-pinned", f"Version {version!r} is pinned: pin another or roll back first."
            )
        if (org.get("modelRollout") or {}).get("version") == version:
            raise errors.ApiError(
                409, "model-version-in-rollout", f"Version {version!r} is in a rollout: stop it or pin it first."
            )

    model_versions.retire(org_id, version, {"uid": admin.uid, "email": admin.email}, check)
    orgs.forget(org_id)
    blobs.delete_quietly(model_versions.model_path(org_id, version))


ROLLOUT_SHARES = range(1, 100)  # percent; 0 and 100 are "stop" and "pin"


def start_rollout(caller: Caller, org_id: str, version: str, read_body: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Serve a ready `version` to a share of the org's users (the same users every time, chosen by their
    uid); the others keep the pinned version. Pin it to serve everyone, stop to serve nobody."""
    access.require_admin(caller, org_id)
    share = read_body().get("share")
    _name(version, "version")
    if not isinstance(share, int) or isinstance(share, bool) or share not in ROLLOUT_SHARES:
        raise errors.bad_request("share must be a whole percentage from 1 to 99.", "invalid-rollout-share")
    rollout = model_versions.start_rollout(org_id, version, share, _servable)
    orgs.forget(org_id)
    return {"rollout": rollout}


def stop_rollout(caller: Caller, org_id: str) -> None:
    access.require_admin(caller, org_id)
    model_versions.stop_rollout(org_id)
    orgs.forget(org_id)


def rollout_bucket(org_id: str, uid: str) -> int:
    """A user's place, 0-99, in the org's rollouts: fixed per user and org, so a user never flips between
    versions from one photo to the next, and a share's users are the same at every instance."""
    return int.from_bytes(hashlib.sha256(f"{org_id}/{uid}".encode()).digest()[:8], "big") % 100


def version_for(org: OrgConfig, uid: str) -> str | None:
    """The org version serving `uid` (None: the shipped model the org chose)."""
    if org.org_id and org.rollout and rollout_bucket(org.org_id, uid) < org.rollout["share"]:
        return str(org.rollout["version"])
    return org.model_version


def listing(caller: Caller, org_id: str) -> dict[str, Any]:
    """Admins: what serves them, the pinned version, its rollback history, any rollout and every version with
    its report. Members: the name and version serving them."""
    access.require_member(caller, org_id)
    serving = _serving(orgs.config_for(caller), caller.uid)
    if not caller.is_org_admin:
        return {"serving": serving}
    access.require_admin(caller, org_id)
    org = org_docs.read(org_id) or {}
    return {
        "serving": serving,
        "pinned": org.get("modelVersion"),
        "history": org.get("modelVersionHistory", []),
        "rollout": org.get("modelRollout"),
        "versions": model_versions.listing(org_id),
    }


def _serving(org: OrgConfig, uid: str) -> dict[str, Any]:
    version = version_for(org, uid)
    if version and org.org_id:
        doc = model_versions.read(org.org_id, version)
        return {"version": version, "name": (doc or {}).get("name") or version}
    return {"version": None, "name": org.model_id or default_model_id()}


# -- serving


@functools.cache
def _loaded() -> LoadedModels[Classifier]:
    return LoadedModels(settings().org_model_cache_mb * 1024 * 1024)


def classifier_for(org: OrgConfig, uid: str) -> Classifier:
    """The classifier serving `uid` in `org`: the org's version for them (a rollout's candidate or the pinned
    one; loaded once per instance, kept within the memory budget) or the shipped model the org chose. Keyed by
    org and version, so one org's model never answers another's."""
    return _classifier(org, version_for(org, uid))


def pinned_classifier(org: OrgConfig) -> Classifier:
    """The classifier serving the org itself (a bulk job runs as the org, not as one of its users): its pinned
    version, never a rollout's candidate, or the shipped model the org chose."""
    return _classifier(org, org.model_version)


def version_classifier(org: OrgConfig, version: str) -> Classifier:
    """One given version of the org (a bulk job classifies with the version it recorded when it started)."""
    return _classifier(org, version)


def require_servable(org_id: str, version: str) -> None:
    """400 for a name no version can have, 404 when the org has no such version, 409 when it has not passed
    validation."""
    _servable(version, model_versions.read(org_id, _name(version, "version")))


def _classifier(org: OrgConfig, version: str | None) -> Classifier:
    org_id = org.org_id
    if not (version and org_id):
        return get_classifier(org.model_id)
    return _loaded().get(f"{org_id}/{version}", lambda: _load(org_id, version))


def _unavailable(version: str) -> errors.ApiError:
    return errors.unavailable(
        f"Your organisation's model version {version!r} cannot be loaded now; an org admin can pin another.",
        "org-model-unavailable",
    )


def _load(org_id: str, version: str) -> tuple[int, Classifier]:
    doc = model_versions.read(org_id, version)
    if doc is None or doc.get("status") != READY:
        raise _unavailable(version)
    data = blobs.get_if_exists(model_versions.model_path(org_id, version))
    if data is None or hashlib.sha256(data).hexdigest() != doc["sha256"]:
        raise _unavailable(version)
    before = resident_bytes()
    classifier = Classifier.from_bytes(f"{org_id}/{version}", data, doc["labels"], doc["card"]).warm_up()
    # Weighed by what it added, at least its file: concurrent requests make the measure rough, never zero.
    return max(len(data), resident_bytes() - before), classifier

"""An organisation's own model versions: orgs/<org>/modelVersions/<version> in Firestore (labels, card, content
hash, status and validation report) and the file in Storage, at paths no client may write or read
(storage.rules): the upload folder orgs/<org>/models/uploads/<upload>/ is the only one an org admin writes.

The org document carries what serves: `modelVersion` (the pinned version, or absent), `modelVersionHistory`
(the versions pinned before it, oldest first, for rollback), `modelRollout` ({version, share}: a candidate
serving a share of the org's users, or absent) and `modelVersionCount` (the cap's counter). Every
change to them happens in one transaction with the version it names, so two admins pinning at once leave one
consistent answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from google.cloud import firestore

from .clients import firestore_client, run_transaction
from .clock import utcnow

UPLOAD_FILES = ("model.tflite", "labels.txt", "card.json")
HISTORY_KEPT = 20

# orgs/<org>/modelVersions/<version>: name, notes, status, sha256, bytes, labels, card, uploadedBy, report, times.
VersionDocument = dict[str, Any]
# check(version, its document or None) raises when the version may not serve.
Check = Callable[[str, VersionDocument | None], None]


def uploads_prefix(org_id: str) -> str:
    """The folder the org's admins upload model files to (storage.rules), one subfolder per upload."""
    return f"orgs/{org_id}/models/uploads/"


def upload_path(org_id: str, upload: str, file: str) -> str:
    return f"{uploads_prefix(org_id)}{upload}/{file}"


def model_path(org_id: str, version: str) -> str:
    return f"orgs/{org_id}/models/versions/{version}/model.tflite"


def _org(org_id: str) -> firestore.DocumentReference:
    return firestore_client().document("orgs", org_id)


def _version(org_id: str, version: str) -> firestore.DocumentReference:
    return cast(firestore.DocumentReference, _org(org_id).collection("modelVersions").document(version))


class VersionExists(Exception):
    pass


class TooManyVersions(Exception):
    pass


def create(org_id: str, version: str, doc: VersionDocument, max_versions: int) -> None:
    """Create the version (immutable from then on but for its validation outcome) and count it against the
    org's cap, in one transaction; VersionExists or TooManyVersions, with nothing written, otherwise."""
    org_ref, ref = _org(org_id), _version(org_id, version)

    @firestore.transactional
    def run(transaction: Any) -> Any:
        org = org_ref.get(transaction=transaction)
        if ref.get(transaction=transaction).exists:
            raise VersionExists(version)
        count = (org.to_dict() or {}).get("modelVersionCount", 0)
        if count >= max_versions:
            raise TooManyVersions(count)
        transaction.create(ref, {**doc, "createdAt": utcnow()})
        transaction.update(org_ref, {"modelVersionCount": count + 1})

    run_transaction(run)


def discard(org_id: str, version: str) -> None:
    """Undo `create` (registration failed after it): the version and its place under the cap."""
    org_ref, ref = _org(org_id), _version(org_id, version)

    @firestore.transactional
    def run(transaction: Any) -> Any:
        if not ref.get(transaction=transaction).exists:
            return
        count = (org_ref.get(transaction=transaction).to_dict() or {}).get("modelVersionCount", 1)
        transaction.delete(ref)
        transaction.update(org_ref, {"modelVersionCount": max(0, count - 1)})

    run_transaction(run)


def read(org_id: str, version: str) -> VersionDocument | None:
    snapshot = _version(org_id, version).get()
    return {"version": version, **(snapshot.to_dict() or {})} if snapshot.exists else None


def read_if_valid(org_id: str, version: str) -> VersionDocument | None:
    """`read` for ids taken from stored data rather than checked input: an id Firestore could not hold as a
    document id (empty, a path, "." or "..", a reserved __name__) names no version."""
    if not all(_document_id(part) for part in (org_id, version)):
        return None
    return read(org_id, version)


def _document_id(value: str) -> bool:
    reserved = value.startswith("__") and value.endswith("__")
    return 0 < len(value.encode()) <= 1500 and "/" not in value and value not in (".", "..") and not reserved


def listing(org_id: str) -> list[VersionDocument]:
    query = _org(org_id).collection("modelVersions").order_by("createdAt")
    return [{"version": s.id, **(s.to_dict() or {})} for s in query.stream()]


def finish_validation(org_id: str, version: str, status: str, report: dict[str, Any]) -> bool:
    """Record the validator's outcome once: False when the version is gone or already decided (a replayed
    trigger event)."""
    ref = _version(org_id, version)

    @firestore.transactional
    def run(transaction: Any) -> Any:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists or snapshot.get("status") != "validating":
            return False
        transaction.update(ref, {"status": status, "report": report, "validatedAt": utcnow()})
        return True

    return bool(run_transaction(run))


def retire(
    org_id: str, version: str, by: dict[str, Any], check: Callable[[VersionDocument | None, dict[str, Any]], None]
) -> None:
    """Mark the version deleted and take it off the cap and the rollback history, in one transaction with the
    org document: `check(version document or None, org document)` refuses (raises) a version that may not go,
    one that serves anyone. The record (labels, card, hash, report) stays for the history that names it."""
    org_ref, ref = _org(org_id), _version(org_id, version)

    @firestore.transactional
    def run(transaction: Any) -> Any:
        org = org_ref.get(transaction=transaction).to_dict() or {}
        snapshot = ref.get(transaction=transaction)
        check(snapshot.to_dict() if snapshot.exists else None, org)
        history = [v for v in org.get("modelVersionHistory", []) if v != version]
        count = max(0, org.get("modelVersionCount", 1) - 1)
        transaction.update(ref, {"status": "deleted", "deletedBy": by, "deletedAt": utcnow()})
        transaction.update(org_ref, {"modelVersionCount": count, "modelVersionHistory": history})

    run_transaction(run)


def repin(
    org_id: str, choose: Callable[[str | None, list[str]], tuple[str, list[str]]], check: Check
) -> dict[str, Any]:
    """Change what serves, in one transaction: `choose(pinned, history)` names the version to pin and the
    history after it (or raises); `check(version, doc or None)` refuses a version that may not serve (raises).
    Returns the org document's serving fields as now written."""
    org_ref = _org(org_id)

    @firestore.transactional
    def run(transaction: Any) -> Any:
        org = org_ref.get(transaction=transaction).to_dict() or {}
        version, history = choose(org.get("modelVersion"), list(org.get("modelVersionHistory", [])))
        snapshot = _version(org_id, version).get(transaction=transaction)
        check(version, snapshot.to_dict() if snapshot.exists else None)
        fields = {"modelVersion": version, "modelVersionHistory": history[-HISTORY_KEPT:]}
        # A pin or a rollback decides for everyone: a staged rollout in progress ends with it.
        transaction.update(org_ref, {**fields, "modelRollout": firestore.DELETE_FIELD})
        return fields

    return cast(dict[str, Any], run_transaction(run))


def start_rollout(org_id: str, version: str, share: int, check: Check) -> dict[str, Any]:
    """Send `share` percent of the org's users to `version`, in one transaction with the version (`check` as in
    `repin`). Returns the rollout as written."""
    org_ref = _org(org_id)

    @firestore.transactional
    def run(transaction: Any) -> Any:
        snapshot = _version(org_id, version).get(transaction=transaction)
        check(version, snapshot.to_dict() if snapshot.exists else None)
        rollout = {"version": version, "share": share}
        transaction.update(org_ref, {"modelRollout": rollout})
        return rollout

    return cast(dict[str, Any], run_transaction(run))


def stop_rollout(org_id: str) -> None:
    _org(org_id).update({"modelRollout": firestore.DELETE_FIELD})

"""Lazily built Firebase clients, one set per instance for each set of settings they depend on.

On the emulators there is no Google login, so the admin SDK gets anonymous credentials; the client
libraries find the emulators through FIRESTORE_EMULATOR_HOST / STORAGE_EMULATOR_HOST /
FIREBASE_AUTH_EMULATOR_HOST, which the Emulator Suite sets.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import firebase_admin
from firebase_admin import credentials
from google.auth.credentials import Credentials

from ..config import emulator_mode, settings

if TYPE_CHECKING:  # the clients' modules are imported on first use, not with this one
    from google.cloud.firestore import Client as FirestoreClient
    from google.cloud.storage import Bucket

T = TypeVar("T")


class Writer(Protocol):
    """A write batch or a transaction: writes given to it commit together, with the change they belong to."""

    def set(self, reference: Any, document_data: dict[str, Any], merge: bool = ...) -> Any: ...


class _AnonymousCredential(credentials.Base):  # type: ignore[misc]  # firebase_admin ships no types
    def get_credential(self) -> Credentials:
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()  # type: ignore[no-untyped-call]


# Each client is built once for the settings it depends on (the settings in force: config.settings), so an app
# built with other settings gets its own clients rather than the first ones built in this process.


_admin_apps: dict[str, firebase_admin.App] = {}
_admin_apps_lock = threading.Lock()


def admin_app() -> firebase_admin.App:
    return _admin_app(settings().project_id)


def _admin_app(project_id: str) -> firebase_admin.App:
    with _admin_apps_lock:
        if project_id not in _admin_apps:
            credential = _AnonymousCredential() if emulator_mode() else credentials.ApplicationDefault()
            options = {"projectId": project_id}
            _admin_apps[project_id] = firebase_admin.initialize_app(credential, options, name=f"fruitclf-{project_id}")
        return _admin_apps[project_id]


def firestore_client() -> FirestoreClient:
    cfg = settings()
    return _firestore_client(cfg.project_id, cfg.firestore_database, cfg.firestore_deadline_s)


@functools.cache
def _firestore_client(project_id: str, database: str, deadline_s: float) -> FirestoreClient:
    from firebase_admin import firestore

    # FIRESTORE_DATABASE points the function at another database, e.g. one restored from a backup.
    client = firestore.client(_admin_app(project_id), database_id=database)
    _bound_firestore_retries(client, deadline_s)
    return cast("FirestoreClient", client)


def _bound_firestore_retries(client: Any, deadline_s: float) -> None:
    """Cap every Firestore RPC's default retry and timeout (the library's default retries for 60 s).

    Without this, a Firestore outage holds each request for a minute before it fails; with it the caller
    gets a 503 within `deadline_s`. Calls that pass their own retry/timeout are unaffected.
    """
    from google.api_core import exceptions as gexc
    from google.api_core import gapic_v1
    from google.api_core.retry import Retry, if_exception_type

    retry = Retry(
        initial=0.1,
        maximum=1.0,
        multiplier=1.5,
        deadline=deadline_s,
        predicate=if_exception_type(
            gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError, gexc.ResourceExhausted
        ),
    )
    transport = client._firestore_api._transport
    for method in list(transport._wrapped_methods):
        transport._wrapped_methods[method] = gapic_v1.method.wrap_method(  # type: ignore[no-untyped-call]
            method, default_retry=retry, default_timeout=deadline_s
        )


def bucket() -> Bucket:
    cfg = settings()
    if not cfg.storage_bucket:
        raise RuntimeError(
            "No Storage bucket: FIREBASE_CONFIG names none (set up Storage for the project) and STORAGE_BUCKET is unset"
        )
    return _bucket(cfg.project_id, cfg.storage_bucket)


@functools.cache
def _bucket(project_id: str, name: str) -> Bucket:
    from firebase_admin import storage

    return cast("Bucket", storage.bucket(name, app=_admin_app(project_id)))


def reset() -> None:
    """Forget cached clients (tests point the app at other emulators between cases)."""
    for cached in (_firestore_client, _bucket):
        cached.cache_clear()
    with _admin_apps_lock:
        for app in _admin_apps.values():
            firebase_admin.delete_app(app)
        _admin_apps.clear()


def run_transaction(func: Callable[..., T], *args: Any, max_attempts: int = 5) -> T:
    """Run a @firestore.transactional function in a new transaction.

    When Firestore is unreachable the library's cleanup raises "no transaction ID, so it cannot be rolled
    back" (a ValueError) over the real error; this re-raises the real one so callers see the outage.
    """
    transaction = firestore_client().transaction(max_attempts=max_attempts)
    try:
        return func(transaction, *args)
    except ValueError as exc:
        if transaction.id is None and exc.__context__ is not None:
            raise exc.__context__ from None
        raise

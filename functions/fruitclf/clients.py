"""Lazily built Firebase clients, one set per instance.

On the emulators there is no Google login, so the admin SDK gets anonymous credentials; the client
libraries find the emulators through FIRESTORE_EMULATOR_HOST / STORAGE_EMULATOR_HOST /
FIREBASE_AUTH_EMULATOR_HOST, which the Emulator Suite sets.
"""

from __future__ import annotations

import functools

import firebase_admin
from firebase_admin import credentials

from .config import settings


class _AnonymousCredential(credentials.Base):
    def get_credential(self):
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()


@functools.cache
def admin_app() -> firebase_admin.App:
    cfg = settings()
    options = {"projectId": cfg.project_id, "storageBucket": cfg.bucket_name}
    credential = _AnonymousCredential() if cfg.emulated else credentials.ApplicationDefault()
    return firebase_admin.initialize_app(credential, options, name="fruitclf")


@functools.cache
def firestore_client():
    from firebase_admin import firestore

    return firestore.client(admin_app())


@functools.cache
def bucket():
    from firebase_admin import storage

    return storage.bucket(app=admin_app())


def reset() -> None:
    """Forget cached clients (tests point the app at other emulators between cases)."""
    for cached in (firestore_client, bucket):
        cached.cache_clear()
    if admin_app.cache_info().currsize:
        firebase_admin.delete_app(admin_app())
        admin_app.cache_clear()

"""Translate Cloud Functions events into calls on the Flask app (HTTP) and the Storage trigger."""

from __future__ import annotations

import functools
import logging

from .cloud_logging import configure as configure_logging
from .upload_paths import model_version, uploader

configure_logging()


@functools.cache
def _app():
    from ..web.app import create_app

    return create_app()


def handle_http(req):
    """Dispatch one HTTP request. Called directly (not via Hosting) the path lacks the /api prefix."""
    environ = req.environ
    path = environ.get("PATH_INFO", "")
    if path != "/api" and not path.startswith("/api/"):
        environ["PATH_INFO"] = "/api" + path
    app = _app()
    with app.request_context(environ):
        return app.full_dispatch_request()


def handle_storage_upload(event) -> None:
    # The server's own writes fire this event too: they are skipped before the classify service (model,
    # Pillow, clients) is even imported.
    if uploader(event.data.name) is None:
        return
    from .upload_trigger import on_upload

    on_upload(event.data)


def handle_bulk_chunk(data) -> dict:
    """One chunk of an org's bulk job, delivered by the task queue."""
    from .bulk_task import on_chunk

    return on_chunk(data)


def handle_job_notice(data) -> dict:
    """One notice that a bulk job ended, for the org's webhook, delivered by its task queue."""
    from .notice_task import on_notice

    return on_notice(data)


def handle_model_version(event) -> None:
    """Validate a registered model version's file (the validation function, with its own memory: never the
    `api` instance). Every other object in the bucket fires this too and is skipped at once."""
    found = model_version(event.data.name)
    if found is None:
        return
    from ..service import org_models

    status = org_models.validate_stored(*found)
    logging.getLogger(__name__).info(
        {"event": "model-version-validated", "org": found[0], "version": found[1], "status": status}
    )

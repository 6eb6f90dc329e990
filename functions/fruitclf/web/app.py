"""The Flask application behind the `api` function: blueprints, error envelope, headers, logs."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from .. import config, errors
from ..config import Settings
from . import cors
from .auth import require_app_check
from .bodies import MULTIPART_OVERHEAD

log = logging.getLogger("fruitclf.api")


def create_app(settings: Settings | None = None) -> Flask:
    """The API, with `settings` (for tests, or another deployment) or else the environment's, built once here:
    every request this app serves runs with them, in every layer (config.settings)."""
    app = Flask(__name__)
    app_settings = settings or config.from_environment()
    app.config["FRUITCLF_SETTINGS"] = app_settings
    # No body is ever larger than the largest upload plus the multipart framing: anything bigger is a 413
    # before it is read (JSON endpoints included), and a form with absurdly many parts is one too.
    max_upload = app_settings.max_upload_size
    app.config.update(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=max_upload + MULTIPART_OVERHEAD, MAX_FORM_PARTS=100)

    from .routes import (
        classify,
        device_model,
        export,
        fruits,
        health,
        history,
        invitations,
        jobs,
        me,
        model,
        org_models,
        orgs,
        stats,
        webhooks,
    )

    for module in (
        health,
        me,
        device_model,
        model,
        classify,
        history,
        stats,
        orgs,
        org_models,
        jobs,
        webhooks,
        invitations,
        export,
        fruits,
    ):
        app.register_blueprint(module.bp, url_prefix="/api")

    _register_error_handlers(app)
    app.before_request(_use_settings)
    app.teardown_request(_forget_settings)
    app.before_request(_start_timer)
    app.before_request(cors.preflight)
    app.before_request(require_app_check)
    app.after_request(_finish)
    return app


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(errors.ApiError)
    def api_error(exc: errors.ApiError):
        response = jsonify(exc.to_dict())
        response.status_code = exc.status
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        slug = (exc.name or "error").lower().replace(" ", "-")
        message = {
            404: "No such endpoint: see the API reference in docs/api.md.",
            405: f"{request.method} is not allowed on {request.path}.",
            413: "The request body is too large.",
        }.get(exc.code or 500, exc.description or "The request could not be handled.")
        response = jsonify(errors.ApiError(exc.code or 500, slug, message).to_dict())
        response.status_code = exc.code or 500
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        from google.api_core import exceptions as gexc

        if isinstance(exc, (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.RetryError)):
            log.error("backing service unavailable: %r", exc)
            return api_error(errors.unavailable())
        log.exception("unhandled error on %s %s", request.method, request.path)
        response = jsonify(
            errors.ApiError(500, "internal", "Something went wrong on our side; it has been logged.").to_dict()
        )
        response.status_code = 500
        return response


def _use_settings() -> None:
    g.settings_scope = config.using(current_app.config["FRUITCLF_SETTINGS"])
    g.settings_scope.__enter__()


def _forget_settings(_exc: BaseException | None) -> None:
    scope = g.pop("settings_scope", None)
    if scope is not None:
        scope.__exit__(None, None, None)


def _start_timer() -> None:
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    cors.decorate(response)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    caller = g.get("caller")
    log.info(
        {
            "event": "request",
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round(elapsed_ms, 1),
            "uid": caller.uid if caller else None,
        }
    )
    return response

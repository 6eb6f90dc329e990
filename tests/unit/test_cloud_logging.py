"""Log lines in the shape Cloud Logging reads: severity for alerting, fields for log-based metrics, stack traces
marked for Error Reporting; and why the formatter is our own (doors/cloud_logging.py)."""

import datetime as dt
import json
import logging
import sys

import pytest

from fruitclf.doors.cloud_logging import CloudLoggingFormatter


def line(level: int, message, exc_info=None) -> dict:
    record = logging.LogRecord("fruitclf.api", level, __file__, 1, message, None, exc_info)
    return json.loads(CloudLoggingFormatter().format(record))


def test_events_keep_their_fields_at_the_top_with_a_severity():
    entry = line(logging.INFO, {"event": "request", "status": 429, "ms": 3.2, "uid": "u1"})
    assert entry["severity"] == "INFO"
    assert (entry["event"], entry["status"], entry["uid"]) == ("request", 429, "u1")
    assert entry["message"] == "request"


def test_plain_messages_and_warnings():
    entry = line(logging.WARNING, "second opinion timed out")
    assert entry == {"severity": "WARNING", "logger": "fruitclf.api", "message": "second opinion timed out"}


def test_errors_with_a_traceback_are_reported_errors():
    try:
        raise ValueError("boom")
    except ValueError:
        entry = line(logging.ERROR, "unhandled error on GET /api/x", sys.exc_info())
    assert entry["severity"] == "ERROR"
    assert entry["@type"].endswith("clouderrorreporting.v1beta1.ReportedErrorEvent")
    assert entry["message"].startswith("unhandled error on GET /api/x\nTraceback (most recent call last):")
    assert "ValueError: boom" in entry["message"]


def test_a_field_json_cannot_encode_is_written_as_text_not_raised():
    when = dt.datetime(2026, 12, 4, 21, 0, tzinfo=dt.UTC)
    assert line(logging.INFO, {"event": "classified", "at": when})["at"] == str(when)


def test_firebase_functions_logger_would_lose_tracebacks_and_can_fail_the_request(capsys):
    """Why not firebase_functions.logger: it is no `logging` handler (library records and log.exception's
    traceback never reach it: an error logged in an `except` has no stack for Error Reporting), and a field it
    cannot encode raises in the caller."""
    from firebase_functions import logger

    assert not any(isinstance(value, type) and issubclass(value, logging.Handler) for value in vars(logger).values())
    try:
        raise ValueError("boom")
    except ValueError:
        logger.error("unhandled error on GET /api/x")
    written = json.loads(capsys.readouterr().err)
    assert written == {"severity": "ERROR", "message": "unhandled error on GET /api/x"}, "no traceback, no @type"
    with pytest.raises(TypeError):
        logger.info("classified", at=dt.datetime(2026, 12, 4, tzinfo=dt.UTC))

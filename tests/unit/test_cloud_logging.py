"""Log lines in the shape Cloud Logging reads: severity for alerting, fields for log-based metrics, stack traces
marked for Error Reporting."""

import json
import logging

from fruitclf.doors.cloud_logging import CloudLoggingFormatter


def line(level: int, message: str, exc_info=None) -> dict:
    record = logging.LogRecord("fruitclf.api", level, __file__, 1, message, None, exc_info)
    return json.loads(CloudLoggingFormatter().format(record))


def test_event_lines_keep_their_fields_at_the_top_with_a_severity():
    entry = line(logging.INFO, json.dumps({"event": "request", "status": 429, "ms": 3.2, "uid": "u1"}))
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
        import sys

        entry = line(logging.ERROR, "unhandled error on GET /api/x", sys.exc_info())
    assert entry["severity"] == "ERROR"
    assert entry["@type"].endswith("clouderrorreporting.v1beta1.ReportedErrorEvent")
    assert entry["message"].startswith("unhandled error on GET /api/x\nTraceback (most recent call last):")
    assert "ValueError: boom" in entry["message"]

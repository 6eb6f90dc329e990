"""One JSON line per log record on stdout, in the shape Cloud Logging reads from Cloud Functions and Cloud Run.

`severity` makes WARNING and ERROR visible as such (alerting, log-based metrics); an ERROR with a traceback is
also marked as a reported error event, so Error Reporting groups it. A message that is itself a JSON object
(the app's `{"event": ...}` lines) is merged into the entry, so its fields become `jsonPayload.<field>`.
"""

from __future__ import annotations

import json
import logging
import sys

_ERROR_EVENT = "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"


class CloudLoggingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry: dict = {"severity": record.levelname, "logger": record.name}
        try:
            fields = json.loads(message) if message.startswith("{") else None
        except ValueError:
            fields = None
        if isinstance(fields, dict):
            entry.update(fields)
            entry.setdefault("message", fields.get("event", ""))
        else:
            entry["message"] = message
        if record.exc_info:
            # Error Reporting reads the stack trace from `message`.
            entry["message"] = f"{entry['message']}\n{self.formatException(record.exc_info)}"
            entry["@type"] = _ERROR_EVENT
        return json.dumps(entry, default=str)


def configure(level: int = logging.INFO) -> None:
    """Route every logger through one stdout handler with the Cloud Logging shape (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, CloudLoggingFormatter) for h in root.handlers):
        return
    # Plain stream handlers (basicConfig's) would print every line twice; others (test capture) stay.
    for plain in [h for h in root.handlers if type(h) is logging.StreamHandler]:
        root.removeHandler(plain)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudLoggingFormatter())
    root.addHandler(handler)
    root.setLevel(level)

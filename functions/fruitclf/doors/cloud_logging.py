"""One JSON line per log record on stdout, in the shape Cloud Logging reads from Cloud Functions and Cloud Run.

`severity` makes WARNING and ERROR visible as such (alerting, log-based metrics); an ERROR with a traceback is
also marked as a reported error event, so Error Reporting groups it. An event is logged as a dict
(`log.info({"event": "request", "status": 201, ...})`, the convention google-cloud-logging's handler reads too):
its fields become `jsonPayload.<field>`, and its `event` is the entry's message.

Why a formatter of our own rather than a library's (tests/unit/test_cloud_logging.py shows the second point):
- google-cloud-logging's `StructuredLogHandler` writes the same shape, but importing it loads the Logging API's
  client (gapic, grpc, opentelemetry): 0.5-1.0 s on the project's 2-core machines, as long again as the
  function's whole cold import (0.4-1.1 s, measured interleaved), plus four more packages to deploy, to format
  a line.
- `firebase_functions.logger` is not a `logging` handler: the records of the libraries (google-api-core,
  werkzeug, openai) and `log.exception`'s traceback never reach it, so Error Reporting would get no stack, and a
  field it cannot encode (a datetime) raises inside the log call, failing the request that logs it.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

_ERROR_EVENT = "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"


class CloudLoggingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"severity": record.levelname, "logger": record.name}
        if isinstance(record.msg, Mapping):
            entry.update(record.msg)
            entry.setdefault("message", record.msg.get("event", ""))
        else:
            entry["message"] = record.getMessage()
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

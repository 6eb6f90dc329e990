"""Rows as a download: JSON Lines or CSV, streamed as they come (an export may hold tens of thousands)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from flask import Response, request

from .. import errors

FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


def requested_format() -> str:
    """The `format` query parameter (jsonl by default); 400 `invalid-format` for anything else."""
    fmt = request.args.get("format", "jsonl")
    if fmt not in FORMATS:
        raise errors.bad_request("format must be jsonl or csv.", "invalid-format")
    return fmt


def download(rows: Iterable[dict], columns: tuple[str, ...], fmt: str, filename: str) -> Response:
    response = Response(lines(rows, columns, fmt), mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def lines(rows: Iterable[dict], columns: tuple[str, ...], fmt: str) -> Iterator[str]:
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(row) + "\n"
        return
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()

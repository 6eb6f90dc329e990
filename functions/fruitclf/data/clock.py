"""The one clock for stored timestamps (timezone-aware UTC, as Firestore returns them)."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""Operations figures in Firestore: per-day counters in a few shards, ops/<scope>/days/<YYYY-MM-DD>-<shard>.

Samples are summed in memory and written every FLUSH_S seconds by a background thread, so serving a request
never waits on a monitoring write (and a busy instance writes a few documents, not one per request). An
instance that is shut down loses at most its last FLUSH_S seconds of samples.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter

from ..config import Settings, settings, using
from .clients import firestore_client
from .sharded import Fields, ShardedCounter, increments, merge

log = logging.getLogger(__name__)

SHARDS = 4
FLUSH_S = 5.0


def _today() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


class _Recorder:
    """Samples wait here with the settings of the call that made them (which database they belong to): the
    flush thread writes each group under its own settings."""

    def __init__(self) -> None:
        self._pending: dict[tuple[Settings, str, str], Counter[str]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, scopes: list[str], counts: dict[str, int]) -> None:
        """Add `counts` to today's figures of each scope; a name "head.key" adds to the map `head`."""
        with self._lock:
            for scope in scopes:
                self._pending.setdefault((settings(), scope, _today()), Counter()).update(counts)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="monitoring-flush", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_S)
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        by_settings: dict[Settings, list[tuple[str, str, Counter[str]]]] = {}
        for (custom, scope, day), counts in pending.items():
            by_settings.setdefault(custom, []).append((scope, day, counts))
        for custom, figures in by_settings.items():
            try:
                with using(custom):
                    batch = firestore_client().batch()
                    for scope, day, counts in figures:
                        ShardedCounter(("ops", scope, "days"), day, SHARDS).add(
                            {"day": day, **increments(counts)}, batch
                        )
                    batch.commit()
            except Exception:  # noqa: BLE001 - monitoring must never fail serving; a lost sample is acceptable
                log.warning("could not record monitoring samples", exc_info=True)


_recorder = _Recorder()
add = _recorder.add


def days_since(scope: str, since: str) -> dict[str, Fields]:
    """Each day's figures of `scope` from the day `since` (YYYY-MM-DD) on, summed over shards."""
    by_day: dict[str, list[Fields]] = {}
    for snapshot in firestore_client().collection("ops", scope, "days").where("day", ">=", since).stream():
        data = snapshot.to_dict() or {}
        by_day.setdefault(data["day"], []).append(data)
    return {day: merge(shards) for day, shards in by_day.items()}

"""Loaded models kept per instance within a memory budget: the least recently used go first.

A loaded TFLite model holds about its file's size in weights plus its tensor arena; the budget counts what the
caller says each one weighs (the file's size, an honest lower bound) so that one instance serving many
organisations never holds more than the budget in models it is not using. The shipped models are not counted
here (ml/model.get_classifier keeps them for the process's life).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class LoadedModels(Generic[V]):
    def __init__(self, budget_bytes: int):
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[str, tuple[int, V]] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0

    def get(self, key: str, load: Callable[[], tuple[int, V]]) -> V:
        """The value under `key`, loading it (`load` returns its weight in bytes and the value) when absent.
        Loading happens outside the lock: two requests may load the same model at once, and one copy is kept."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit[1]
        weight, value = load()
        with self._lock:
            self.loads += 1
            if key not in self._entries:
                self._entries[key] = (weight, value)
            self._entries.move_to_end(key)
            self._evict(keep=key)
            return self._entries[key][1]

    def _evict(self, keep: str) -> None:
        # The newest entry stays even alone over the budget: a request that needs it is being served.
        while self.weight() > self.budget_bytes and next(iter(self._entries)) != keep:
            self._entries.popitem(last=False)

    def weight(self) -> int:
        return sum(weight for weight, _ in self._entries.values())

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._entries)

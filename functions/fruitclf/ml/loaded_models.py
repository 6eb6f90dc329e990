"""Loaded models kept per instance within a memory budget: the least recently used go first.

A loaded TFLite model holds far more than its file: the runtime unpacks the weights (XNNPACK repacks them as
float32) and allocates a tensor arena; the shipped 4.1 MB model adds about 38 MB of resident memory
(tests/bench/bench_org_models.py). So the budget counts what the caller measured each one to add
(`resident_bytes` before and after loading it), so that one instance serving many organisations never holds
more than the budget in models. The shipped models are not counted here (ml/model.get_classifier keeps them for
the process's life).
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


def resident_bytes() -> int:
    """This process's resident memory now (Linux; 0 where /proc is missing, and then a model weighs its file)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0

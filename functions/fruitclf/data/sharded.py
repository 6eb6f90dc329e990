"""The one sharded counter: a count kept in several documents so that concurrent writers rarely meet.

A counter `name` in collection C lives in documents C/<name>-<n>, n < shards. Writers add to one shard (picked
at random, or a given one); readers sum every shard field by field. Used for an org's aggregates
(orgs/<orgId>/counters), the ops figures (ops/<scope>/days) and the rate-limit windows (ratelimits).
Shards are a storage detail: nothing above data/ sees them. How many: `org_shards`, from the ORG_PEAK_PER_SECOND
setting and Firestore's documented sustained write rate to one document (docs/operations.md, "Hot documents").
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from typing import Any

from google.cloud.firestore import DocumentReference, Increment

from ..config import settings
from .clients import Writer, firestore_client

# A shard's fields, or a change to them: numbers, and maps of numbers (Increments while written).
Fields = dict[str, Any]

# Firestore's documented limit: about one sustained write a second to any one document (docs/operations.md).
DOCUMENT_WRITES_PER_S = 1.0


def shards_for(writes_per_second: float) -> int:
    """Shards that keep each document of a count written `writes_per_second` times a second at Firestore's rate
    (writers pick a shard at random, so each gets its share on average)."""
    return max(1, math.ceil(writes_per_second / DOCUMENT_WRITES_PER_S))


def org_shards() -> int:
    """Shards of each per-org hot count: every classification of a busy org writes each of them once."""
    return shards_for(settings().org_peak_per_second)


class ShardedCounter:
    def __init__(self, collection: tuple[str, ...], name: str, shards: int) -> None:
        self.collection, self.name, self.shards = collection, name, shards

    def shard(self, n: int | None = None) -> DocumentReference:
        """The document of shard `n` (a random one when None)."""
        n = random.randrange(self.shards) if n is None else n
        return firestore_client().collection(*self.collection).document(f"{self.name}-{n}")

    def add(self, fields: Fields, writer: Writer | None = None, n: int | None = None) -> None:
        """Merge `fields` (Increment values, see `increments`) into one shard; in `writer`'s batch or
        transaction when given, so the count changes in the same commit as what it counts."""
        ref = self.shard(n)
        if writer is None:
            ref.set(fields, merge=True)
        else:
            writer.set(ref, fields, merge=True)

    def increment(self, n: int, field: str, also: Fields | None = None) -> int:
        """Add 1 to `field` of shard `n` and return its new value (from the write itself: no read, no
        transaction)."""
        result = self.shard(n).set({field: Increment(1), **(also or {})}, merge=True)
        return int(result.transform_results[0].integer_value)

    def total(self) -> Fields:
        return merge(
            s.to_dict() or {}
            for s in firestore_client().collection(*self.collection).stream()
            if s.id.rsplit("-", 1)[0] == self.name
        )


def increments(counts: Mapping[str, int | float]) -> Fields:
    """Firestore increments for `counts`; a name "head.key" adds to the key of the map `head`."""
    fields: Fields = {}
    for name, n in counts.items():
        head, _, key = name.partition(".")
        if key:
            fields.setdefault(head, {})[key] = Increment(n)
        else:
            fields[name] = Increment(n)
    return fields


def merge(shards: Iterable[Fields]) -> Fields:
    """Sum shard documents field by field (maps are summed key by key, at any depth; other values are ignored)."""
    total: Fields = {}
    for shard in shards:
        _add_into(total, shard)
    return total


def _add_into(total: Fields, shard: Fields) -> None:
    for key, value in shard.items():
        if isinstance(value, dict):
            _add_into(total.setdefault(key, {}), value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value

"""The vital days cache's in-memory twin, for unit tests.

It keeps buckets in a dict and, like the IndexedDB cache, never outlives a
change of the events: every batch the ``MemoryEntryStore`` stores (its
``transactions`` count) drops them all and changes the token, so a rebuild
that read the events before a write is not stored.
"""

from __future__ import annotations

import copy
from typing import Any

from ..domain import vitaldays
from ..vitaldays_cache import CacheRead, VitalDayCache
from .memory import MemoryEntryStore


class MemoryVitalDays(VitalDayCache):
    """Buckets by (recipient, UTC day); ``reads``/``writes`` count the calls (for tests)."""

    def __init__(self, store: MemoryEntryStore):
        self.store = store
        self.buckets: dict[tuple[str, int], Any] = {}
        self._seen = store.transactions
        self.reads = 0
        self.writes = 0

    def _gen(self) -> int:
        if self.store.transactions != self._seen:  # the events changed: every bucket may be stale
            self.buckets.clear()
            self._seen = self.store.transactions
        return self._seen

    async def read(self, recipient: str, first: int, last: int, vital: str) -> CacheRead:
        self.reads += 1
        got = CacheRead(gen=self._gen())
        for day in range(first, last + 1):
            bucket = self.buckets.get((recipient, day))
            if not vitaldays.well_formed(bucket) or not all(
                    day * vitaldays.DAY_MS <= row[1] < (day + 1) * vitaldays.DAY_MS
                    for rows in bucket["t"].values() for row in rows):
                got.missing.append(day)
                continue
            got.types.update(t for t, rows in bucket["t"].items() if rows)
            got.rows += copy.deepcopy(bucket["t"].get(vital, []))
        return got

    async def write(self, recipient: str, gen: Any, buckets: dict[int, dict]) -> bool:
        if gen != self._gen():
            return False
        self.writes += 1
        for day, bucket in buckets.items():
            self.buckets[(recipient, int(day))] = copy.deepcopy(bucket)
        return True

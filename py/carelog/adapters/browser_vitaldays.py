"""The vital days cache in the browser: ``globalThis.carelogVitalDays`` (public/js/vitaldays.js)
over the open carelog database. One call, one JSON string each way; ``js`` is imported lazily.

    cache = IndexedDBVitalDays(database.handle)
"""

from __future__ import annotations

import json
from typing import Any

from ..ports import StoreError
from ..vitaldays_cache import CacheRead, VitalDayCache
from .browser import _call


def _helper():
    import js  # noqa: PLC0415 - browser only

    helper = getattr(js, "carelogVitalDays", None)
    if helper is None:
        raise StoreError("The chart cache helper did not load.")
    return helper


class IndexedDBVitalDays(VitalDayCache):
    """``VitalDayCache`` over the "vital_days" object store (sealed when the lock is on)."""

    def __init__(self, handle: Any):
        self._db = handle

    async def read(self, recipient: str, first: int, last: int, vital: str) -> CacheRead:
        query = json.dumps({"recipient": recipient, "from": first, "to": last, "type": vital})
        answer = json.loads(await _call(lambda: _helper().read(self._db, query)))
        return CacheRead(gen=answer["gen"], rows=answer["rows"], types=set(answer["types"]),
                         missing=[int(d) for d in answer["missing"]])

    async def write(self, recipient: str, gen: Any, buckets: dict[int, dict]) -> bool:
        payload = json.dumps({"recipient": recipient, "gen": gen, "days": buckets}, separators=(",", ":"))
        return bool(await _call(lambda: _helper().write(self._db, payload)))

"""In-memory twins of the ports: real implementations used by unit tests and
the command-line tool. They keep the same contract as the browser adapters
(the contract suite in ``tests/contract`` runs against both)."""

from __future__ import annotations

import bisect
import copy
import datetime as _dt
import itertools
import json
import os
from typing import Any, Sequence

from ..domain.events import Event
from ..ports import Clock, EntryStore, IdSource, Settings, StorageFull


class MemoryEntryStore(EntryStore):
    """Events in dicts, with a sorted time index per recipient.

    ``quota_events`` makes the store refuse batches past a size, the way a
    full disk does, so callers can be tested against it.
    """

    def __init__(self, quota_events: int | None = None):
        self._events: dict[str, Event] = {}
        self._by_recipient: dict[str, list[tuple[int, str]]] = {}
        self._by_entry: dict[str, list[str]] = {}
        self.quota_events = quota_events
        self.transactions = 0

    async def put_events(self, events: Sequence[Event]) -> int:
        fresh = {e.id: e for e in events if e.id not in self._events}
        if self.quota_events is not None and len(self._events) + len(fresh) > self.quota_events:
            raise StorageFull("the device storage is full")
        self.transactions += 1
        for event in fresh.values():
            stored = Event.from_record(json.loads(json.dumps(event.to_record())))
            self._events[event.id] = stored
            bisect.insort(self._by_recipient.setdefault(event.recipient, []), (event.at, event.id))
            self._by_entry.setdefault(event.entry, []).append(event.id)
        return len(fresh)

    async def events_in_range(self, recipient, start_at=None, end_at=None, kinds=None,
                              limit=None, newest_first=True):
        index = self._by_recipient.get(recipient, [])
        lo = bisect.bisect_left(index, (start_at, "")) if start_at is not None else 0
        hi = bisect.bisect_left(index, (end_at, "")) if end_at is not None else len(index)
        keys = index[lo:hi]
        if newest_first:
            keys = reversed(keys)
        wanted = set(kinds) if kinds else None
        found = (self._events[eid] for _, eid in keys)
        found = (e for e in found if wanted is None or e.kind in wanted)
        return list(itertools.islice(found, limit)) if limit is not None else list(found)

    async def histories_in_range(self, recipient, start_at=None, end_at=None, kinds=None, types=None):
        found = await self.events_in_range(recipient, start_at, end_at, kinds, newest_first=False)
        if types:
            found = [e for e in found if isinstance(e.payload, dict) and e.payload.get("type") in types]
        return await self.events_of_entries([e.entry for e in found])

    async def events_of_entries(self, entry_ids):
        return [self._events[eid] for entry in dict.fromkeys(entry_ids)
                for eid in self._by_entry.get(entry, [])]

    async def events_of_kind(self, kind):
        return [e for e in self._events.values() if e.kind == kind]

    async def latest_hlc(self):
        return max((e.hlc for e in self._events.values()), default=None)

    def __len__(self) -> int:
        return len(self._events)

    # --- EventFeed (sync): positions are insertion order, 1-based ------------

    async def events_after(self, cursor: int, limit: int, device: str | None = None) -> tuple[list[Event], int]:
        """Up to ``limit`` events stored after position ``cursor`` (``ports.EventFeed``)."""
        cursor = max(0, int(cursor))
        found = list(itertools.islice(self._events.values(), cursor, cursor + max(0, int(limit))))
        last = cursor + len(found)
        if device is not None:
            found = [e for e in found if e.device == device]
        return found, last

    async def records_after(self, cursor: int, limit: int, device: str) -> tuple[list[dict], list[int], int]:
        """``ports.EventFeed.records_after`` with exact positions."""
        cursor = last = max(0, int(cursor))
        records: list[dict] = []
        positions: list[int] = []
        for position, event in enumerate(itertools.islice(self._events.values(), cursor, None), start=cursor + 1):
            if len(records) >= limit:
                break
            last = position
            if event.device == device:
                records.append(event.to_record())
                positions.append(position)
        return records, positions, last


class MemorySettings(Settings):
    """Settings in a dict (values deep-copied, as a real store would)."""

    def __init__(self, values: dict | None = None):
        self._values = dict(values or {})

    async def get(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self._values.get(key, default))

    async def put(self, key: str, value: Any) -> None:
        self._values[key] = copy.deepcopy(value)


class FixedClock(Clock):
    """A clock that stands still until moved; local time is UTC + ``offset``."""

    def __init__(self, now_ms: int, offset_minutes: int = 0):
        self.now = now_ms
        self.offset = offset_minutes

    def now_ms(self) -> int:
        return self.now

    def local_offset_minutes(self, at_ms: int) -> int:
        return self.offset

    def advance(self, ms: int) -> None:
        """Move time forward (or back, with a negative value)."""
        self.now += ms


class SystemClock(Clock):
    """The machine's clock and local time zone (CPython)."""

    def now_ms(self) -> int:
        return int(_dt.datetime.now(_dt.timezone.utc).timestamp() * 1000)

    def local_offset_minutes(self, at_ms: int) -> int:
        local = _dt.datetime.fromtimestamp(at_ms / 1000).astimezone()
        return int(local.utcoffset().total_seconds() // 60)


class RandomIds(IdSource):
    """UUID4 ids."""

    def new_id(self) -> str:
        """The text of a random (version 4) UUID, as ``str(uuid.uuid4())`` gives, made
        here because importing ``uuid`` costs ~50 ms of a first visit's start."""
        b = bytearray(os.urandom(16))
        b[6] = b[6] & 0x0F | 0x40  # version 4
        b[8] = b[8] & 0x3F | 0x80  # RFC 4122 variant
        h = b.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class CountingIds(IdSource):
    """Predictable ids for tests: ``prefix-1``, ``prefix-2``..."""

    def __init__(self, prefix: str = "id"):
        self._prefix = prefix
        self._count = itertools.count(1)

    def new_id(self) -> str:
        return f"{self._prefix}-{next(self._count)}"

"""Browser adapters: IndexedDB (through the ``carelogIdb`` JS helper) and the
browser's clock. Only importable inside Pyodide; ``js`` is imported lazily so
the module itself imports under CPython.

    db = await IndexedDB.open("carelog")
    await db.entries.put_events(events)      # one transaction, one FFI crossing
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..domain.events import Event, RecordError
from ..ports import Clock, EntryStore, EventFeed, Settings, StorageFull, StorageUnavailable, StoreError


def _js():
    import js  # noqa: PLC0415 - browser only

    return js


def _translate(error: Exception) -> Exception:
    """Map a JavaScript storage error to the port's exceptions."""
    name = getattr(error, "name", "") or type(error).__name__
    text = str(error)
    if name == "QuotaExceededError" or "QuotaExceeded" in text:
        return StorageFull("The tablet's storage is full.")
    if name in ("InvalidStateError", "UnknownError", "SecurityError"):
        return StorageUnavailable(text)
    return StoreError(text)


async def _call(promise_factory):
    try:
        return await promise_factory()
    except Exception as error:  # JsException and friends
        if isinstance(error, (StorageFull, StorageUnavailable, StoreError)):
            raise
        raise _translate(error) from error


def _events(json_text: str | list) -> list[Event]:
    return _records_to_events(json.loads(json_text) if isinstance(json_text, str) else json_text)


def _records_to_events(records: list) -> list[Event]:
    events = []
    for record in records:
        try:
            events.append(Event.from_stored(record))  # checked before it was stored
        except RecordError:
            continue  # a record this version cannot read stays stored, untouched
    return events


class IndexedDB:
    """One open carelog database, with its two ports."""

    def __init__(self, handle: Any):
        self.handle = handle
        self.entries = IndexedDBEntryStore(handle)
        self.settings = IndexedDBSettings(handle)

    @classmethod
    async def open(cls, name: str) -> "IndexedDB":
        js = _js()
        helper = getattr(js, "carelogIdb", None)
        if helper is None:
            raise StorageUnavailable("The storage helper did not load.")
        try:
            handle = await helper.open(name)
        except Exception as error:
            name = getattr(error, "name", "") or ""
            text = str(error)
            raise StorageUnavailable(text if name in text else f"{name}: {text}") from error
        return cls(handle)


class IndexedDBEntryStore(EntryStore, EventFeed):
    """EntryStore over IndexedDB: each method is one transaction."""

    def __init__(self, handle: Any):
        self._db = handle

    async def put_events(self, events: Sequence[Event]) -> int:
        if not events:
            return 0
        payload = json.dumps([e.to_record() for e in events], separators=(",", ":"))
        return int(await _call(lambda: self._db.putEvents(payload)))

    async def put_pulled(self, events: Sequence[Event], settings: Any, values: dict[str, Any]) -> int:
        """Pulled events and the checkpoints past them in one transaction with
        durability "relaxed" (``putPulled`` in idb.js; docs/SYNC.md section 6):
        a crash loses both or neither. Settings of another database take the
        port's two steps."""
        if getattr(settings, "_db", None) is not self._db:
            return await super().put_pulled(events, settings, values)
        payload = json.dumps([e.to_record() for e in events], separators=(",", ":"))
        state = json.dumps(values)
        return int(await _call(lambda: self._db.putPulled(payload, state)))

    async def events_in_range(self, recipient, start_at=None, end_at=None, kinds=None,
                              limit=None, newest_first=True):
        query = json.dumps({"recipient": recipient, "start": start_at, "end": end_at,
                            "kinds": list(kinds) if kinds else None, "limit": limit,
                            "newestFirst": newest_first})
        return _events(await _call(lambda: self._db.range(query)))

    async def events_of_entries(self, entry_ids):
        ids = json.dumps(list(dict.fromkeys(entry_ids)))
        return _events(await _call(lambda: self._db.ofEntries(ids)))

    async def events_of_kind(self, kind):
        return _events(await _call(lambda: self._db.ofKind(kind)))

    async def histories_in_range(self, recipient, start_at=None, end_at=None, kinds=None, types=None):
        """One call: the range's entries and their whole histories (``histories`` in idb.js)."""
        query = json.dumps({"recipient": recipient, "start": start_at, "end": end_at,
                            "kinds": list(kinds) if kinds else None, "limit": None, "newestFirst": False,
                            "types": list(types) if types else None})
        return _events(await _call(lambda: self._db.histories(query)))

    async def histories_recorded_since(self, recipient, after):
        """One call: events recorded after the stamp ``after`` and their entries' histories
        (``recordedSince`` in idb.js, over the ``by_hlc`` index)."""
        query = json.dumps({"recipient": recipient, "after": after})
        return _events(await _call(lambda: self._db.recordedSince(query)))

    async def find_events(self, query):
        """The timeline's search in one call: the filter runs in JavaScript (``find`` in idb.js)."""
        answer = json.loads(await _call(lambda: self._db.find(json.dumps(query))))
        return _events(answer["events"]), bool(answer["more"])

    async def find_histories(self, query):
        """``find_events`` and the found entries' whole histories in one call (``find`` in idb.js
        with ``histories``: the "revised" store names the few entries to read whole)."""
        answer = json.loads(await _call(lambda: self._db.find(json.dumps({**query, "histories": True}))))
        return _events(answer["events"]), bool(answer["more"])

    async def latest_hlc(self):
        value = await _call(lambda: self._db.latestHlc())
        return value if isinstance(value, str) else None

    # --- EventFeed (sync): the "feed" store's auto-increment positions --------

    async def events_after(self, cursor: int, limit: int, device: str | None = None) -> tuple[list[Event], int]:
        """Up to ``limit`` events stored after position ``cursor`` (``ports.EventFeed``).
        With ``device``, other devices' events are left out in JS (they never
        cross into Python)."""
        cursor, limit = max(0, int(cursor)), max(0, int(limit))
        if limit == 0:
            return [], cursor
        answer = json.loads(await _call(lambda: self._db.eventsAfter(cursor, limit, device)))
        return _records_to_events(answer["events"]), int(answer["last"])

    async def records_after(self, cursor: int, limit: int, device: str) -> tuple[list[dict], list[int], int]:
        """Sync's push read in one call (``recordsAfter`` in idb.js): the feed is
        scanned in JS, other devices' events never cross into Python, and the
        records stay records (a segment is made of them). Each is checked as a
        stored record (``Event.from_stored``); one this version cannot read is left
        out, as every other read leaves it out."""
        cursor, limit = max(0, int(cursor)), max(0, int(limit))
        if limit == 0:
            return [], [], cursor
        answer = json.loads(await _call(lambda: self._db.recordsAfter(cursor, limit, device)))
        records, positions = [], []
        for record, position in zip(answer["records"], answer["positions"]):
            try:
                Event.from_stored(record)
            except RecordError:
                continue
            records.append(record)
            positions.append(int(position))
        return records, positions, int(answer["last"])

    @property
    def handle(self) -> Any:
        """The open database's JS helper (``public/js/idb.js``), for adapters that
        keep their own object stores in the same database (sync's circle key)."""
        return self._db


class IndexedDBSettings(Settings):
    """Settings in the database's ``settings`` object store."""

    def __init__(self, handle: Any):
        self._db = handle

    async def get(self, key: str, default: Any = None) -> Any:
        value = await _call(lambda: self._db.getSetting(key))
        return default if value is None else json.loads(value)

    async def put(self, key: str, value: Any) -> None:
        text = json.dumps(value)
        await _call(lambda: self._db.putSetting(key, text))

    async def put_many(self, values: dict[str, Any]) -> None:
        """One transaction for all (``putSettings`` in idb.js)."""
        if values:
            text = json.dumps(values)
            await _call(lambda: self._db.putSettings(text))


class BrowserClock(Clock):
    """``Date.now()`` and the browser's time zone."""

    def now_ms(self) -> int:
        return int(_js().Date.now())

    def local_offset_minutes(self, at_ms: int) -> int:
        return -int(_js().Date.new(at_ms).getTimezoneOffset())

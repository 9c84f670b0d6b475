"""The small interfaces the core needs from the outside world.

Adapters implement them: IndexedDB and the browser clock in the browser,
in-memory twins under CPython. Every store method is async because IndexedDB
is; a batch is one call (and one transaction), never one call per record.
"""

from __future__ import annotations

import abc
from typing import Any, Sequence

from .domain.events import Event


class StorageUnavailable(RuntimeError):
    """The device cannot store data (no IndexedDB, storage blocked, private mode)."""


class StorageFull(RuntimeError):
    """The device's storage quota is used up; nothing of the batch was saved."""


class StoreError(RuntimeError):
    """A write or read failed; nothing of the batch was saved."""


class EntryStore(abc.ABC):
    """Append-only storage of events, queried by care recipient, kind and time."""

    @abc.abstractmethod
    async def put_events(self, events: Sequence[Event]) -> int:
        """Store a batch atomically: all or nothing. Events already stored
        (same id) are left as they are. Returns how many were new.
        Returns only after the data is durably committed."""

    @abc.abstractmethod
    async def events_in_range(self, recipient: str, start_at: int | None = None,
                              end_at: int | None = None, kinds: Sequence[str] | None = None,
                              limit: int | None = None, newest_first: bool = True) -> list[Event]:
        """Events of one recipient with ``start_at <= at < end_at``, by time."""

    @abc.abstractmethod
    async def events_of_entries(self, entry_ids: Sequence[str]) -> list[Event]:
        """Every event of the given entries (their whole history)."""

    @abc.abstractmethod
    async def events_of_kind(self, kind: str) -> list[Event]:
        """Every event of one kind, for all recipients (e.g. all recipients)."""

    @abc.abstractmethod
    async def latest_hlc(self) -> str | None:
        """The greatest clock stamp stored, or None when empty."""

    async def histories_in_range(self, recipient: str, start_at: int | None = None, end_at: int | None = None,
                                 kinds: Sequence[str] | None = None,
                                 types: Sequence[str] | None = None) -> list[Event]:
        """Every event (whole histories) of the entries that have an event of ``kinds``
        in ``[start_at, end_at)`` (with ``types``: an event whose payload's ``type`` is one
        of them). This default is two reads; the IndexedDB store answers in one call
        (one crossing, each record parsed once)."""
        found = await self.events_in_range(recipient, start_at=start_at, end_at=end_at, kinds=kinds)
        if types:
            found = [e for e in found if isinstance(e.payload, dict) and e.payload.get("type") in types]
        ids = list(dict.fromkeys(e.entry for e in found))
        return await self.events_of_entries(ids) if ids else []

    async def histories_recorded_since(self, recipient: str, after: str) -> list[Event]:
        """Every event (whole histories) of the entries that have an event of ``recipient``
        with a clock stamp after ``after`` (recorded then, whatever its time). This
        default walks the recipient's events; the IndexedDB store reads its ``by_hlc`` index."""
        found = [e for e in await self.events_in_range(recipient, newest_first=False) if e.hlc > after]
        ids = list(dict.fromkeys(e.entry for e in found))
        return await self.events_of_entries(ids) if ids else []

    async def find_events(self, query: dict) -> tuple[list[Event], bool]:
        """The timeline's search (``domain.timeline_filter.store_query``): events
        matching it, newest first, of at most ``query["limit"]`` entries, and
        whether more may exist. This default walks ``events_in_range``; the
        IndexedDB store does the same pass inside JavaScript, in one call."""
        from .domain.timeline_filter import event_matches  # noqa: PLC0415 - only when searching

        found = await self.events_in_range(query["recipient"], query.get("start"), query.get("end"),
                                           kinds=query.get("kinds"), newest_first=True)
        out: list[Event] = []
        entries: set[str] = set()
        for event in found:
            if not event_matches(event, query):
                continue
            if event.entry not in entries:
                if len(entries) >= query.get("limit", 50):
                    return out, True
                entries.add(event.entry)
            out.append(event)
        return out, False


class Settings(abc.ABC):
    """Small per-device values: device id, caregiver name, choices."""

    @abc.abstractmethod
    async def get(self, key: str, default: Any = None) -> Any:
        """The stored value, or ``default``."""

    @abc.abstractmethod
    async def put(self, key: str, value: Any) -> None:
        """Store a JSON-able value."""


class Clock(abc.ABC):
    """Time as the device knows it."""

    @abc.abstractmethod
    def now_ms(self) -> int:
        """Milliseconds since the epoch, UTC."""

    @abc.abstractmethod
    def local_offset_minutes(self, at_ms: int) -> int:
        """Minutes to add to UTC to get local time at that instant (DST-aware)."""


class IdSource(abc.ABC):
    """Unique ids for events and devices."""

    @abc.abstractmethod
    def new_id(self) -> str:
        """A new globally unique id."""


# --- sync (see docs/SYNC.md) ------------------------------------------------


class EventFeed(abc.ABC):
    """The events of a store in the order this device stored them: a change feed.

    Positions are local to the device and only grow (IndexedDB: an
    auto-increment sequence written in the same transaction as the event).
    Sync keeps a cursor into it, so finding what is not yet pushed is a range
    read, never a scan. ``MemoryEntryStore`` implements it.
    """

    @abc.abstractmethod
    async def events_after(self, cursor: int, limit: int) -> tuple[list[Event], int]:
        """Up to ``limit`` events stored after position ``cursor``, oldest first,
        and the position of the last one returned (``cursor`` when none)."""


class TransportError(RuntimeError):
    """The request got no HTTP answer: offline, timeout, connection reset, CORS refusal."""


class Response:
    """An HTTP answer: status, body bytes, and the ETag header if any."""

    __slots__ = ("status", "body", "etag")

    def __init__(self, status: int, body: bytes = b"", etag: str | None = None):
        self.status = status
        self.body = body
        self.etag = etag

    def __repr__(self) -> str:
        return f"Response({self.status}, {len(self.body)} bytes, etag={self.etag!r})"


class SyncTransport(abc.ABC):
    """A plain HTTP file host reached by absolute URLs (browser: ``fetch``).

    Implementations raise ``TransportError`` when no answer arrives and return
    every HTTP answer, errors included, as a ``Response``.
    """

    @abc.abstractmethod
    async def get(self, url: str, etag: str | None = None) -> Response:
        """GET; with ``etag``, send ``If-None-Match`` (a 304 means unchanged)."""

    @abc.abstractmethod
    async def put(self, url: str, body: bytes, if_match: str | None = None) -> Response:
        """PUT the whole file; with ``if_match``, send ``If-Match`` (some hosts ignore it)."""

    @abc.abstractmethod
    async def list(self, folder_url: str) -> list[str] | None:
        """Names in a folder (subfolders without a trailing slash), or None when
        the host offers no listing. Raises ``TransportError`` like ``get``."""


class CipherError(ValueError):
    """Ciphertext that does not open with this key: wrong key, or tampered with."""


class Cipher(abc.ABC):
    """Authenticated symmetric encryption with one circle key (browser: WebCrypto AES-GCM).

    ``encrypt`` returns the IV (``iv_length`` bytes, fresh for every call)
    followed by the ciphertext with its tag; ``decrypt`` takes that back and
    raises ``CipherError`` if it does not authenticate.
    """

    alg: str = ""
    iv_length: int = 12

    @abc.abstractmethod
    async def encrypt(self, plaintext: bytes) -> bytes:
        """IV followed by ciphertext and tag."""

    @abc.abstractmethod
    async def decrypt(self, sealed: bytes) -> bytes:
        """The plaintext; ``CipherError`` when it does not authenticate."""

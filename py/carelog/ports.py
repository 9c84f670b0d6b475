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

    async def put_pulled(self, events: Sequence[Event], settings: "Settings", values: dict[str, Any]) -> int:
        """Store events pulled by sync and the sync state that records them
        (``values`` for ``settings``: the checkpoints past those files).

        The values are written only once the events are: a crash in between
        costs a second fetch, never a checkpoint past events not stored.
        ``IndexedDBEntryStore`` writes both in one transaction. Returns the
        number of events new here, as ``put_events``."""
        added = await self.put_events(events)
        put_many = getattr(settings, "put_many", None)
        if put_many is not None:
            await put_many(values)
        else:
            for key, value in values.items():
                await settings.put(key, value)
        return added

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
    async def histories_in_range(self, recipient: str, start_at: int | None = None, end_at: int | None = None,
                                 kinds: Sequence[str] | None = None,
                                 types: Sequence[str] | None = None) -> list[Event]:
        """Every event (whole history, each event once, in no set order) of the recipient's entries
        of ``kinds`` that have an event with ``start_at <= at < end_at`` (with ``types``: an event
        whose payload's ``type`` is one of them): one call, one transaction.
        An entry whose time was edited into or out of the range comes with all its events."""

    @abc.abstractmethod
    async def events_of_entries(self, entry_ids: Sequence[str]) -> list[Event]:
        """Every event of the given entries (their whole history)."""

    @abc.abstractmethod
    async def events_of_kind(self, kind: str) -> list[Event]:
        """Every event of one kind, for all recipients (e.g. all recipients)."""

    @abc.abstractmethod
    async def latest_hlc(self) -> str | None:
        """The greatest clock stamp stored, or None when empty."""

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

    async def find_histories(self, query: dict) -> tuple[list[Event], bool]:
        """``find_events`` with every other event of the entries found (their whole
        histories, each event once, in no set order), and whether more may exist.
        This default makes the two calls; the IndexedDB store answers in one."""
        found, more = await self.find_events(query)
        ids = list(dict.fromkeys(e.entry for e in found))
        return (await self.events_of_entries(ids) if ids else []), more


class Settings(abc.ABC):
    """Small per-device values: device id, caregiver name, choices."""

    @abc.abstractmethod
    async def get(self, key: str, default: Any = None) -> Any:
        """The stored value, or ``default``."""

    @abc.abstractmethod
    async def put(self, key: str, value: Any) -> None:
        """Store a JSON-able value."""

    async def put_many(self, values: dict[str, Any]) -> None:
        """Store several values; a store that can writes them in one transaction
        (all or none), as ``IndexedDBSettings`` does."""
        for key, value in values.items():
            await self.put(key, value)


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
    async def events_after(self, cursor: int, limit: int, device: str | None = None) -> tuple[list[Event], int]:
        """Up to ``limit`` events stored after position ``cursor``, oldest first,
        and the position of the last one returned (``cursor`` when none).
        A store may give a batch of pulled events one position (IndexedDB's
        ``putPulled``); such a batch is never split, so a call may return up to
        one batch more than ``limit``, never fewer while more remain.

        With ``device``, only events made by that device come back, and the
        position is that of the last one *looked at* (at most ``limit``
        positions are looked at): an empty list with a moved position means
        "none of those was this device's; call again from there"."""

    async def records_after(self, cursor: int, limit: int, device: str) -> tuple[list[dict], list[int], int]:
        """Sync's push read: up to ``limit`` records (``Event.to_record()`` form) made
        by ``device`` after position ``cursor``, however many other devices' events
        lie between; their positions; and the last position looked at (that of
        the ``limit``-th record when the limit is reached). ``IndexedDBEntryStore``
        does it in one call; this default walks ``events_after`` (a record whose
        own position it cannot tell gets the cursor it was read from, which is
        never past an unsent event)."""
        records: list[dict] = []
        positions: list[int] = []
        while len(records) < limit:
            events, last = await self.events_after(cursor, limit - len(records), device)
            if last <= cursor:
                break
            records.extend(e.to_record() for e in events)
            positions.extend([cursor] * len(events))
            if positions:
                positions[-1] = last
            cursor = last
        return records, positions, cursor


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


# --- the passphrase lock (see docs/SECURITY.md) -----------------------------


class LockStatus:
    """What the vault says about the lock on this device.

    ``choice``: "" (never asked), "skipped" (no lock, by choice) or "on".
    ``failures`` and ``last_failure_ms`` are the wrong tries since the last
    unlock; they are stored, so a reload does not reset the wait.
    """

    __slots__ = ("enabled", "unlocked", "choice", "idle_ms", "failures", "last_failure_ms", "migrated")

    def __init__(self, enabled: bool = False, unlocked: bool = False, choice: str = "",
                 idle_ms: int = 300_000, failures: int = 0, last_failure_ms: int = 0, migrated: bool = False):
        self.enabled = enabled
        self.unlocked = unlocked
        self.choice = choice
        self.idle_ms = idle_ms
        self.failures = failures
        self.last_failure_ms = last_failure_ms
        self.migrated = migrated

    def __repr__(self) -> str:
        return (f"LockStatus(enabled={self.enabled}, unlocked={self.unlocked}, choice={self.choice!r}, "
                f"failures={self.failures})")


class Vault(abc.ABC):
    """The passphrase lock over the device's data key (browser: WebCrypto in
    public/js/vault.js; unit tests: ``adapters.memory_vault.MemoryVault``).

    While the lock is on and the vault is locked, the store refuses to read or
    write sealed data. Secrets pass through and are never kept.
    """

    @abc.abstractmethod
    async def status(self) -> LockStatus:
        """The lock's state now."""

    @abc.abstractmethod
    async def set_up(self, passphrase: str) -> str:
        """Turn the lock on (unlocked) and return the recovery key, shown once."""

    @abc.abstractmethod
    async def encrypt_existing(self) -> int:
        """Seal what was stored before the lock was on, in batches; how many records."""

    @abc.abstractmethod
    async def skip(self) -> None:
        """Remember that the caregiver chose no lock."""

    @abc.abstractmethod
    async def unlock(self, secret: str, recovery: bool = False) -> bool:
        """Open with the passphrase (or the recovery key); False and one more
        failure counted when it is not right."""

    @abc.abstractmethod
    async def lock(self) -> None:
        """Forget the data key: nothing sealed is readable until ``unlock``."""

    @abc.abstractmethod
    async def change_passphrase(self, current: str, new: str) -> bool:
        """Re-wrap the data key under ``new``; ``current`` is the passphrase or
        the recovery key. False when ``current`` is not right."""

    @abc.abstractmethod
    async def set_idle_ms(self, ms: int) -> None:
        """How long without a touch before the app locks itself."""

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

"""Shared pieces for the sync tests: simulated devices over in-memory twins.

A ``Device`` has its own store, settings and clock, records events directly
(create, edit of the current heads, delete), remembers every event it ever
showed as saved, and syncs against a ``MemoryHost``. No tests here.
"""

from __future__ import annotations

import asyncio
import itertools

from carelog.adapters.memory import MemoryEntryStore, MemorySettings
from carelog.adapters.memory_transport import MemoryHost, TestOnlyCipher
from carelog.domain.events import CREATE, DELETE, EDIT, Event
from carelog.domain.fold import fold, heads_of
from carelog.domain.hlc import HybridClock
from carelog.sync.engine import SyncOptions, create_circle, sync_once

KEY = bytes(range(32))
SALT = b"0123456789abcdef"
SENTINEL = "SENTINEL-7f3a-do-not-leak"
BASE_MS = 1_764_000_000_000


def run(coro):
    return asyncio.run(coro)


class Device:
    """One simulated tablet."""

    _wall = itertools.count()

    def __init__(self, name: str, host: MemoryHost, cipher: bool = False, options: SyncOptions | None = None):
        self.id = f"dev-{name}"
        self.host = host
        self.store = MemoryEntryStore()
        self.settings = MemorySettings({"device_id": self.id})
        self.transport = host.transport()
        self.cipher = TestOnlyCipher(KEY) if cipher else None
        self.options = options or SyncOptions()
        self.clock = HybridClock(self.id, wall_ms=lambda: BASE_MS + next(Device._wall))
        self.saved: set[str] = set()
        self._ids = itertools.count(1)
        self.reports = []

    def _new_id(self) -> str:
        return f"{self.id}-e{next(self._ids)}"

    async def put(self, event: Event) -> Event:
        await self.store.put_events([event])
        self.saved.add(event.id)
        return event

    async def create(self, text: str = "note", recipient: str = "r1") -> Event:
        ident = self._new_id()
        return await self.put(Event(id=ident, recipient=recipient, kind="note", entry=ident, op=CREATE,
                                    revises=(), at=BASE_MS, payload={"text": text}, author=self.id,
                                    device=self.id, hlc=self.clock.now().encode()))

    async def revise(self, entry: str, text: str | None) -> Event | None:
        """An edit (``text``) or a delete (None) of the entry's current heads."""
        group = {e.id: e for e in await self.store.events_of_entries([entry])}
        if not group:
            return None  # this device has not received the entry yet
        heads = tuple(h.id for h in heads_of(group))
        for event in group.values():
            self.clock.observe(event.stamp)
        op = EDIT if text is not None else DELETE
        return await self.put(Event(id=self._new_id(), recipient="r1", kind="note", entry=entry, op=op,
                                    revises=heads, at=BASE_MS, payload={"text": text} if text else {},
                                    author=self.id, device=self.id, hlc=self.clock.now().encode()))

    async def sync(self, **overrides):
        report = await sync_once(endpoint=self.host.url, device_id=self.id, store=self.store, feed=self.store,
                                 transport=overrides.pop("transport", self.transport), settings=self.settings,
                                 cipher=overrides.pop("cipher", self.cipher),
                                 options=overrides.pop("options", self.options), **overrides)
        assert report.unexpected is None, report.unexpected
        self.reports.append(report)
        return report

    async def events(self) -> list[Event]:
        return (await self.store.events_after(0, 10**9))[0]

    async def ids(self) -> set[str]:
        return {e.id for e in await self.events()}

    async def view(self) -> dict:
        """The folded state, comparable across devices."""
        entries = fold(await self.events(), include_deleted=True)
        return {k: (e.payload, e.deleted, e.head_ids, tuple(c.id for c in e.conflict))
                for k, e in sorted(entries.items())}


async def new_circle(host: MemoryHost, cipher: bool = False, circle_id: str = "circle-1"):
    return await create_circle(host.url, host.transport(), circle_id, TestOnlyCipher(KEY) if cipher else None,
                               salt=SALT if cipher else None)


async def circle_of(*names: str, notes=(), cipher: bool = False, options: SyncOptions | None = None,
                    host: MemoryHost | None = None):
    """A new circle on ``host`` (default: a WebDAV MemoryHost) and one Device per
    name; the first device writes one note per text in ``notes`` (not synced).
    Returns (host, *devices)."""
    host = host or MemoryHost.webdav()
    await new_circle(host, cipher=cipher)
    devices = [Device(name, host, cipher=cipher, options=options) for name in names]
    for text in notes:
        await devices[0].create(text)
    return (host, *devices)


async def settle(devices, rounds: int = 2):
    """Round-robin syncs with no faults until every device has pulled every push."""
    for _ in range(rounds):
        for device in devices:
            report = await device.sync()
            assert report.ok, report.errors


def server_bytes(host: MemoryHost) -> bytes:
    return b"\n".join(host.files.values())

"""Python half of bench/bench_sync.py: runs INSIDE the carelog page (Pyodide).

Loaded as a module ``carelog_sync_bench`` through ``window.carelogDebug.runPython``
(the page is opened with ``?debug=1``). It drives the app's own sync engine
with the app's own adapters (``FetchTransport``, ``WebCryptoCipher``, the
IndexedDB store as store and feed, IndexedDB settings), each wrapped in a thin
timer, so a run's time can be split into network, crypto, IndexedDB and the
rest (Python: JSON, hashing, checks). Every coroutine returns a JSON string.
The entries come from bench/idb_page.py's ``make_events`` (module
``carelog_bench``, loaded first).
"""

import json

import js  # the page's globals (this module runs in the browser)
from pyodide.ffi import create_proxy

from carelog.ports import Cipher, EventFeed, SyncTransport
from carelog.sync.engine import SyncOptions, sync_once
from carelog.ui import sync_dom
from carelog_bench import make_events, now


class Timer:
    def __init__(self):
        self.spent = {}
        self.calls = {}

    async def timed(self, name: str, awaitable):
        """Await it; its time (also when it fails) and one call go to ``name``."""
        start = now()
        try:
            return await awaitable
        finally:
            self.spent[name] = self.spent.get(name, 0.0) + now() - start
            self.calls[name] = self.calls.get(name, 0) + 1


class TimedTransport(SyncTransport):
    def __init__(self, inner, timer):
        self.inner, self.timer = inner, timer
        self.sent = self.received = 0

    async def get(self, url, etag=None):
        resp = await self.timer.timed("network GET", self.inner.get(url, etag))
        self.received += len(resp.body)
        return resp

    async def put(self, url, body, if_match=None):
        self.sent += len(body)
        return await self.timer.timed("network PUT", self.inner.put(url, body, if_match))

    async def list(self, folder_url):
        return await self.timer.timed("network list", self.inner.list(folder_url))


class TimedCipher(Cipher):
    def __init__(self, inner, timer):
        self.inner, self.timer = inner, timer
        self.alg, self.iv_length = inner.alg, inner.iv_length

    async def encrypt(self, plaintext):
        return await self.timer.timed("AES-GCM encrypt", self.inner.encrypt(plaintext))

    async def decrypt(self, sealed):
        return await self.timer.timed("AES-GCM decrypt", self.inner.decrypt(sealed))


class TimedStore(EventFeed):
    """The IndexedDB store as both EntryStore and EventFeed, timed."""

    def __init__(self, inner, timer):
        self.inner, self.timer = inner, timer

    async def put_events(self, events):
        return await self.timer.timed("IndexedDB put_events", self.inner.put_events(events))

    async def events_after(self, cursor, limit, device=None):
        return await self.timer.timed("IndexedDB events_after", self.inner.events_after(cursor, limit, device))

    async def put_pulled(self, events, settings, values):
        real = getattr(settings, "inner", settings)  # so the IndexedDB store can write both in one transaction
        return await self.timer.timed("IndexedDB put_events", self.inner.put_pulled(events, real, values))

    async def records_after(self, cursor, limit, device):
        return await self.timer.timed("IndexedDB records_after", self.inner.records_after(cursor, limit, device))

    def __getattr__(self, name):
        return getattr(self.inner, name)


class TimedSettings:
    def __init__(self, inner, timer):
        self.inner, self.timer = inner, timer

    async def get(self, key, default=None):
        return await self.timer.timed("IndexedDB settings", self.inner.get(key, default))

    async def put(self, key, value):
        return await self.timer.timed("IndexedDB settings", self.inner.put(key, value))

    async def put_many(self, values):
        return await self.timer.timed("IndexedDB settings", self.inner.put_many(values))


def _service():
    return sync_dom.PANEL.service


async def fill(n: int, prefix: str) -> str:
    """n new entries in this device's store (not timed: the caregivers made them)."""
    log = _service().log
    events = make_events(n, prefix, log.device_id)
    for start in range(0, n, 10_000):
        await log.store.put_events(events[start:start + 10_000])
    return json.dumps({"stored": n})


async def configure(endpoint: str, passphrase: str, create: bool) -> str:
    t = now()
    message = await _service().configure(endpoint, passphrase=passphrase, create=create)
    return json.dumps({"message": message, "ms": now() - t})


async def run(segment_events: int = 0) -> str:
    """One sync run of the app's engine with timed adapters; the report and the split."""
    service = _service()
    log = service.log
    timer = Timer()
    cipher = await service.keys.get() if service.config.encrypted else None
    transport = TimedTransport(service.make_transport(service.authorization), timer)
    options = SyncOptions(segment_events=segment_events) if segment_events else None
    store = TimedStore(log.store, timer)
    reports = []

    async def locked():  # under the sync lock, as the app's runs are (sync_dom)
        reports.append(await sync_once(
            endpoint=service.config.endpoint, device_id=log.device_id, store=store, feed=store,
            transport=transport, settings=TimedSettings(log.settings, timer),
            cipher=None if cipher is None else TimedCipher(cipher, timer), options=options,
            circle_id=service.config.circle))

    proxy = create_proxy(locked)
    t = now()
    try:
        await js.carelogSync.withLock(sync_dom.LOCK_NAME, proxy)
    finally:
        proxy.destroy()
    total = now() - t
    report = reports[0]
    return json.dumps({"ms": total, "pulled": report.pulled, "pushed": report.pushed, "errors": report.errors,
                       "unexpected": report.unexpected, "files_read": report.files_read,
                       "files_written": report.files_written, "requests": transport.inner.requests,
                       "sent": transport.sent, "received": transport.received,
                       "split": timer.spent, "calls": timer.calls})


async def reads(rounds: int = 3) -> str:
    """The timeline's newest 50 entries and a day of events, as the app reads them
    (median of ``rounds`` each, ms), and how many pulled events wait in packs."""
    from carelog_bench import RECIPIENT

    store = _service().log.store
    newest = (await store.events_in_range(RECIPIENT, limit=1))[0].at
    out = {"timeline": [], "day": []}
    for _ in range(rounds):
        t = now()
        await store.find_events({"recipient": RECIPIENT, "limit": 50})
        out["timeline"].append(now() - t)
        t = now()
        await store.events_in_range(RECIPIENT, newest - 86_400_000, newest + 1)
        out["day"].append(now() - t)
    helper = getattr(js, "carelogArriving", None)
    waiting = int(await helper.pending()) if helper is not None else 0
    return json.dumps({k: sorted(v)[len(v) // 2] for k, v in out.items()} | {"waiting": waiting})


async def count() -> str:
    events, _ = await _service().log.store.events_after(0, 10_000_000)
    return json.dumps({"events": len(events), "ids": len({e.id for e in events})})

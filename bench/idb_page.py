"""Python half of bench/bench_idb.py: runs INSIDE the carelog page (Pyodide).

bench_idb.py loads this source into a module ``carelog_bench`` through
``window.carelogDebug.runPython`` (the page must be opened with ``?debug=1``)
and calls its coroutines; each returns a JSON string of figures. Times are
``performance.now()`` milliseconds taken inside the page, around the awaited
call only (building the Event objects is never inside a timed span).

The JS half (bench/idb_baseline.js) exposes ``globalThis.benchJs``.
bench/sync_page.py uses ``make_events`` and ``now`` too (bench_sync.py loads
this module first).
"""

import json

import js  # noqa: F401 - only inside Pyodide

from carelog.adapters.browser import IndexedDB
from carelog.adapters.webcrypto_vault import WebCryptoVault
from carelog.domain.events import Event
from carelog.domain.hlc import Stamp

RECIPIENT = "r-bench"
BASE_AT = 1_764_000_000_000  # 2025-11-24T16:00:00Z
STEP_MS = 60_000  # one event a minute
KINDS = ("medication", "vital", "symptom", "note")
_open = {}
BENCH_PASSPHRASE = "bench kettle sings at dawn"


async def _seal(db: IndexedDB) -> None:
    """Turn the passphrase lock on (untimed): from now on the database stores sealed records."""
    await WebCryptoVault(db.handle).set_up(BENCH_PASSPHRASE)


def now() -> float:
    return js.performance.now()


def _payload(i: int, kind: str) -> dict:
    """Small realistic payloads, like the app's forms write."""
    if kind == "medication":
        return {"name": "Metformin", "dose": "500 mg", "route": "oral", "status": "given"}
    if kind == "vital":
        return {"type": "pulse", "value": 60 + i % 40, "unit": "/min"}
    if kind == "symptom":
        return {"name": "pain", "severity": i % 10, "where": "left knee"}
    return {"text": f"Slept well, ate half of lunch, walked to the garden ({i})."}


def make_events(n: int, prefix: str = "e", device: str = "bench-device") -> list:
    """n create events for one recipient, one a minute, kinds in rotation."""
    events = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        at = BASE_AT + i * STEP_MS
        events.append(Event.create(
            id=f"{prefix}-{i:06d}", recipient=RECIPIENT, kind=kind, at=at,
            payload=_payload(i, kind), author="Ann", device=device,
            hlc=Stamp(at, 0, device).encode()))
    return events


def range_bounds(first: int, count: int) -> tuple[int, int]:
    """[lo, hi) of `at` covering events first..first+count-1."""
    lo = BASE_AT + first * STEP_MS
    return lo, lo + count * STEP_MS


async def _db(name: str) -> IndexedDB:
    if name not in _open:
        _open[name] = await IndexedDB.open(name)
    return _open[name]


async def close(name: str) -> str:
    db = _open.pop(name, None)
    if db is not None:
        db.handle.close()
    return "{}"


async def publish_records(n: int) -> str:
    """Put the JSON of the same n records into globalThis.benchRecordsJson (for JS)."""
    events = make_events(n)
    js.globalThis.benchRecordsJson = json.dumps([e.to_record() for e in events], separators=(",", ":"))
    return json.dumps({"records": n})


async def bulk_write(name: str, n: int, sealed: bool = False) -> str:
    """(1) IndexedDBEntryStore.put_events of n events in one batch: time the put only.
    ``sealed``: with the lock on (every record AES-GCM encrypted in the JS helper)."""
    await close(name)
    await js.benchJs.deleteDb(name)
    db = await _db(name)
    if sealed:
        await _seal(db)
    t = now()
    events = make_events(n)
    make_ms = now() - t
    t0 = now()
    added = await db.entries.put_events(events)
    put_ms = now() - t0
    # How much of it is Python serialising (to_record + json.dumps), timed apart.
    t1 = now()
    payload = json.dumps([e.to_record() for e in events], separators=(",", ":"))
    serialise_ms = now() - t1
    await close(name)
    if added != n:
        raise AssertionError(f"put_events added {added} of {n}")
    return json.dumps({"ms": put_ms, "make_ms": make_ms, "serialise_ms": serialise_ms,
                       "json_bytes": len(payload)})


async def fill(name: str, n: int, sealed: bool = False) -> str:
    """An untimed database of n events for the range reads (``sealed``: lock on)."""
    await close(name)
    await js.benchJs.deleteDb(name)
    db = await _db(name)
    if sealed:
        await _seal(db)
    added = await db.entries.put_events(make_events(n))
    return json.dumps({"added": added})


async def range_read(name: str, first: int, count: int, newest_first: bool) -> str:
    """(3) events_in_range over [first, first+count): total, and its parts."""
    db = await _db(name)
    lo, hi = range_bounds(first, count)
    t0 = now()
    events = await db.entries.events_in_range(RECIPIENT, start_at=lo, end_at=hi,
                                              newest_first=newest_first)
    total_ms = now() - t0
    if len(events) != count:
        raise AssertionError(f"events_in_range gave {len(events)} rows, wanted {count}")
    # The same call taken apart: JS helper (index read + JSON.stringify + string
    # to Python), json.loads, Event.from_record.
    query = json.dumps({"recipient": RECIPIENT, "start": lo, "end": hi, "kinds": None,
                        "limit": None, "newestFirst": newest_first})
    t1 = now()
    text = await db.handle.range(query)
    js_ms = now() - t1
    t2 = now()
    records = json.loads(text)
    loads_ms = now() - t2
    t3 = now()
    parsed = [Event.from_record(r) for r in records]
    build_ms = now() - t3
    return json.dumps({"ms": total_ms, "rows": len(events), "helper_ms": js_ms, "loads_ms": loads_ms,
                       "from_record_ms": build_ms, "json_bytes": len(text),
                       "same": len(parsed) == len(events)})


async def per_record(name: str, n: int) -> str:
    """(4) n events, one put_events([event]) (one transaction) each."""
    await close(name)
    await js.benchJs.deleteDb(name)
    db = await _db(name)
    events = make_events(n, prefix="p")
    t0 = now()
    for event in events:
        await db.entries.put_events([event])
    total = now() - t0
    await close(name)
    return json.dumps({"ms": total, "per_record_ms": total / n})

"""Whole histories are read with the "revised" store, and the visit report is unchanged.

The visit report, the charts' days and home read a range of events and every
other event of their entries (``histories`` in public/js/idb.js). Before the
"revised" schema step that asked the by_entry index for one count per entry;
now one read of the "revised" store (public/js/revisions.js) names the entries
that have edits or deletes. This test writes 60 days of care made with the
app's own use cases (vitals, doses, notes, a plan) with edits that move
entries into and out of the report's period, deletes and a conflict from a
second tablet into a database at the version before that step, reads the
histories there (the count per entry), upgrades it in place (the step fills
the store from the events already stored), reads them again, then writes more
revisions and reads once more. The rows must be the same, in the same order,
as the in-memory store's, and the visit report built from each must be equal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from carelog.adapters.memory import FixedClock
from carelog.bootstrap import build_for_tests
from carelog.domain.alerts import limits_from
from carelog.domain.careplan import plan_items
from carelog.domain.events import EDIT, Event
from carelog.interop.report import visit_report

from .helpers import wait_ready

pytestmark = pytest.mark.browser

DAY = 86_400_000
NOW = 1_770_000_000_000  # 2026-02-02, UTC (the FixedClock's offset is 0)
TZ = dt.timezone.utc
LAST = dt.date(2026, 2, 1)
FIRST = LAST - dt.timedelta(days=29)
LO = int(dt.datetime.combine(FIRST, dt.time(), TZ).timestamp() * 1000)
HI = int(dt.datetime.combine(LAST + dt.timedelta(days=1), dt.time(), TZ).timestamp() * 1000)

RUN = """
async ({records, later, queries}) => {
  const I = globalThis.carelogIdb;
  const drop = (name) => new Promise((ok, no) => {
    const r = indexedDB.deleteDatabase(name); r.onsuccess = () => ok(); r.onerror = () => no(r.error);
  });
  const read = async (db) => {
    const out = [];
    for (const q of queries) out.push(JSON.parse(await db.histories(JSON.stringify(q))));
    return out;
  };
  let withStore = null;  // the first schema version with the "revised" store
  for (let v = 1; v <= I.DB_VERSION && withStore === null; v += 1) {
    await drop("probe-revised");
    const probe = await I.open("probe-revised", v);
    if (probe.db.objectStoreNames.contains("revised")) withStore = v;
    probe.close();
  }
  await drop("probe-revised");
  await drop("t-histories");
  const old = await I.open("t-histories", withStore - 1);
  const oldStores = Array.from(old.db.objectStoreNames);
  const written = await old.putEvents(JSON.stringify(records));
  const before = await read(old);
  old.close();
  const db = await I.open("t-histories");
  const keys = () => new Promise((ok) => {
    const r = db.db.transaction("revised", "readonly").objectStore("revised").getAllKeys(); r.onsuccess = () => ok(r.result);
  });
  const after = await read(db);
  const revised = await keys();
  const laterWritten = await db.putEvents(JSON.stringify(later));
  const afterLater = await read(db);
  const revisedLater = await keys();
  const version = db.version;
  db.close();
  await drop("t-histories");
  return {withStore, oldStores, written, before, after, revised, laterWritten, afterLater, revisedLater, version,
          expected: I.DB_VERSION};
}
"""


def _edit(entry: Event, head: str, payload: dict, at: int, device: str, hlc_ms: int, ident: str) -> Event:
    """An edit made on another tablet (the app's use cases make them on this one)."""
    return Event(id=ident, recipient=entry.recipient, kind=entry.kind, entry=entry.entry, op=EDIT,
                 revises=(head,), at=at, payload=payload, author="Bob", device=device,
                 hlc=f"{hlc_ms:013d}-000000-{device}")


async def _care() -> tuple:
    """60 days of care and two rounds of revisions, made with the app's use cases in memory."""
    clock = FixedClock(NOW - 61 * DAY)
    log = build_for_tests(clock=clock)
    await log.set_caregiver("Ann")
    mum = await log.add_recipient({"name": "Mum"})
    await log.save_plan_item(mum.id, "med_plan", {"name": "Metformin", "dose": "1", "unit": "{tablet}",
                                                   "schedule": "daily", "times": "08:00",
                                                   "start_date": "2025-11-01"})
    made = []
    for day in range(60):
        clock.now = NOW - (60 - day) * DAY
        at = clock.now + 8 * 3_600_000
        made.append(await log.log(mum.id, "vital", {"type": "blood_pressure", "systolic": str(120 + day % 40),
                                                     "diastolic": "80", "unit": "mm[Hg]", "at": str(at)}))
        made.append(await log.log(mum.id, "vital", {"type": "weight", "value": str(70 + day / 10), "unit": "kg",
                                                     "at": str(at + 60_000)}))
        made.append(await log.log(mum.id, "medication", {"name": "Metformin", "dose": "1", "unit": "{tablet}",
                                                         "status": "given" if day % 7 else "refused", "reason": "Asleep",
                                                         "at": str(at + 120_000)}))
        made.append(await log.log(mum.id, "note", {"text": f"Day {day}", "at": str(at + 180_000)}))
    clock.now = NOW - DAY
    by_day = lambda day, i: made[day * 4 + i]  # noqa: E731
    # moved out of the period (created inside), moved into it (created before), edited twice, deleted
    await log.edit(by_day(45, 1).id, {"type": "weight", "value": "75", "unit": "kg", "at": str(LO - 10 * DAY)})
    await log.edit(by_day(10, 0).id, {"type": "blood_pressure", "systolic": "190", "diastolic": "95",
                                      "unit": "mm[Hg]", "at": str(LO + 5 * DAY)})
    for value in ("150", "160"):
        await log.edit(by_day(50, 0).id, {"type": "blood_pressure", "systolic": value, "diastolic": "90",
                                          "unit": "mm[Hg]", "at": str(by_day(50, 0).at)})
    await log.delete(by_day(40, 3).id)
    await log.delete(by_day(5, 2).id)  # outside the period: not read
    # a conflict: two tablets edited the same reading
    store = log.store
    reading = by_day(55, 1)
    await store.put_events([_edit(await _first(store, reading.id), reading.id,
                                  {"type": "weight", "value": 80.0, "unit": "kg", "loinc": "29463-7"},
                                  reading.at, "tablet-b", NOW - DAY + 5, "bob-edit-1")])
    first_round = list(store._events.values())
    # later (after the upgrade): revisions of entries that had none
    clock.now = NOW - DAY // 2
    await log.edit(by_day(35, 2).id, {"name": "Metformin", "dose": "1", "unit": "{tablet}", "status": "skipped",
                                      "reason": "Nausea", "at": str(by_day(35, 2).at)})
    await log.edit(by_day(20, 1).id, {"type": "weight", "value": "69", "unit": "kg", "at": str(LO + DAY)})
    await log.delete(by_day(58, 3).id)
    later = [e for e in store._events.values() if e not in first_round]
    return log, mum.id, first_round, later


async def _first(store, entry_id: str) -> Event:
    return next(e for e in await store.events_of_entries([entry_id]) if e.id == entry_id)


def _queries(rid: str) -> list[dict]:
    base = {"recipient": rid, "limit": None, "newestFirst": False}
    return [{**base, "start": LO - DAY, "end": HI, "kinds": None},  # what the report screen reads
            {**base, "start": LO - 15 * DAY, "end": HI, "kinds": ["vital"], "types": ["weight"]},
            {**base, "start": LO, "end": HI, "kinds": ["medication", "task"]}]


async def _memory_histories(store, queries: list[dict]) -> list[set[str]]:
    out = []
    for q in queries:
        found = await store.histories_in_range(q["recipient"], q["start"], q["end"], kinds=q["kinds"],
                                               types=q.get("types"))
        out.append({e.id for e in found})
    return out


def _report(rows: list[dict], rid: str, items, limits):
    events = [Event.from_stored(r) for r in rows]
    return visit_report(events, rid, FIRST, LAST, TZ, NOW, items, limits, name="Mum")


def test_histories_and_the_visit_report_are_unchanged_by_the_revised_store(page, app_server):
    log, rid, first_round, later = _run(_care())
    queries = _queries(rid)
    everything = first_round + later
    items, limits = plan_items(everything, rid), limits_from(everything, rid)
    expected_first = _run(_memory_histories(_MemoryOf(first_round), queries))
    expected_later = _run(_memory_histories(log.store, queries))

    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    got = page.evaluate(RUN, {"records": [e.to_record() for e in first_round],
                              "later": [e.to_record() for e in later], "queries": queries})

    assert got["version"] == got["expected"] and got["withStore"] >= 2
    assert "revised" not in got["oldStores"]
    assert got["written"] == len(first_round) and got["laterWritten"] == len(later)
    # the upgrade filled the store from the events already stored; writes keep it up
    assert set(got["revised"]) == {e.entry for e in first_round if e.id != e.entry}
    assert set(got["revisedLater"]) == {e.entry for e in everything if e.id != e.entry}
    assert len(got["revisedLater"]) > len(got["revised"]) >= 5
    for before, after, expected in zip(got["before"], got["after"], expected_first):
        assert [r["id"] for r in after] == [r["id"] for r in before]  # same rows, same order
        assert {r["id"] for r in after} == expected  # and what the in-memory store reads
    for rows, expected in zip(got["afterLater"], expected_later):
        assert {r["id"] for r in rows} == expected and len(rows) == len(expected)

    # the visit report: the same before and after the step, and the same as from memory
    report_before = _report(got["before"][0], rid, items, limits)
    report_after = _report(got["after"][0], rid, items, limits)
    assert report_after == report_before
    from_memory = _run(_MemoryOf(first_round).histories_in_range(rid, LO - DAY, HI))
    assert report_after == visit_report(from_memory, rid, FIRST, LAST, TZ, NOW, items, limits, name="Mum")
    report_later = _report(got["afterLater"][0], rid, items, limits)
    assert report_later == visit_report(_run(log.store.histories_in_range(rid, LO - DAY, HI)), rid,
                                        FIRST, LAST, TZ, NOW, items, limits, name="Mum")
    assert report_later != report_after  # the later revisions (a skipped dose, a reading moved in) show
    # the reading moved into the period and the other tablet's edit are among the rows read
    payloads = {r["id"]: r["payload"] for r in got["after"][0]}
    assert "bob-edit-1" in payloads and payloads["bob-edit-1"]["value"] == 80
    assert any(p.get("systolic") == 190 for p in payloads.values())


def _MemoryOf(events):  # noqa: N802 - a store holding these events
    from carelog.adapters.memory import MemoryEntryStore

    store = MemoryEntryStore()
    _run(store.put_events(events))
    return store


def _run(coro):
    """Run a coroutine to its end on a thread of its own (Playwright's loop owns this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()

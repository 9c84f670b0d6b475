"""The charts' vital days cache in real IndexedDB is always right, with the lock off and on.

A caregiver's readings over two months are charted (the cache fills); then a
new reading, an edit that moves a reading to another day, a delete, and a
sync-like batch of another device's events (an edit and a new reading), and an
edit that arrives before the reading it edits, each drop exactly the buckets they change in their own transaction (read straight
after the write: those days are missing, the others kept), and the chart the
app draws next equals the chart folded from the events. A damaged bucket is
rebuilt. With the lock on, a bucket is sealed (recipient and day only in
clear); turning the lock on over existing data drops the buckets held in clear.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from .helpers import run_python, setup_person, wait_ready, wait_screen
from .test_lock import PASSPHRASE, set_up_lock

pytestmark = pytest.mark.browser

DAY = 86_400_000

PRELUDE = """
import json
from carelog.domain import vitaldays, vitalseries
from carelog.domain.events import EDIT, Event
from carelog.domain.zones import day_bounds, local_date
from carelog.ui import lock_dom
from carelog.vitaldays_cache import chart_entries

c = lock_dom.SCREEN.app.controller
log, rid, tz = c.log, c.state.recipient.id, c.state.care.tz
first, last = vitalseries.span(local_date(log.clock.now_ms(), tz), 90)
lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
span_days = vitaldays.utc_days(lo, hi)

async def missing():
    got = await log.vital_days.read(rid, span_days.start, span_days.stop - 1, "heart_rate")
    return got.missing

async def check(days=90):
    before = await missing()
    await c.navigate("#/settings")
    await c.navigate(f"#/charts/heart_rate/{days}")  # the app's own path: the cache, rebuilt where missing
    shown = c.state.report.chart
    events = await log.store.events_in_range(rid, kinds=("vital",), newest_first=False)
    a, b = vitalseries.span(local_date(log.clock.now_ms(), tz), days)
    direct = vitalseries.vital_chart(events, "heart_rate", tz, a, b, await log.limits(rid))
    return {"missing_before": before, "missing_after": await missing(), "same": shown == direct,
            "values": [p.value for p in shown.series[0].points], "route": c.state.route}

def day_of(at):
    return at // vitaldays.DAY_MS
"""

SEED = PRELUDE + """
now = log.clock.now_ms()
ids = []
for i in range(12):
    saved = await log.log(rid, "vital", {"type": "heart_rate", "value": str(60 + i), "unit": "/min",
                                         "at": str(now - (5 * i + 1) * 86_400_000)})
    ids.append(saved.id)
await log.log(rid, "vital", {"type": "blood_pressure", "systolic": "130", "diastolic": "80", "unit": "mm[Hg]",
                             "at": str(now - 2 * 86_400_000)})
first_draw = await check()
json.dumps({"ids": ids, "first": first_draw, "second": await check(), "now": now})
"""

NEW_READING = PRELUDE + """
at = log.clock.now_ms() - 3 * 86_400_000
await log.log(rid, "vital", {"type": "heart_rate", "value": "99", "unit": "/min", "at": str(at)})
json.dumps({"day": day_of(at), **(await check())})
"""

MOVE = PRELUDE + """
entry = await log.entry(ENTRY_ID)
to_at = entry.at - 7 * 86_400_000 + 3_600_000
await log.edit(entry.id, {"type": "heart_rate", "value": "77", "unit": "/min", "at": str(to_at)})
json.dumps({"days": sorted({day_of(entry.at), day_of(to_at)}), **(await check(365))})
"""

DELETE = PRELUDE + """
entry = await log.entry(ENTRY_ID)
await log.delete(entry.id)
json.dumps({"days": [day_of(entry.at)], **(await check())})
"""

SYNC_BATCH = PRELUDE + """
# what a sync pull stores: another device's events, one put_events batch
entry = await log.entry(ENTRY_ID)
stamp = log.next_stamp()
other = stamp[:-len(log.device_id)] + "otherdevice1"
moved_to = entry.at + 2 * 86_400_000
edit = Event(id="sync-edit-1", recipient=rid, kind="vital", entry=entry.id, op=EDIT, revises=entry.head_ids,
             at=moved_to, payload={"type": "heart_rate", "value": 55, "unit": "/min"}, author="Bea",
             device="otherdevice1", hlc=other)
fresh_at = log.clock.now_ms() - 40 * 86_400_000
new = Event.create(id="sync-new-1", recipient=rid, kind="vital", at=fresh_at,
                   payload={"type": "heart_rate", "value": 111, "unit": "/min"}, author="Bea",
                   device="otherdevice1", hlc=log.next_stamp()[:-len(log.device_id)] + "otherdevice1")
await log.store.put_events([edit, new])
json.dumps({"days": sorted({day_of(entry.at), day_of(moved_to), day_of(fresh_at)}), **(await check())})
"""

# what a real pull stores: the events and the checkpoint past them, one put_pulled transaction
PULLED = SYNC_BATCH.replace("await log.store.put_events([edit, new])",
                            'await log.store.put_pulled([edit, new], log.settings, {"pull_checkpoint_test": 1})')
PULLED = PULLED.replace('"sync-edit-1"', '"pull-edit-1"').replace('"sync-new-1"', '"pull-new-1"')

LATE_CREATE = PRELUDE + """
# sync can bring another device's edit before the reading it edits
def stamp():
    return log.next_stamp()[:-len(log.device_id)] + "otherdevice1"
now = log.clock.now_ms()
create = Event.create(id="late-create-1", recipient=rid, kind="vital", at=now - 10 * 86_400_000,
                      payload={"type": "heart_rate", "value": 42, "unit": "/min"}, author="Dee",
                      device="otherdevice1", hlc=stamp())
edit = Event(id="early-edit-1", recipient=rid, kind="vital", entry=create.id, op=EDIT, revises=(create.id,),
             at=now - 12 * 86_400_000, payload={"type": "heart_rate", "value": 44, "unit": "/min"}, author="Bea",
             device="otherdevice1", hlc=stamp())
await log.store.put_events([edit])
early = await check()
await log.store.put_events([create])  # the reading's first version: who recorded it changes
json.dumps({"early": early, "late": await check(), "days": sorted({day_of(create.at), day_of(edit.at)}),
            "by": [p.by for p in c.state.report.chart.series[0].points if p.value == 44]})
"""

# Damage one bucket in IndexedDB itself: with the lock off its readings become junk (or
# text that is not JSON, or the row is of the first format: readings as arrays, not text),
# with the lock on one byte of its ciphertext flips.
DAMAGE = """async ([day, how]) => {
  const db = await new Promise((ok, fail) => { const r = indexedDB.open("carelog"); r.onsuccess = () => ok(r.result);
                                               r.onerror = () => fail(r.error); });
  const store = () => db.transaction("vital_days", "readwrite").objectStore("vital_days");
  const keys = await new Promise((ok) => { const r = store().getAllKeys(); r.onsuccess = () => ok(r.result); });
  const key = keys.find((k) => Array.isArray(k) && k[1] === day);
  const row = await new Promise((ok) => { const r = store().get(key); r.onsuccess = () => ok(r.result); });
  let damaged;
  if (row.sealed) {
    const ct = new Uint8Array(row.sealed.ct);
    ct[0] ^= 0xff;
    damaged = { sealed: { iv: row.sealed.iv, ct } };
  } else {
    damaged = {
      junk: { v: 2, t: { heart_rate: '[["junk", "noon", 7, null]]' } },
      text: { v: 2, t: { heart_rate: '[["a", 1, "Ann", {}' } },
      format1: { v: 1, t: { heart_rate: [["old", day * 86400000 + 5, "Ann", { unit: "/min", value: 12 }]] } },
    }[how];
  }
  await new Promise((ok, fail) => { const tx = db.transaction("vital_days", "readwrite");
    tx.objectStore("vital_days").put(damaged, key); tx.oncomplete = ok; tx.onerror = () => fail(tx.error); });
  db.close();
  return key;
}"""

RAW_BUCKETS = """async () => {
  const db = await new Promise((ok, fail) => { const r = indexedDB.open("carelog"); r.onsuccess = () => ok(r.result);
                                               r.onerror = () => fail(r.error); });
  const tx = db.transaction("vital_days", "readonly");
  const [keys, rows] = await Promise.all(["getAllKeys", "getAll"].map((m) => new Promise((ok) => {
    const r = tx.objectStore("vital_days")[m](); r.onsuccess = () => ok(r.result); })));
  db.close();
  return keys.map((k, i) => ({ key: k, fields: rows[i] && typeof rows[i] === "object" ? Object.keys(rows[i]).sort() : [],
                               text: JSON.stringify(rows[i]) }));
}"""


# The cache's read with getAllRecords (one request) and without it (getAllKeys and getAll, as in a
# browser that lacks it): the same answer. The page's Python hands over its open database and query.
BOTH_READS = """async ([query]) => {
  const proto = IDBObjectStore.prototype;
  const one = await carelogVitalDays.read(globalThis.__vitalDaysDb, query);
  const kept = proto.getAllRecords;
  delete proto.getAllRecords;
  try {
    return [kept !== undefined, one, await carelogVitalDays.read(globalThis.__vitalDaysDb, query)];
  } finally {
    if (kept !== undefined) proto.getAllRecords = kept;
  }
}"""


def _py(page, source: str) -> dict:
    return json.loads(run_python(page, source))


def _buckets(page) -> list[dict]:
    return [b for b in page.evaluate(RAW_BUCKETS) if isinstance(b["key"], list)]


@pytest.mark.parametrize("lock", ["off", "on"])
def test_the_chart_from_the_cache_is_the_chart_from_the_events(make_page, app_server, lock):
    page = make_page()
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    if lock == "on":
        set_up_lock(page)
    else:
        page.click("[data-lock=skip]")
        page.click("[data-lock=skip-confirm]")
    setup_person(page)

    seeded = _py(page, SEED)
    first, second = seeded["first"], seeded["second"]
    assert len(first["missing_before"]) >= 90 and first["same"] and first["missing_after"] == []
    assert first["values"] == [float(60 + i) for i in reversed(range(12))]
    assert second["missing_before"] == [] and second["same"]  # drawn from the cache alone

    # the screen shows it: the chart and its table
    page.evaluate("location.hash = '#/charts/heart_rate/90'")
    expect(page.locator("svg.chart-svg[data-vital=heart_rate][data-days='90']")).to_have_count(1)

    # a new reading: its day's bucket is gone straight after the write, the others kept
    result = _py(page, NEW_READING)
    assert result["missing_before"] == [result["day"]] and result["same"] and result["missing_after"] == []
    assert 99.0 in result["values"]

    # an edit moving a reading 7 days back: both days dropped, the value moves
    result = _py(page, MOVE.replace("ENTRY_ID", repr(seeded["ids"][3])))
    assert result["missing_before"] == result["days"] and result["same"] and result["missing_after"] == []
    assert 77.0 in result["values"] and 63.0 not in result["values"]

    # a delete
    result = _py(page, DELETE.replace("ENTRY_ID", repr(seeded["ids"][5])))
    assert result["missing_before"] == result["days"] and result["same"]
    assert 65.0 not in result["values"]

    # a sync-like batch: another device's edit (moving a reading) and a new reading
    result = _py(page, SYNC_BATCH.replace("ENTRY_ID", repr(seeded["ids"][1])))
    assert result["missing_before"] == result["days"] and result["same"] and result["missing_after"] == []
    assert 55.0 in result["values"] and 111.0 in result["values"] and 61.0 not in result["values"]

    # the same through a real pull's writer (events and checkpoint in one transaction)
    result = _py(page, PULLED.replace("ENTRY_ID", repr(seeded["ids"][2])))
    assert result["missing_before"] == result["days"] and result["same"] and result["missing_after"] == []
    assert 62.0 not in result["values"]

    # an edit that arrives before the reading it edits, then the reading: both days dropped
    result = _py(page, LATE_CREATE)
    assert result["early"]["same"] and result["late"]["same"] and result["by"] == ["Dee"]
    assert result["late"]["missing_before"] == result["days"]

    buckets = _buckets(page)
    assert len(buckets) >= 90
    if lock == "on":
        # sealed: only the key (recipient, day) in clear
        assert all(b["fields"] == ["sealed"] for b in buckets)
        assert not any("heart_rate" in b["text"] or "Ann" in b["text"] for b in buckets)
    else:
        assert any("heart_rate" in b["text"] for b in buckets)

    # a damaged bucket reads as missing and is rebuilt
    days = _py(page, PRELUDE + "json.dumps([day_of(log.clock.now_ms() - n * 86_400_000) for n in (10, 4, 3)])")
    for day, how in zip(days, ("format1", "text", "junk")):
        page.evaluate(DAMAGE, [day, how])
    result = _py(page, PRELUDE + "json.dumps(await check())")
    assert result["missing_before"] == sorted(days) and result["same"] and result["missing_after"] == []
    assert 99.0 in result["values"] and 12.0 not in result["values"]
    query = _py(page, PRELUDE + """
import js
js.globalThis.__vitalDaysDb = log.vital_days._db
json.dumps(json.dumps({"recipient": rid, "from": span_days.start, "to": span_days.stop - 1, "type": "heart_rate"}))""")
    had_records, one_request, two_requests = page.evaluate(BOTH_READS, [query])
    assert had_records and one_request == two_requests
    assert len(json.loads(one_request)["rows"]) >= 12 and json.loads(one_request)["missing"] == []
    if lock == "off":  # rebuilt in the current format: each type's readings as JSON text
        rebuilt = [json.loads(b["text"]) for b in _buckets(page) if b["key"][1] in days]
        assert len(rebuilt) == 3 and all(b["v"] == 2 and all(isinstance(text, str) for text in b["t"].values())
                                         for b in rebuilt)
        assert any("heart_rate" in b["t"] for b in rebuilt)

    if lock == "off":
        # turning the lock on seals the events and drops the buckets held in clear with them
        page.click("a.settings-link")
        wait_screen(page, "Settings")
        page.click("main [data-lock=settings]")
        set_up_lock(page, PASSPHRASE)
        assert not any("heart_rate" in b["text"] for b in _buckets(page))
        result = _py(page, PRELUDE + "json.dumps(await check())")
        assert result["same"] and result["missing_after"] == []
        assert all(b["fields"] == ["sealed"] for b in _buckets(page))

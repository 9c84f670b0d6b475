"""Pulled events wait in packs (public/js/arriving.js) and every read sees them,
in Chromium over real IndexedDB and WebCrypto, with the lock off and on.

Own entries are logged, then a pull (``put_pulled``) brings another device's
events: new notes, vitals and a medication, an edit that moves an own note a
week back, a delete of an own note, an edit of a pulled vital (arriving in the
same pull), an event already stored, and an entry of a second person. With
arranging paused (debug hook) the events are in packs, not in "events"; every
read of the store (ranges with and without limits, kinds, the timeline's
search with and without words, histories, entries, a kind, the newest stamp,
what was recorded since a stamp, the change feed) is asked, and the screens
the caregiver sees (the timeline, a chart) are read. Then the packs are
arranged and everything is asked again: the same answers, and the packs gone.
A second pull while packs wait counts only what is new, and a reload finishes
the packs by itself.
"""

from __future__ import annotations

import json

import pytest

from .helpers import OPEN_APP_DB, run_python, wait_ready
from .test_lock import unlock, wait_locked
from .test_search_index import APP_LOG, fresh_app

pytestmark = pytest.mark.browser

SEED = APP_LOG + """
import json
from carelog.domain.events import Event, EDIT, DELETE
now = log.clock.now_ms()
own = []
for i in range(30):
    e = await log.log(rid, "note", {"text": f"Morning walk number {i}", "at": str(now - (i + 1) * 3_600_000)})
    own.append(e.id)
json.dumps({"own": own, "rid": rid})
"""

PULL = APP_LOG + """
import json
from dataclasses import replace
from carelog.domain.events import Event, EDIT, DELETE
now = log.clock.now_ms()
seeded = json.loads(SEEDED)
stored = await log.store.events_of_entries(seeded["own"][:3])
by_id = {e.id: e for e in stored}
def stamp():
    return log.next_stamp()[:-len(log.device_id)] + "otherdevice1"
events = []
for i in range(40):
    events.append(Event.create(id=f"pulled-note-{i:03d}", recipient=rid, kind="note", at=now - i * 5_400_000,
                               payload={"text": f"Quokka visit {i} went well"}, author="Bea",
                               device="otherdevice1", hlc=stamp()))
for i in range(20):
    events.append(Event.create(id=f"pulled-vital-{i:03d}", recipient=rid, kind="vital", at=now - i * 86_400_000,
                               payload={"type": "heart_rate", "value": 70 + i, "unit": "/min"}, author="Bea",
                               device="otherdevice1", hlc=stamp()))
events.append(Event.create(id="pulled-med-1", recipient=rid, kind="medication", at=now - 600_000,
                           payload={"name": "Paracetamol", "dose": "500 mg", "status": "given"}, author="Bea",
                           device="otherdevice1", hlc=stamp()))
first = by_id[seeded["own"][0]]
events.append(Event(id="pulled-edit-own", recipient=rid, kind="note", entry=first.id, op=EDIT,
                    revises=(first.id,), at=first.at - 7 * 86_400_000,
                    payload={"text": "Morning walk moved a week back"}, author="Bea", device="otherdevice1",
                    hlc=stamp()))
second = by_id[seeded["own"][1]]
events.append(Event(id="pulled-delete-own", recipient=rid, kind="note", entry=second.id, op=DELETE,
                    revises=(second.id,), at=second.at, payload={}, author="Bea", device="otherdevice1",
                    hlc=stamp()))
events.append(Event(id="pulled-vital-edit", recipient=rid, kind="vital", entry="pulled-vital-003", op=EDIT,
                    revises=("pulled-vital-003",), at=now - 3 * 86_400_000,
                    payload={"type": "heart_rate", "value": 99, "unit": "/min"}, author="Bea",
                    device="otherdevice1", hlc=stamp()))
events.append(Event.create(id="pulled-someone-else", recipient="someone-else", kind="note", at=now - 60_000,
                           payload={"text": "Quokka for another person"}, author="Bea",
                           device="otherdevice1", hlc=stamp()))
third = by_id[seeded["own"][2]]
events.append(third)  # already stored: not new, takes no place
new = await log.store.put_pulled(events, log.settings, {"pull_checkpoint_test": 1})
json.dumps({"new": new, "sent": len(events)})
"""

# Every read of the store, as JSON (events as sorted dicts, so the order a read promises is kept
# where it promises one, and sets are compared as sets where it does not).
READS = APP_LOG + """
import json
from dataclasses import asdict
now = log.clock.now_ms()
def one(e):
    return json.dumps(asdict(e), sort_keys=True)
def ordered(events):
    return [one(e) for e in events]
def unordered(events):
    return sorted(one(e) for e in events)
store = log.store
week = 7 * 86_400_000
out = {}
out["range all"] = ordered(await store.events_in_range(rid, newest_first=False))
out["range newest 10"] = ordered(await store.events_in_range(rid, limit=10))
out["range oldest 5"] = ordered(await store.events_in_range(rid, limit=5, newest_first=False))
out["range a week, notes"] = ordered(await store.events_in_range(rid, now - week, now, kinds=["note"]))
out["range two kinds, newest 7"] = ordered(await store.events_in_range(rid, kinds=["vital", "medication"],
                                                                       limit=7))
out["histories vitals"] = unordered(await store.histories_in_range(rid, now - 30 * 86_400_000, now,
                                                                   kinds=["vital"], types=["heart_rate"]))
out["histories a day"] = unordered(await store.histories_in_range(rid, now - 86_400_000, now + 1))
found, more = await store.find_events({"recipient": rid, "limit": 12})
out["find newest 12 entries"] = [ordered(found), more]
found, more = await store.find_events({"recipient": rid, "kinds": ["note"], "author": "bea", "limit": 50})
out["find by author"] = [ordered(found), more]
found, more = await store.find_events({"recipient": rid, "words": ["quokka"], "limit": 15})
out["find word"] = [ordered(found), more]
found, more = await store.find_events({"recipient": rid, "words": ["morning", "walk"], "limit": 50})
out["find two words"] = [ordered(found), more]
found, more = await store.find_histories({"recipient": rid, "words": ["morning", "week"], "limit": 50})
out["find histories"] = [unordered(found), more]
out["entries"] = unordered(await store.events_of_entries(["pulled-vital-003", json.loads(SEEDED)["own"][0]]))
out["kind"] = unordered(await store.events_of_kind("medication"))
out["latest stamp"] = await store.latest_hlc()
out["recorded since"] = unordered(await store.histories_recorded_since(rid, json.loads(SEEDED)["stamp"]))
json.dumps(out)
"""

# The change feed (every device's events: a backup, a snapshot): packs are arranged first.
FEED = APP_LOG + """
import json
from dataclasses import asdict
everything, _ = await log.store.events_after(0, 100_000)
json.dumps(sorted(json.dumps(asdict(e), sort_keys=True) for e in everything))
"""
FEED_MINE = APP_LOG + """
mine, _ = await log.store.events_after(0, 100_000, log.device_id)
len(mine)
"""

RAW = "async () => {" + OPEN_APP_DB + """  const get = (req) => new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const tx = db.transaction(["arriving", "events"], "readonly");
  const packs = await get(tx.objectStore("arriving").getAll());
  const ids = await get(tx.objectStore("events").getAllKeys());
  db.close();
  return { arriving: packs.flatMap((pack) => pack.records), stored: ids };
}
"""

SCREENS = """async () => {
  const text = (sel) => [...document.querySelectorAll(sel)].map((n) => n.textContent.trim());
  const go = async (hash, sel) => {
    location.hash = "#/settings";
    await new Promise((r) => setTimeout(r, 50));
    location.hash = hash;
    const end = Date.now() + 30000;
    while (!document.querySelector(sel) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
  };
  await go("#/timeline", "ol.timeline");
  const timeline = text("ol.timeline .item-link .summary");
  await go("#/charts/heart_rate/30", "svg.chart-svg[data-vital=heart_rate]");
  const chart = document.querySelector("svg.chart-svg[data-vital=heart_rate]");
  return { timeline, chart: chart ? chart.outerHTML : null };
}"""


# Polled inside the page: the events still in packs once none is left, or the time is up.
ARRANGED_WITHIN = """async (ms) => {
  const end = Date.now() + ms;
  while ((await globalThis.carelogArriving.pending()) > 0 && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return globalThis.carelogArriving.pending();
}"""


def reads(page, seeded: str) -> dict:
    return json.loads(run_python(page, READS.replace("SEEDED", repr(seeded))))


@pytest.mark.parametrize("lock", [False, True], ids=["lock-off", "lock-on"])
def test_every_read_sees_arriving_events(make_page, app_server, lock):
    page = fresh_app(make_page, app_server, lock=lock)
    seeded = json.loads(run_python(page, SEED))
    seeded["stamp"] = run_python(page, APP_LOG + "await log.store.latest_hlc()")
    seeded = json.dumps(seeded)
    before = reads(page, seeded)
    feed_before = json.loads(run_python(page, FEED))
    mine_before = run_python(page, FEED_MINE)

    page.evaluate("() => globalThis.carelogArriving.pause()")
    pulled = json.loads(run_python(page, PULL.replace("SEEDED", repr(seeded))))
    assert pulled == {"new": 65, "sent": 66}

    raw = page.evaluate(RAW)
    arriving_ids = sorted(row["id"] for row in raw["arriving"])
    assert len(arriving_ids) == 65 and not set(arriving_ids) & set(raw["stored"])
    if lock:
        assert all(row.get("sealed") for row in raw["arriving"]) and "quokka" not in json.dumps(raw).lower()
    # a second pull while the packs wait: what is in a pack or stored is not new
    again = run_python(page, APP_LOG + """
from carelog.domain.events import Event
dup = (await log.store.events_of_entries(["pulled-note-001"]))
fresh = Event.create(id="pulled-late-1", recipient=rid, kind="note", at=log.clock.now_ms() - 1000,
                     payload={"text": "Quokka came back"}, author="Bea", device="otherdevice1",
                     hlc=log.next_stamp()[:-len(log.device_id)] + "otherdevice1")
await log.store.put_pulled(dup + [fresh], log.settings, {})
""")
    assert again == 1

    waiting = reads(page, seeded)
    waiting_screens = page.evaluate(SCREENS)
    assert page.evaluate("() => globalThis.carelogArriving.pending()") == 66  # nothing arranged meanwhile
    assert run_python(page, FEED_MINE) == mine_before  # one device's feed: the packs stay
    assert page.evaluate("() => globalThis.carelogArriving.pending()") == 66

    feed = json.loads(run_python(page, FEED))  # every device's: the packs are arranged first
    raw = page.evaluate(RAW)
    assert raw["arriving"] == [] and {*arriving_ids, "pulled-late-1"} <= set(raw["stored"])
    arranged = reads(page, seeded)
    assert waiting == arranged
    assert page.evaluate(SCREENS) == waiting_screens
    assert len(feed) == len(set(feed)) == len(feed_before) + 66
    assert set(feed_before) < set(feed)

    # and the reads did change with the pull (so the comparison above could fail)
    assert arranged != before
    assert len(arranged["find word"][0]) == 15 and arranged["find word"][1] is True
    assert any("moved a week back" in row for row in arranged["find histories"][0])
    assert any('"value": 99' in row for row in arranged["histories vitals"])
    assert not any("someone-else" in row for row in arranged["range all"])
    assert arranged["latest stamp"] > before["latest stamp"]
    assert any("Quokka" in line for line in waiting_screens["timeline"])


def test_a_reload_arranges_what_a_page_left_in_packs(make_page, app_server):
    page = fresh_app(make_page, app_server, lock=True)
    seeded = json.loads(run_python(page, SEED))
    seeded["stamp"] = ""
    seeded = json.dumps(seeded)
    page.evaluate("() => globalThis.carelogArriving.pause()")
    assert json.loads(run_python(page, PULL.replace("SEEDED", repr(seeded))))["new"] == 65
    waiting = reads(page, seeded)
    assert len(page.evaluate(RAW)["arriving"]) == 65

    page.reload()
    wait_locked(page, timeout=60_000)
    unlock(page)
    wait_ready(page)
    # the packs are arranged by themselves after the start
    left = page.evaluate(ARRANGED_WITHIN, 60_000)
    assert left == 0 and page.evaluate(RAW)["arriving"] == []
    assert reads(page, seeded) == waiting


def test_arranging_waits_for_a_sync_run_to_end(make_page, app_server):
    page = fresh_app(make_page, app_server, lock=False)
    seeded = json.loads(run_python(page, SEED))
    seeded["stamp"] = ""
    # a sync run holds its Web Lock (in this tab or another) until released here
    page.evaluate("""() => { globalThis.releaseSync = null;
      navigator.locks.request("carelog-sync", () => new Promise((resolve) => { globalThis.releaseSync = resolve; })); }""")
    page.wait_for_function("() => typeof globalThis.releaseSync === 'function'")
    assert json.loads(run_python(page, PULL.replace("SEEDED", repr(json.dumps(seeded)))))["new"] == 65
    page.wait_for_timeout(1500)
    assert page.evaluate("() => globalThis.carelogArriving.pending()") == 65  # nothing arranged during the run
    page.evaluate("() => globalThis.releaseSync()")
    left = page.evaluate(ARRANGED_WITHIN, 60_000)
    assert left == 0

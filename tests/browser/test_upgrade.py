"""A database written by the first release (schema version 1) is upgraded in place (to DB_VERSION).

Before carelog ever runs in a fresh context, a same-origin page builds version 1
exactly as ``UPGRADES[0]`` in public/js/idb.js does and fills it with a care
recipient, 2,000 notes in the app's record format (``Event.to_record``) and the
two settings. Then the app opens it: the latest version (idb.js's DB_VERSION)
with the indexes of version 2, the sync feed of version 3 (every old event
given a position), the search's word index of version 4 and the charts' vital
days cache of version 5 (empty), the pulled words' queue (empty), the recipient
and the newest notes on screen, every record readable.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from .helpers import OPEN_APP_DB, run_python, timeline_summaries, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

NOTES = 2000
BASE_AT = 1_760_000_000_000  # 2025-10-09: in the past, spaced a minute apart
DEVICE = "olddevice01"
RECIPIENT_ID = "0a1b2c3d-0000-4000-8000-000000000001"

CREATE_V1 = """
async ({notes, baseAt, device, recipientId}) => {
  const hlc = (wall, counter) => `${String(wall).padStart(13, "0")}-${counter.toString(16).padStart(6, "0")}-${device}`;
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open("carelog", 1);
    req.onupgradeneeded = () => {
      // exactly UPGRADES[0] of public/js/idb.js (the first release)
      const db = req.result;
      const events = db.createObjectStore("events", { keyPath: "id" });
      events.createIndex("by_recipient_at", ["recipient", "at"]);
      events.createIndex("by_entry", "entry");
      db.createObjectStore("settings", { keyPath: "key" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const tx = db.transaction(["events", "settings"], "readwrite");
  const events = tx.objectStore("events");
  events.add({
    id: recipientId, recipient: recipientId, kind: "recipient", entry: recipientId, op: "create",
    revises: [], at: baseAt - 86400000, payload: { name: "Grandpa Joe", birth_date: "1938-02-11" },
    author: "Old Ann", device, hlc: hlc(baseAt - 86400000, 0), v: 1,
  });
  for (let i = 0; i < notes; i += 1) {
    const id = `note-${String(i).padStart(5, "0")}`;
    const at = baseAt + i * 60000;
    events.add({
      id, recipient: recipientId, kind: "note", entry: id, op: "create", revises: [], at,
      payload: { text: `Old note ${i}` }, author: "Old Ann", device, hlc: hlc(at, i % 3), v: 1,
    });
  }
  const settings = tx.objectStore("settings");
  settings.put({ key: "caregiver_name", value: "Old Ann" });
  settings.put({ key: "current_recipient", value: recipientId });
  await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });
  const version = db.version;
  db.close();
  return version;
}
"""

INSPECT_RAW = "async () => {" + OPEN_APP_DB + """  const tx = db.transaction("events", "readonly");
  const store = tx.objectStore("events");
  const count = (req) => new Promise((resolve) => { req.onsuccess = () => resolve(req.result); });
  const out = {
    version: db.version,
    indexes: Array.from(store.indexNames).sort(),
    total: await count(store.count()),
    byKindNote: await count(store.index("by_kind").count("note")),
    byHlc: await count(store.index("by_hlc").count()),
    byRecipientKindAt: await count(store.index("by_recipient_kind_at").count(
      IDBKeyRange.bound([RECIPIENT, "note", -Infinity], [RECIPIENT, "note", Infinity]))),
    stores: Array.from(db.objectStoreNames).sort(),
  };
  const feedTx = db.transaction("feed", "readonly");
  out.feed = await count(feedTx.objectStore("feed").count());
  out.terms = await count(db.transaction("terms", "readonly").objectStore("terms").count());
  out.unindexed = await count(db.transaction("unindexed", "readonly").objectStore("unindexed").count());
  out.expected = globalThis.carelogIdb.DB_VERSION;
  db.close();
  return out;
}
""".replace("RECIPIENT", json.dumps(RECIPIENT_ID))

CHECK_IN_PYTHON = f"""
import json
from carelog.adapters.browser import IndexedDB

db = await IndexedDB.open("carelog")
store = db.entries
notes = await store.events_of_kind("note")
in_range = await store.events_in_range({RECIPIENT_ID!r}, kinds=["note"], limit=None)
newest = await store.events_in_range({RECIPIENT_ID!r}, kinds=["note"], limit=3)
recipients = await store.events_of_kind("recipient")
json.dumps({{
    "version": int(db.handle.version),
    "notes": len(notes),
    "distinct": len({{e.id for e in notes}}),
    "in_range": len(in_range),
    "newest": [e.payload["text"] for e in newest],
    "recipients": [e.payload["name"] for e in recipients],
    "latest_hlc": await store.latest_hlc(),
    "feed": [e.id for e in (await store.events_after(0, 100_000))[0]],
    "texts_ok": sorted(e.payload["text"] for e in notes) == sorted(f"Old note {{i}}" for i in range({NOTES})),
}})
"""


def test_version_1_database_is_upgraded_with_all_records(page, app_server):
    # a same-origin page, before the app (and its service worker) ever ran here
    # (a separate tab: Chromium asks for /favicon.ico on a JSON page, not the app's doing)
    setup = page.context.new_page()
    setup.goto(app_server.url + "asset-manifest.json")
    assert setup.evaluate("navigator.serviceWorker.controller") is None
    version = setup.evaluate(CREATE_V1, {"notes": NOTES, "baseAt": BASE_AT, "device": DEVICE,
                                         "recipientId": RECIPIENT_ID})
    assert version == 1
    setup.close()

    page.goto(app_server.url + "?debug=1")
    wait_ready(page)

    # the recipient and the newest notes, by the caregiver the settings named
    wait_screen(page, "Grandpa Joe")
    summaries = timeline_summaries(page)
    assert summaries[:3] == [f"Old note {NOTES - 1}", f"Old note {NOTES - 2}", f"Old note {NOTES - 3}"]
    assert len(summaries) == 50
    expect(page.locator("ol.timeline .by").first).to_have_text("by Old Ann")

    raw = page.evaluate(INSPECT_RAW)
    assert raw["version"] == raw["expected"]
    assert {"events", "feed", "keys", "settings", "terms", "vital_days", "revised", "unindexed"} <= set(raw["stores"])
    assert raw["unindexed"] == 0  # the word queue starts empty: every stored event has its terms
    assert raw["terms"] == NOTES + 1  # v3 -> v4: every stored event got its row in the word index
    assert raw["feed"] == NOTES + 1  # v2 -> v3: every stored event got a feed position
    assert raw["indexes"] == ["by_entry", "by_hlc", "by_kind", "by_recipient_at", "by_recipient_kind_at"]
    assert raw["total"] == NOTES + 1
    assert raw["byKindNote"] == NOTES  # the new indexes were built over the old records
    assert raw["byHlc"] == NOTES + 1
    assert raw["byRecipientKindAt"] == NOTES

    report = json.loads(run_python(page, CHECK_IN_PYTHON))
    assert report["version"] == raw["expected"]
    # the sync feed holds every old event once, in clock order (their best known order)
    assert len(report["feed"]) == len(set(report["feed"])) == NOTES + 1
    assert report["feed"][0] == RECIPIENT_ID
    assert report["notes"] == report["distinct"] == report["in_range"] == NOTES
    assert report["texts_ok"]
    assert report["newest"] == [f"Old note {NOTES - 1}", f"Old note {NOTES - 2}", f"Old note {NOTES - 3}"]
    assert report["recipients"] == ["Grandpa Joe"]
    last_at = BASE_AT + (NOTES - 1) * 60000
    assert report["latest_hlc"] == f"{last_at:013d}-{(NOTES - 1) % 3:06x}-{DEVICE}"

    # the upgraded log takes new entries, stamped after everything stored
    page.click("a.log-button[data-kind=note]")
    page.fill("#f-text", "First note after the update")
    page.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(page, "Saved: First note after the update")
    assert timeline_summaries(page)[0] == "First note after the update"
    expect(page.locator("ol.timeline .by").first).to_have_text("by Old Ann")
    newest_hlc = run_python(page, """
from carelog.adapters.browser import IndexedDB
await (await IndexedDB.open("carelog")).entries.latest_hlc()
""")
    assert newest_hlc > report["latest_hlc"]

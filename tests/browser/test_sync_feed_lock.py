"""Sync's batched IndexedDB paths with the passphrase lock on, in Chromium.

``records_after`` (a push's one read of the feed) gives the records in clear
while unlocked, refuses while locked (never ciphertext, never a partial
answer), and gives the same records again after unlocking. ``put_pulled``
(pulled events and the checkpoint in one transaction) seals both: the events
(in "events", or still in packs) and the settings row lie in IndexedDB as ciphertext.
"""

from __future__ import annotations

import json

import pytest

from .helpers import run_python, wait_ready

pytestmark = pytest.mark.browser

SCRIPT = """
import json
from dataclasses import replace

from carelog.adapters.browser import IndexedDB
from carelog.adapters.webcrypto_vault import WebCryptoVault
from carelog.domain.events import Event
from carelog.ports import StoreError, StorageUnavailable

SENTINEL = "feed-lock-sentinel-7"
database = await IndexedDB.open("feed-lock-check")
vault = WebCryptoVault(database.handle)
await vault.set_up("feed kettle sings")
store, settings = database.entries, database.settings

def event(n, device):
    ident = f"e{n:04d}"
    return Event(id=ident, recipient="r1", kind="note", entry=ident, op="create", revises=(),
                 at=1_700_000_000_000 + n, payload={"text": f"{SENTINEL} {n}"}, author="Ann", device=device,
                 hlc=f"{1_700_000_000_000 + n:013d}-000000-{device}")

mine = [event(n, "dev-1") for n in (1, 3, 5)]
await store.put_events([mine[0], event(2, "dev-2"), mine[1]])
pulled = await store.put_pulled([event(4, "dev-2"), mine[2]], settings,
                                {"sync:k:checkpoints": {"dev-2": {"read": 4, "note": SENTINEL}}})
before = await store.records_after(0, 100, "dev-1")
await vault.lock()
try:
    await store.records_after(0, 100, "dev-1")
    while_locked = "answered"
except (StoreError, StorageUnavailable) as error:
    while_locked = "refused"
opened = await vault.unlock("feed kettle sings")
after = await store.records_after(0, 100, "dev-1")
json.dumps({"pulled": pulled, "before": before[0], "positions": before[1], "last": before[2],
            "expected": [e.to_record() for e in mine[:2]], "while_locked": while_locked, "opened": opened,
            "after": after[0], "checkpoint": await settings.get("sync:k:checkpoints")})
"""

RAW = """async () => {
  const db = await new Promise((res, rej) => { const r = indexedDB.open("feed-lock-check");
    r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  // one transaction, one snapshot: a pack arranged meanwhile (arriving.js) is counted once
  const tx = db.transaction(["arriving", "events", "settings", "feed"]);
  const all = (store) => new Promise((res) => { const r = tx.objectStore(store).getAll();
    r.onsuccess = () => res(r.result); });
  const [packs, stored, settings, feed] = await Promise.all(["arriving", "events", "settings", "feed"].map(all));
  const events = [...stored, ...packs.flatMap((pack) => pack.records)];
  db.close();
  return {events: JSON.stringify(events.map((row) => ({...row, sealed: row.sealed ? "x" : null}))),
          sealedEvents: events.filter((row) => row.sealed && row.payload === undefined).length,
          checkpoint: settings.filter((row) => row.key === "sync:k:checkpoints")
                              .map((row) => ({sealed: !!row.sealed, hasValue: "value" in row})),
          feed: feed.length, feedIds: feed.flatMap((v) => (v.ids ? v.ids : [v])).map((p) => p[0])};
}"""


def test_records_after_and_put_pulled_with_the_lock_on(make_page, app_server):
    page = make_page()
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    result = json.loads(run_python(page, SCRIPT))
    assert result["pulled"] == 2
    # in clear, exactly as stored; e0005, this device's own but pulled (so on the endpoint
    # already), is in the pulled batch's one feed position, which a push skips
    assert result["before"] == result["expected"]
    assert len(result["positions"]) == 2 and result["last"] == 4
    assert result["while_locked"] == "refused"
    assert result["opened"] is True and result["after"] == result["expected"]
    assert result["checkpoint"] == {"dev-2": {"read": 4, "note": "feed-lock-sentinel-7"}}
    raw = page.evaluate(RAW)
    assert raw["sealedEvents"] == 5 and raw["feed"] == 4  # stored or still in packs, all sealed
    assert raw["feedIds"] == ["e0001", "e0002", "e0003", "e0004", "e0005"]
    assert "feed-lock-sentinel-7" not in raw["events"]
    assert raw["checkpoint"] == [{"sealed": True, "hasValue": False}]

"""Pulled events arrive in packs (public/js/arriving.js) and their words are
indexed after the pull (public/js/wordqueue.js), in Chromium over real
IndexedDB and WebCrypto, with the lock off and on.

A pull (``put_pulled``) stores the events in packs in the "arriving" store
(sealed with the lock on), not yet in "events". While arranging is paused
(debug hook), the word search finds a just-pulled entry (search.js reads the
arriving events). Arranged, the events are in "events" and their ids queued in
the "unindexed" store in the same transaction, with no word index row. While
the indexing is paused (debug hook), the word search still finds a just-pulled
entry (search.js reads the queued events themselves), alongside the indexed
ones, a page at a time. One chunk indexed, then a reload: the queue is still
there (durable), a reload with indexing paused still finds the words in the
stored (sealed, with the lock) events, and a reload without the pause
finishes the queue by itself: every pulled event then has its index row (keyed
tokens with the lock on, no word in clear) and the searches answer the same.
"""

from __future__ import annotations

import json

import pytest

from .helpers import OPEN_APP_DB, run_python, wait_ready
from .test_lock import unlock, wait_locked
from .test_search_index import APP_LOG, fresh_app, search, terms_of_rows

pytestmark = pytest.mark.browser

PULLED = 600
CHUNK = 250  # wordqueue.js CHUNK

RAW_QUEUE = "async () => {" + OPEN_APP_DB + """  const get = (req) => new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const tx = db.transaction(["terms", "unindexed", "events", "arriving"], "readonly");
  const out = {
    arriving: (await get(tx.objectStore("arriving").getAll())).flatMap((pack) => pack.records),
    queued: (await get(tx.objectStore("unindexed").getAll())).flat(),
    rows: await get(tx.objectStore("terms").getAll()),
    events: await get(tx.objectStore("events").getAll()),
  };
  db.close();
  return out;
}
"""

PULL = APP_LOG + f"""
from carelog.domain.events import Event
now = log.clock.now_ms()
events = []
for i in range({PULLED}):
    stamp = log.next_stamp()[:-len(log.device_id)] + "otherdevice1"
    text = "Zanzibar trip planned by Quentin" if i == 123 else f"Xylophonist lesson {{i}}"
    at = now - 3_600_000 - ({PULLED} - i) * 60_000  # an hour before the own notes, whatever the load
    events.append(Event.create(id=f"pulled-{{i:04d}}", recipient=rid, kind="note", at=at,
                               payload={{"text": text}}, author="Bea", device="otherdevice1", hlc=stamp))
await log.store.put_pulled(events, log.settings, {{"pull_checkpoint_test": 1}})
"""

QUEUE_EMPTIED = """
async (ms) => {
  const end = Date.now() + ms;
  let left = await globalThis.carelogWordQueue.pending();
  while (left > 0 && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = await globalThis.carelogWordQueue.pending();
  }
  return left;
}
"""

OWN = APP_LOG + """
for i in range(3):
    await log.log(rid, "note", {"text": f"Xylophonist came home {i}"})
await log.log(rid, "note", {"text": "Zanzibar postcard arrived"})
"""


def pulled_ids(raw) -> set[str]:
    return {row["id"] for row in raw["events"] if row["id"].startswith("pulled-")}


def indexed(raw) -> set[str]:
    return {row["id"] for row in raw["rows"]}


def reload(page, lock: bool) -> None:
    page.reload()
    if lock:
        wait_locked(page, timeout=60_000)
        unlock(page)
    wait_ready(page)


def searches_answer(page) -> None:
    assert sorted(search(page, "zanzib")) == ["Zanzibar postcard arrived", "Zanzibar trip planned by Quentin"]
    assert search(page, "quentin zanzibar") == ["Zanzibar trip planned by Quentin"]
    # the newest first, own and pulled together, a page at a time
    shown = search(page, "xylophon")
    assert len(shown) == 50 and page.locator("main a.show-more").count() == 1
    assert shown[:4] == [f"Xylophonist came home {i}" for i in (2, 1, 0)] + [f"Xylophonist lesson {PULLED - 1}"]
    assert shown[-1] == f"Xylophonist lesson {PULLED - 47}"
    assert search(page, "lesson 421") == ["Xylophonist lesson 421"]
    assert search(page, "xylophonists") == []


@pytest.mark.parametrize("lock", [False, True], ids=["lock-off", "lock-on"])
def test_pulled_words_found_before_and_after_indexing(make_page, app_server, lock):
    page = fresh_app(make_page, app_server, lock=lock)
    run_python(page, OWN)
    page.evaluate("() => { globalThis.carelogWordQueue.pause(); globalThis.carelogArriving.pause(); }")
    run_python(page, PULL)

    # stored in packs, not yet in "events": the search reads the packs
    raw = page.evaluate(RAW_QUEUE)
    assert sorted(row["id"] for row in raw["arriving"]) == [f"pulled-{i:04d}" for i in range(PULLED)]
    assert not pulled_ids(raw) and raw["queued"] == []
    if lock:
        assert all(row.get("sealed") for row in raw["arriving"])
        assert "zanzib" not in json.dumps(raw["arriving"]).lower()
    searches_answer(page)

    # arranged: stored, queued, not indexed: the search reads them itself
    page.evaluate("() => globalThis.carelogArriving.drain()")
    raw = page.evaluate(RAW_QUEUE)
    pulled = pulled_ids(raw)
    assert raw["arriving"] == []
    assert len(pulled) == PULLED and sorted(raw["queued"]) == sorted(pulled)
    assert not pulled & indexed(raw)
    searches_answer(page)

    # one chunk indexed: its events leave the queue with their rows written
    page.evaluate("() => globalThis.carelogWordQueue.step()")
    raw = page.evaluate(RAW_QUEUE)
    assert len(raw["queued"]) == PULLED - CHUNK
    assert len(pulled & indexed(raw)) == CHUNK and not set(raw["queued"]) & indexed(raw)
    searches_answer(page)

    # reload with indexing still paused: the queue is durable, and the stored events are searched
    page.evaluate("() => sessionStorage.setItem('pause', '1')")
    page.add_init_script("if (sessionStorage.getItem('pause') === '1') globalThis.carelogWordQueuePaused = true;")
    reload(page, lock)
    assert len(page.evaluate(RAW_QUEUE)["queued"]) == PULLED - CHUNK
    searches_answer(page)

    # reload without the pause: the queue is finished by itself
    page.evaluate("() => sessionStorage.removeItem('pause')")
    reload(page, lock)
    # polled inside the page: a wait_for_function predicate that returns a promise counts as met at once
    assert page.evaluate(QUEUE_EMPTIED, 60_000) == 0
    raw = page.evaluate(RAW_QUEUE)
    assert raw["queued"] == [] and pulled <= indexed(raw)
    stored = terms_of_rows(raw["rows"])
    if lock:
        assert all(len(t) == 12 for t in stored)  # keyed tokens only
        assert "zanzib" not in json.dumps(raw["rows"]).lower() and "xylophon" not in json.dumps(raw).lower()
    else:
        assert {"zan", "zanzi", "zanzibar", "xyl", "xylop", "xylophon"} <= stored
    searches_answer(page)

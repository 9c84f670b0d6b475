"""The timeline's word index (public/js/terms.js, search.js) in Chromium over
real IndexedDB and WebCrypto.

- Lock off: word-prefix, case- and accent-insensitive search finds entries by
  their current text only (an edit's old words and a deleted entry are not
  found); every event has its row in the "terms" store; the JavaScript words
  and terms agree with ``domain.search_words`` (CPython, in this process).
- Lock on: search finds entries, also after a reload and unlock (the term key
  is derived again, the same tokens); the raw database holds none of the
  words, neither in the events nor in the index. Turning the lock on over data
  stored in clear replaces its clear terms with tokens.
- Upgrade from the previous schema (built by the real idb.js, opened at its
  version): clear events are indexed during the upgrade; sealed ones after
  the unlock.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from carelog.domain import search_words as sw

from .helpers import OPEN_APP_DB, run_python, setup_person, timeline_summaries, wait_ready, wait_screen
from .test_lock import PASSPHRASE, RAW_DUMP, log_note, set_up_lock, unlock, wait_locked

pytestmark = pytest.mark.browser

# The "terms" store and the database's version, raw.
RAW_TERMS = "async () => {" + OPEN_APP_DB + """  const get = (req) => new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
  const tx = db.transaction(["terms", "events"], "readonly");
  const out = {
    version: db.version,
    expected: globalThis.carelogIdb ? globalThis.carelogIdb.DB_VERSION : null,
    rows: await get(tx.objectStore("terms").getAll()),
    events: await get(tx.objectStore("events").getAllKeys()),
    // events in clear whose payload has no word (a delete): they get no row
    wordless: (await get(tx.objectStore("events").getAll())).filter((row) => row.payload
      && !globalThis.carelogTerms.termsOfWords(globalThis.carelogTerms.payloadWords(row.payload)).size)
      .map((row) => row.id),
    pending: await get(tx.objectStore("terms").index("by_term").count(IDBKeyRange.only(["pending"]))),
  };
  db.close();
  return out;
}
"""

APP_LOG = """
from carelog.ui import lock_dom
log = lock_dom.SCREEN.app.controller.log
rid = lock_dom.SCREEN.app.controller.state.recipient.id
"""


# What the page shows and holds when a search did not show: the address, the lock, the screen, the
# toast and the pulled words not indexed yet.
SEARCH_STATE = """
async () => {
  const out = {hash: location.hash, lock: document.documentElement.dataset.lockState || null,
               heading: (document.querySelector("main h1") || {}).textContent || null,
               toast: (document.querySelector("#toast") || {}).textContent || null};
  try { out.queued = globalThis.carelogWordQueue ? await globalThis.carelogWordQueue.pending() : null; }
  catch (error) { out.queued = String(error); }
  return out;
}
"""


def search(page, text: str) -> list[str]:
    """Go to the timeline's search for ``text``; the summaries shown."""
    route = "#/timeline?q=" + text.replace(" ", "+")
    page.evaluate("(r) => { location.hash = r; }", route)
    try:
        expect(page.locator(f"main section[data-results='{route}']")).to_have_count(1, timeout=30_000)
    except AssertionError as error:
        raise AssertionError(f"search {text!r} not shown; the page: {page.evaluate(SEARCH_STATE)}") from error
    return timeline_summaries(page)


def terms_of_rows(rows) -> set[str]:
    return {element[0] for row in rows for element in row["t"] if len(element) == 2}  # [term, at]


def one_row_per_event(raw) -> bool:
    return sorted(row["id"] for row in raw["rows"]) == sorted(raw["events"])


def fresh_app(make_page, app_server, lock: bool):
    """A new page with the app (?debug=1): the passphrase lock set up or skipped, then Ann caring for Mum."""
    page = make_page()
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    if lock:
        set_up_lock(page)
    else:
        page.click("[data-lock=skip]")
        page.click("[data-lock=skip-confirm]")
    setup_person(page, caregiver="Ann", recipient="Mum")
    return page


def test_search_by_word_start_case_and_accents_with_the_lock_off(make_page, app_server):
    page = fresh_app(make_page, app_server, lock=False)
    run_python(page, APP_LOG + """
for i in range(300):
    await log.log(rid, "note", {"text": f"Routine check {i}, slept well"})
await log.log(rid, "note", {"text": "Called the AMBULANCE at 3am"})
await log.log(rid, "note", {"text": "Café crème after lunch"})
changed = await log.log(rid, "note", {"text": "Kitchen tap drips"})
await log.edit(changed.id, {"text": "Garden walk with Zoë"})
gone = await log.log(rid, "note", {"text": "Wobblestone visit"})
await log.delete(gone.id)
""")
    assert search(page, "amb") == ["Called the AMBULANCE at 3am"]
    assert search(page, "Ambulance 3AM") == ["Called the AMBULANCE at 3am"]
    assert search(page, "mbulance") == []  # inside a word: not a match
    assert search(page, "cafe CREME") == ["Café crème after lunch"]
    assert search(page, "zoe gard") == ["Garden walk with Zoë"]
    assert search(page, "kitchen") == []  # the edit's old words
    assert search(page, "wobblestone") == []  # deleted
    assert len(search(page, "routine")) == 50 and page.locator("main a.show-more").count() == 1
    assert search(page, "check 29") == ["Routine check 29, slept well"]  # a number: whole (not 290...)
    assert search(page, "check 299") == ["Routine check 299, slept well"]

    raw = page.evaluate(RAW_TERMS)
    assert raw["version"] == raw["expected"] and raw["pending"] == 0
    # one row per event with words; none for the delete (no words: no search can match it)
    assert len(raw["wordless"]) == 1
    assert sorted(row["id"] for row in raw["rows"]) == sorted(set(raw["events"]) - set(raw["wordless"]))
    assert all(row["t"] for row in raw["rows"])
    terms = terms_of_rows(raw["rows"])
    assert {"amb", "ambul", "ambulanc", "caf", "cre", "kit", "wob", "3am"} <= terms
    assert "mbulance" not in terms and "ambu" not in terms  # the stored prefix lengths: 3, 5, 8, 12

    # the same words and terms in JavaScript as in Python
    samples = ["Café crème, ÉLAN!", "Zoë's BP: 120/80, heart_rate 72.5 bpm", "Łódź ﬁne straße",
               "Σοφία ΟΔΟΣ", "İstanbul", "naïve — résumé 2nd", "supercalifragilisticexpialidocious", "  "]
    js = page.evaluate("""(samples) => samples.map((s) => {
      const words = carelogTerms.wordsOf(s);
      return {words, terms: [...carelogTerms.termsOfWords(words)].sort()};
    })""", samples)
    for sample, got in zip(samples, js):
        assert got["words"] == sw.words_of(sample), sample
        assert got["terms"] == sorted(sw.index_terms(sw.words_of(sample))), sample
    queries = ["amb", "ambu", "ambulance", "bp", "120", "3am", "supercalifragilistic", "zoe"]
    assert page.evaluate("(qs) => qs.map((q) => carelogTerms.queryTerm(q))", queries) == \
        [sw.lookup_term(q) for q in queries]

    # another device's note stored the way a sync pull stores it (with its checkpoint): found too
    run_python(page, APP_LOG + """
from carelog.domain.events import Event
stamp = log.next_stamp()[:-len(log.device_id)] + "otherdevice1"
note = Event.create(id="pulled-note-1", recipient=rid, kind="note", at=log.clock.now_ms() - 60_000,
                    payload={"text": "Pulled: Physiotherapist Quentin came"}, author="Bea",
                    device="otherdevice1", hlc=stamp)
await log.store.put_pulled([note], log.settings, {"pull_checkpoint_test": 1})
""")
    assert search(page, "physio quent") == ["Pulled: Physiotherapist Quentin came"]


def test_search_with_the_lock_on_stores_no_word_in_clear(make_page, app_server):
    page = fresh_app(make_page, app_server, lock=True)
    log_note(page, "Zebrafinch called the ambulance")
    log_note(page, "Slept well after the Quillwort tea")
    assert search(page, "zebra AMB") == ["Zebrafinch called the ambulance"]
    assert search(page, "quillw") == ["Slept well after the Quillwort tea"]

    def assert_no_clear_terms():
        dump = page.evaluate(RAW_DUMP)["dump"] + json.dumps(page.evaluate(RAW_TERMS)["rows"])
        for word in ("zebrafinch", "Zebrafinch", "ambulance", "quillwort", "Quillwort"):
            assert word not in dump
        raw = page.evaluate(RAW_TERMS)
        stored = terms_of_rows(raw["rows"])
        clear = sw.index_terms(sw.payload_words(["Zebrafinch called the ambulance", "Slept well after the Quillwort tea",
                                                 "Ann", "Mum"]))
        assert not stored & clear  # no term of those words, not even a short prefix, is stored as it is
        assert all(len(t) == 12 for t in stored)  # 9 bytes of HMAC-SHA256, base64
        assert one_row_per_event(raw)

    assert_no_clear_terms()
    # a reload and unlock derive the term key again: the stored tokens still match
    page.reload()
    wait_locked(page, timeout=60_000)
    unlock(page)
    wait_ready(page)
    expect(page.locator("html")).to_have_attribute("data-lock-state", "open")
    assert search(page, "zebrafinch") == ["Zebrafinch called the ambulance"]
    assert search(page, "tea slept") == ["Slept well after the Quillwort tea"]
    assert search(page, "zebrafinches") == []
    assert_no_clear_terms()


def test_turning_the_lock_on_replaces_clear_terms(make_page, app_server):
    page = fresh_app(make_page, app_server, lock=False)
    log_note(page, "Quokka ate porridge")
    assert {"quo", "quokk", "ate", "por", "porri"} <= terms_of_rows(page.evaluate(RAW_TERMS)["rows"])
    page.click("a.settings-link")
    wait_screen(page, "Settings")
    page.click("main [data-lock=settings]")
    set_up_lock(page)
    raw = page.evaluate(RAW_TERMS)
    stored = terms_of_rows(raw["rows"])
    assert not stored & sw.index_terms(sw.payload_words(["Quokka ate porridge", "Ann", "Mum"]))
    assert "quokka" not in json.dumps(raw["rows"]).lower()
    page.click("a.brand")
    wait_screen(page, "Mum")
    assert search(page, "quok porr") == ["Quokka ate porridge"]


# The schema before the word index (version 3), built by the app's own idb.js,
# filled with raw records (sealed by vault.js when `sealed`).
BUILD_PREVIOUS = """
async ({base, sealed, passphrase, notes}) => {
  const idb = await import(base + "js/idb.js");
  const vault = await import(base + "js/vault.js");
  const db = await idb.open("carelog", 3); // the last version without the word index
  if (sealed) await vault.setUp(db, passphrase, vault.ITERATIONS);
  const rid = "0a1b2c3d-0000-4000-8000-000000000009";
  const hlc = (wall) => `${String(wall).padStart(13, "0")}-000000-olddevice01`;
  const at0 = Date.now() - 30 * 86400000;
  const rec = (id, kind, at, payload) => ({ id, recipient: rid, kind, entry: id, op: "create", revises: [], at,
                                            payload, author: "Old Ann", device: "olddevice01", hlc: hlc(at), v: 1 });
  const plain = [rec(rid, "recipient", at0 - 1000, { name: "Grandpa Joe" })];
  for (let i = 0; i < notes; i += 1) {
    plain.push(rec(`note-${String(i).padStart(5, "0")}`, "note", at0 + i * 60000,
                   { text: i === 7 ? "Paramedics came, Marmalade-cat hid" : `Old note ${i}` }));
  }
  const rows = await vault.sealEvents(db, plain);
  const tx = db.db.transaction(["events", "settings", "feed"], "readwrite");
  for (const row of rows) { tx.objectStore("events").add(row); tx.objectStore("feed").add(row.id); }
  await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = () => reject(tx.error); });
  await db.putSetting("caregiver_name", JSON.stringify("Old Ann"));
  await db.putSetting("current_recipient", JSON.stringify(rid));
  const version = db.version;
  db.close();
  return [version, idb.DB_VERSION];
}
"""


@pytest.mark.parametrize("sealed", [False, True], ids=["clear", "sealed"])
def test_upgrade_from_the_previous_schema_indexes_what_is_stored(make_page, app_server, sealed):
    page = make_page()
    setup = page.context.new_page()
    setup.goto(app_server.url + "asset-manifest.json")
    version, latest = setup.evaluate(BUILD_PREVIOUS, {"base": app_server.url, "sealed": sealed,
                                                      "passphrase": PASSPHRASE, "notes": 400})
    assert version == 3 < latest
    setup.close()

    page.goto(app_server.url + "?debug=1")
    if sealed:
        wait_locked(page, timeout=60_000)
        raw = page.evaluate(RAW_TERMS)  # upgraded while locked: the sealed events wait for the key
        assert raw["version"] == latest and raw["pending"] == 401
        unlock(page)
    wait_ready(page)
    wait_screen(page, "Grandpa Joe")
    assert search(page, "marmalade PARAMEDIC") == ["Paramedics came, Marmalade-cat hid"]
    assert search(page, "old note 399") == ["Old note 399"]
    raw = page.evaluate(RAW_TERMS)
    assert raw["version"] == latest and raw["pending"] == 0
    assert one_row_per_event(raw)
    stored = terms_of_rows(raw["rows"])
    if sealed:
        assert not {"marma", "marmalad", "param", "old", "not", "399"} & stored
        assert "armalade" not in json.dumps(raw["rows"])
    else:
        assert {"marma", "marmalad", "param", "par", "old", "not", "399"} <= stored

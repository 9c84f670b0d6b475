"""A first visit does part of the app's work while the runtime loads.

boot.js opens the app's IndexedDB database while Python starts, and the app
takes that open over instead of making a second one (public/js/idb.js
``openEarly``). The zone rules are read from the stored tzdata zip that PyScript
copies next to the app (py/main.py puts it on ``sys.path``) instead of being
unpacked into ~600 files at every start: zones still work, offline too.
"""

from __future__ import annotations

import pytest

from .helpers import OPEN_APP_DB, run_python, setup_person, timeline_summaries, wait_ready, wait_screen
from .test_fast_start import reload_ready, start_path, wait_snapshot_saved

pytestmark = pytest.mark.browser

# every indexedDB.open, in order: [name, had Python been started yet?]
WATCH = """
(() => {
  globalThis.__opens = [];
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (name, ...rest) {
    globalThis.__opens.push([String(name), Boolean(document.querySelector("script[type=py]"))]);
    return open.call(this, name, ...rest);
  };
})();
"""

ZONES = """
import datetime as dt, os, sys, tzdata, zoneinfo
from carelog.domain.zones import zone, to_instant, wall_key
ny = zone("America/New_York")
[tzdata.__file__.startswith(os.path.abspath("tzdata-stored.zip")), os.path.isdir("tzdata"),
 wall_key(to_instant(dt.datetime(2024, 11, 3, 1, 30), ny), ny),
 str(dt.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo("Australia/Lord_Howe")).utcoffset()),
 len(zoneinfo.available_timezones()) > 400]
"""
ZONES_OK = [True, False, "2024-11-03T01:30", "10:30:00", True]


def test_first_visit_opens_the_database_early_and_reads_zones_from_the_zip(page, app_server):
    page.context.add_init_script(WATCH)
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)

    # one open of the app's database, begun before Python was: the app took it over
    assert page.evaluate("globalThis.__opens.filter(([name]) => name === 'carelog')") == [["carelog", False]]
    # the zone rules come from the zip (not unpacked), every zone there
    assert run_python(page, ZONES) == ZONES_OK

    setup_person(page, "Dee", "Gran")
    before = timeline_summaries(page)
    wait_snapshot_saved(page)
    app_server.stop()  # offline: the service worker's cache, the restored snapshot
    reload_ready(page)
    assert start_path(page) == ("snapshot", None)
    assert page.evaluate("globalThis.__opens.filter(([name]) => name === 'carelog')") == [["carelog", False]]
    wait_screen(page, "Gran")
    assert timeline_summaries(page) == before
    assert run_python(page, ZONES) == ZONES_OK


# the first page's early open: once the app's upgrade has made the stores, keep the upgrade
# transaction busy (a chain of counts) and say so, so the test closes the page mid-upgrade
HOLD_UPGRADE = """
(() => {
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (name, ...rest) {
    const req = open.call(this, name, ...rest);
    if (String(name) === "carelog") {
      // registered after the app's onupgradeneeded (set as soon as open() returns)
      queueMicrotask(() => req.addEventListener("upgradeneeded", () => {
        const store = req.transaction.objectStore("settings");
        const spin = () => { store.count().onsuccess = spin; };
        spin();
        console.log("carelog-test: upgrade held");
      }));
    }
    return req;
  };
})();
"""

# every page of the context: the old version each upgrade of the app's database started from
UPGRADES = """
(() => {
  globalThis.__upgrades = [];
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (name, ...rest) {
    const req = open.call(this, name, ...rest);
    if (String(name) === "carelog") req.addEventListener("upgradeneeded", (e) => __upgrades.push(e.oldVersion));
    return req;
  };
})();
"""

STORES = "async () => {" + OPEN_APP_DB + "const out = [db.version, [...db.objectStoreNames]]; db.close(); return out; }"


def test_a_page_closed_during_the_early_open_leaves_the_next_start_whole(page, app_server):
    context = page.context
    context.add_init_script(UPGRADES)
    page.add_init_script(HOLD_UPGRADE)
    with page.expect_console_message(lambda msg: msg.text == "carelog-test: upgrade held", timeout=60_000):
        page.goto(app_server.url + "?debug=1")
    assert page.evaluate("globalThis.__upgrades") == [0]
    page.close()  # mid-upgrade: the first start's upgrade transaction is still running

    again = context.new_page()
    for event, handler in (("console", page.guard.on_console), ("pageerror", page.guard.on_page_error),
                           ("dialog", page.guard.on_dialog)):
        again.on(event, handler)
    again.goto(app_server.url + "?debug=1")
    wait_ready(again)
    # the cut upgrade left nothing behind: this start upgraded from nothing, the whole schema
    assert again.evaluate("globalThis.__upgrades") == [0]
    version, stores = again.evaluate(STORES)
    assert version == again.evaluate("carelogIdb.DB_VERSION")
    assert {"events", "settings", "keys", "feed", "terms", "vital_days", "revised", "unindexed"} <= set(stores)
    setup_person(again, "Dee", "Gran")
    again.reload()
    wait_ready(again)
    wait_screen(again, "Gran")
    assert again.evaluate("globalThis.__upgrades") == []

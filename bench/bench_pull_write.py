#!/usr/bin/env python3
"""The parts of a pull's IndexedDB write, measured one by one in the same page.

    python3 bench/bench_pull_write.py [--entries 10000] [--rounds 3]

A pull of 10,000 entries spends most of its time in ``writeEvents`` (idb.js):
per new event an ``events.add`` (5 indexes), a feed position, a row of the
search's word index and the charts' cached days dropped. This script boots
the app in Chromium (``?debug=1``), makes ``--entries`` events as
bench/sync_page.py does (the same kinds and payloads a pull of
``bench_sync.py`` stores), reads them back as stored records, and writes
them again from JS into fresh databases of the app's schema, one
transaction each (durability "relaxed", as ``putPulled``), adding one part
at a time:

- events alone (raw ``add``: the floor);
- + a feed position per event (auto-increment ``add``);
- + a word index row per event (``terms.put``, rows computed beforehand);
- + the vital days drop (``vitaldays.dropForRecord``);
- the word index's rows computed in JS (``clearTermRow``), no IndexedDB;
- the app's own ``writeEvents`` (everything, as a pull does it);
- the events with no index, with their body as one JSON string, and as rows
  of 500 events (what a row per event costs against a pack);
- the app's pull write with packs (``packPulled``, arriving.js), and its raw
  parts (a key read per event, then the packs).

Rounds alternate the variants, so a change of load hits all of them; the
median of the rounds is printed with the ratio to the floor of the same
round. Not a test: asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync import Device  # noqa: E402
from common import BenchServer, LoadMonitor, launch, machine_load, ms, snapshot_dist, table  # noqa: E402

JS_SETUP = """async () => {
  const base = new URL("js/", location.href);
  const vitalDays = await import(new URL("vitaldays.js", base));
  const terms = await import(new URL("terms.js", base));
  const app = globalThis.benchAppDb;
  const rows = await new Promise((res, rej) => {
    const r = app.transaction("events", "readonly").objectStore("events").getAll();
    r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  let serial = 0;
  const fresh = async () => (await globalThis.carelogIdb.open(`bench-part-${serial++}`)).db;
  const done = (tx) => new Promise((res, rej) => { tx.oncomplete = res; tx.onabort = () => rej(tx.error); });
  const termRows = rows.map(terms.clearTermRow);
  const WRITE = {
    async events(db) {
      const tx = db.transaction(["events"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events");
      for (const row of rows) events.add(row);
      await done(tx);
    },
    async feed(db) {
      const tx = db.transaction(["events", "feed"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events"), feed = tx.objectStore("feed");
      for (const row of rows) { events.add(row); feed.add([row.id, row.device]); }
      await done(tx);
    },
    async feedExplicit(db) {
      const tx = db.transaction(["events", "feed"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events"), feed = tx.objectStore("feed");
      let n = 1;
      for (const row of rows) { events.add(row); feed.add([row.id, row.device], n++); }
      await done(tx);
    },
    async feedOneRow(db) {
      const tx = db.transaction(["events", "feed"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events"), feed = tx.objectStore("feed");
      for (const row of rows) events.add(row);
      feed.add(rows.map((row) => [row.id, row.device]));
      await done(tx);
    },
    async terms(db) {
      const tx = db.transaction(["events", "terms"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events"), store = tx.objectStore("terms");
      rows.forEach((row, i) => { events.add(row); store.put(termRows[i]); });
      await done(tx);
    },
    async termsNonEmpty(db) {
      const tx = db.transaction(["events", "terms"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events"), store = tx.objectStore("terms");
      rows.forEach((row, i) => { events.add(row); if (termRows[i].t.length) store.put(termRows[i]); });
      await done(tx);
    },
    async termsAdd(db) {
      const tx = db.transaction(["events", "terms"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events"), store = tx.objectStore("terms");
      rows.forEach((row, i) => { events.add(row); store.add(termRows[i]); });
      await done(tx);
    },
    async termsOneRow(db) {
      const tx = db.transaction(["events", "terms"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events"), store = tx.objectStore("terms");
      const t = [];
      rows.forEach((row, i) => { events.add(row); for (const [term, at] of termRows[i].t) t.push([term, at, row.id]); });
      store.add({ id: "batch", t });
      await done(tx);
    },
    async inline(db) {
      const tx = db.transaction(["events"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events");
      rows.forEach((row, i) => { events.add({ ...row, t: termRows[i].t }); });
      await done(tx);
    },
    async vital(db) {
      const tx = db.transaction(["events", "vital_days"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events");
      for (const row of rows) events.add(row);
      for (const row of rows) vitalDays.dropForRecord(tx, row);
      await done(tx);
    },
    async all(db) {
      const tx = db.transaction(["events", "feed", "terms", "vital_days"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events"), feed = tx.objectStore("feed"), store = tx.objectStore("terms");
      rows.forEach((row, i) => { events.add(row); feed.add([row.id, row.device]); store.put(termRows[i]);
                                 vitalDays.dropForRecord(tx, row); });
      await done(tx);
    },
    async app(db, handle) {
      await handle.writeEvents(rows, {}, "relaxed");
    },
    async appPull(db, handle) {
      globalThis.carelogWordQueue.pause(); // the indexing after the pull is not timed here
      await handle.writeEvents(rows, {}, "relaxed", true);
    },
    async queue(db) {
      const tx = db.transaction(["events", "unindexed"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events");
      for (const row of rows) events.add(row);
      tx.objectStore("unindexed").add(rows.map((row) => row.id));
      await done(tx);
    },
    async noKind(db) { await WRITE.events(db); },
    async appPack(db, handle) {
      globalThis.carelogArriving.pause(); // the arranging after the pull is not timed here
      await handle.packPulled(rows, {});
    },
    async packKeys(db) {
      const tx = db.transaction(["events", "arriving"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events");
      const fresh = [];
      rows.forEach((row, i) => {
        const req = events.getKey(row.id);
        req.onsuccess = () => {
          if (req.result === undefined) fresh.push(row);
          if (i === rows.length - 1) {
            for (let k = 0; k < fresh.length; k += 500) tx.objectStore("arriving").add({ records: fresh.slice(k, k + 500) });
          }
        };
      });
      await done(tx);
    },
    async bare(db) { await WRITE.events(db); },
    async stringBody(db) {
      const tx = db.transaction(["events"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events");
      for (const row of rows) events.add(bodied[row.id]);
      await done(tx);
    },
    async segments(db) {
      const tx = db.transaction(["events"], "readwrite", { durability: "relaxed" });
      const events = tx.objectStore("events");
      for (let i = 0; i < rows.length; i += 500) events.add({ id: `seg-${i}`, rows: rows.slice(i, i + 500) });
      await done(tx);
    },
    async noKindHlc(db) { await WRITE.events(db); },
  };
  // the app's events store with the word index inside it (a multiEntry index on the record's "t")
  // (`without`: the indexes left out, for noKind / noKindHlc: the events alone with fewer indexes)
  const inlineDb = (name, without = []) => new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      const events = req.result.createObjectStore("events", { keyPath: "id" });
      if (without.includes("all")) return;
      events.createIndex("by_recipient_at", ["recipient", "at"]);
      events.createIndex("by_entry", "entry");
      events.createIndex("by_recipient_kind_at", ["recipient", "kind", "at"]);
      if (without.includes("all")) return;
      if (!without.includes("by_kind")) events.createIndex("by_kind", "kind");
      if (!without.includes("by_hlc")) events.createIndex("by_hlc", "hlc");
      if (!without.length) events.createIndex("by_term", "t", { multiEntry: true });
    };
    req.onsuccess = () => { const db = req.result; resolve({ db, close: () => db.close() }); };
    req.onerror = () => reject(req.error);
  });
  const bodied = {};
  for (const row of rows) {
    const { id, recipient, at, kind, entry, hlc } = row;
    bodied[id] = { id, recipient, at, kind, entry, hlc, body: JSON.stringify(row) };
  }
  globalThis.benchSample = rows[0];
  let termEntries = 0;
  for (const row of termRows) termEntries += row.t.length;
  const kinds = {};
  for (const row of rows) kinds[row.kind] = (kinds[row.kind] || 0) + 1;
  globalThis.benchParts = {
    async run(name) {
      if (name === "compute") {
        const t = performance.now();
        const out = rows.map(terms.clearTermRow);
        return { ms: performance.now() - t, n: out.length };
      }
      const handle = name === "inline" ? await inlineDb(`bench-part-${serial++}`)
        : name === "noKind" ? await inlineDb(`bench-part-${serial++}`, ["by_kind"])
        : name === "noKindHlc" ? await inlineDb(`bench-part-${serial++}`, ["by_kind", "by_hlc"])
        : name === "bare" || name === "segments" ? await inlineDb(`bench-part-${serial++}`, ["all"])
        : await globalThis.carelogIdb.open(`bench-part-${serial++}`);
      const t = performance.now();
      await WRITE[name](handle.db, handle);
      const ms = performance.now() - t;
      const name2 = handle.db.name;
      handle.close();
      await new Promise((res) => { const r = indexedDB.deleteDatabase(name2); r.onsuccess = res; r.onerror = res; });
      return { ms, n: rows.length };
    },
  };
  return { records: rows.length, termEntries, emptyTermRows: termRows.filter((r) => !r.t.length).length, kinds };
}"""

VARIANTS = [
    ("events", "events alone (raw add, the floor)"),
    ("feed", "+ feed position per event (auto-increment add)"),
    ("feedExplicit", "+ feed position per event, keys given (auto-increment store)"),
    ("feedOneRow", "+ ONE feed row holding every [id, device]"),
    ("terms", "+ word index row per event (terms.put)"),
    ("termsAdd", "+ word index row per event (terms.add instead of put)"),
    ("termsOneRow", "+ ONE word index row holding every [term, at, id]"),
    ("inline", "events with the word index inside (multiEntry on events)"),
    ("termsNonEmpty", "+ word index rows, none for an event with no words"),
    ("vital", "+ vital days drop (dropForRecord)"),
    ("all", "events + feed + terms + vital days (raw)"),
    ("app", "the app's writeEvents (all, terms computed inside)"),
    ("queue", "+ ONE word queue row holding every id (unindexed)"),
    ("appPull", "the app's pull write (putPulled: words queued, indexed later)"),
    ("noKind", "events alone, 4 indexes (no by_kind)"),
    ("noKindHlc", "events alone, 3 indexes (no by_kind, no by_hlc)"),
    ("bare", "events alone, NO index"),
    ("stringBody", "events, 5 indexes, body as one JSON string"),
    ("segments", "rows of 500 events, no index"),
    ("appPack", "the app's pull write with packs (packPulled: arranged later)"),
    ("packKeys", "a key read per event, then rows of 500 events (raw)"),
    ("compute", "word index rows computed in JS (clearTermRow), no IndexedDB"),
]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--entries", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", default="", help="comma-separated variant names (default: all)")
    p.add_argument("--dist", type=Path)
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    dist, manifest = snapshot_dist(args.dist, False)
    print(f"build {manifest.get('build', '?')}; {machine_load()}", flush=True)
    variants = [v for v in VARIANTS if not args.only or v[0] in args.only.split(",") or v[0] == "events"]
    times: dict[str, list[float]] = {name: [] for name, _ in variants}
    with BenchServer(dist) as server, sync_playwright() as playwright:
        monitor = LoadMonitor().start()
        browser = launch(playwright)
        try:
            dev = Device(browser, server, "http://127.0.0.1:1")
            dev.call(f"fill({args.entries}, 'a')")
            dev.py("import js\nfrom carelog.ui import sync_dom\n"
                   "js.globalThis.benchAppDb = sync_dom.PANEL.service.log.store.handle.db\n'1'")
            info = dev.page.evaluate(JS_SETUP)
            print(f"records {info['records']:,}; kinds {info['kinds']}; word index entries {info['termEntries']:,}; "
                  f"events with no words {info['emptyTermRows']:,}", flush=True)
            for r in range(args.rounds):
                for name, _ in variants:
                    out = dev.page.evaluate("(n) => globalThis.benchParts.run(n)", name)
                    times[name].append(out["ms"])
                print(f"round {r + 1}: " + ", ".join(f"{n} {times[n][-1]:,.0f}" for n, _ in variants), flush=True)
            dev.close()
        finally:
            browser.close()
            monitor.stop()
    rows = []
    floor = statistics.median(times["events"])
    for name, label in variants:
        med = statistics.median(times[name])
        ratios = [t / f for t, f in zip(times[name], times["events"])]
        rows.append([label, ms(med), ms(min(times[name])), f"{statistics.median(ratios):.2f}x",
                     ms(med - floor) if name not in ("events", "compute") else ""])
    print()
    print(table([f"writing {args.entries:,} pulled events (median of {args.rounds})", "ms", "min",
                 "/ floor (same round)", "cost over the floor"], rows))
    print(monitor.summary())
    print(machine_load())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

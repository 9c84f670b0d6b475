#!/usr/bin/env python3
"""Sync of an encrypted circle against a real nginx WebDAV, by the app in Chromium.

    python3 bench/bench_sync.py [--entries 10000] [--join 50000] [--segment-events 0]

Starts the app (a private copy of dist/) and a real nginx (tests/sync/nginx_server.py,
another origin, so CORS preflights are real). Each device is a fresh browser
context with the app booted (``?debug=1``); Python runs in the page through
``window.carelogDebug.runPython`` and drives the app's own engine and adapters
(bench/sync_page.py wraps them in timers).

1. push: device A holds --entries new entries (written to its IndexedDB before
   the clock starts), creates an encrypted circle, and one sync run pushes them.
2. pull: device B joins and one run pulls them.
3. join: device C holds --join entries and pushes them; device D joins a
   circle of that size: its first run.
Baseline, same run, same page: a pure-JS loop that GETs the same files B and
D read (fetch, ``cache: "no-store"``), and PUTs the same bytes A sent, one
after the other like the engine, with no crypto, JSON or IndexedDB; and the
floor of a pull: B's pulled records written again from JS with raw IndexedDB
calls in one transaction into a fresh database of the app's schema (the
events alone, and the events with their feed positions).

Prints time, requests (as the transport counts them, and all requests to nginx
Playwright saw, CORS preflights included), bytes sent and received, and where
a run's time went. Not a test: asserts nothing about timings.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (BENCH, ROOT, BenchServer, LoadMonitor, arg_parser, launch, load_page_module,  # noqa: E402
                    machine_load, ms, open_app, run_py, snapshot_dist, table)

sys.path.insert(0, str(ROOT))
from tests.sync.nginx_server import NginxServer  # noqa: E402

PASSPHRASE = "benchmark circle passphrase, long enough"

# After a run: how long the pulled events take to be arranged from their packs
# into the events store (arriving.js), and their words to be indexed (wordqueue.js),
# in the background (nothing to wait for in a build without them).
JS_WORDS_DONE = """async () => {
  const packs = globalThis.carelogArriving;
  const queue = globalThis.carelogWordQueue;
  const t = performance.now();
  const sleep = () => new Promise((resolve) => setTimeout(resolve, 50));
  if (packs) while ((await packs.pending()) > 0) await sleep();
  const arranged = performance.now() - t;
  if (!queue) return { ms: 0, queue: false, arranged, packs: !!packs };
  while ((await queue.pending()) > 0 || (packs && (await packs.pending()) > 0)) await sleep();
  return { ms: performance.now() - t, queue: true, arranged, packs: !!packs };
}"""

JS_GET = """async (urls) => {
  const t = performance.now(); let bytes = 0;
  for (const url of urls) {
    const r = await fetch(url, {cache: "no-store", credentials: "omit", mode: "cors"});
    bytes += (await r.arrayBuffer()).byteLength;
  }
  return {ms: performance.now() - t, bytes, requests: urls.length};
}"""

JS_PUT = """async ([sources, target]) => {
  const bodies = [];
  for (const url of sources) {
    const r = await fetch(url, {cache: "no-store"});
    bodies.push(new Uint8Array(await r.arrayBuffer()));
  }
  const t = performance.now(); let bytes = 0;
  for (let i = 0; i < bodies.length; i++) {
    const r = await fetch(target + "file-" + i + ".json", {method: "PUT", body: bodies[i],
      headers: {"Content-Type": "application/json"}, cache: "no-store", credentials: "omit", mode: "cors"});
    if (!r.ok) throw new Error("PUT " + r.status);
    bytes += bodies[i].length;
  }
  return {ms: performance.now() - t, bytes, requests: bodies.length};
}"""


# The floor of a pull: the same records written by raw IndexedDB calls from JS,
# in one transaction (durability "strict"), into a fresh database of the app's
# schema (carelogIdb.open creates it): the events alone (as bench_idb.py), and
# the events with their feed positions (what the app's schema needs).
JS_RAW_WRITE = """async ([name, feedToo]) => {
  const app = globalThis.benchAppDb;
  const rows = await new Promise((res, rej) => {
    const r = app.transaction("events", "readonly").objectStore("events").getAll();
    r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  const db = (await globalThis.carelogIdb.open(name)).db;
  const t = performance.now();
  const tx = db.transaction(["events", "feed"], "readwrite", { durability: "strict" });
  const events = tx.objectStore("events"), feed = tx.objectStore("feed");
  for (const row of rows) { events.add(row); if (feedToo) feed.add([row.id, row.device]); }
  await new Promise((res, rej) => { tx.oncomplete = res; tx.onabort = () => rej(tx.error); });
  const ms = performance.now() - t;
  db.close();
  return {ms, records: rows.length};
}"""


def parse_args(argv=None):
    p = arg_parser(__doc__)
    p.add_argument("--entries", type=int, default=10_000, help="entries pushed and pulled (default 10000)")
    p.add_argument("--join", type=int, default=50_000, help="size of the circle a new device joins (default 50000)")
    p.add_argument("--segment-events", type=int, default=0, help="events per segment (default: the app's)")
    return p.parse_args(argv)


class Device:
    """A browser context with the app booted and the bench module loaded."""

    def __init__(self, browser, server: BenchServer, nginx_origin: str):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.set_default_timeout(600_000)
        self.nginx_origin = nginx_origin
        self.to_nginx = 0
        self.page.on("request", self._on_request)
        open_app(self.page, server.app_url, timeout_ms=120_000)
        load_page_module(self.page, BENCH / "idb_page.py", "carelog_bench")  # its make_events
        load_page_module(self.page, BENCH / "sync_page.py", "carelog_sync_bench")
        for _ in range(600):
            if self.py("from carelog.ui import sync_dom\nimport json\njson.dumps(sync_dom.PANEL is not None)"):
                break
            time.sleep(0.1)
        else:
            raise SystemExit("the sync panel did not mount")

    def _on_request(self, request) -> None:
        if request.url.startswith(self.nginx_origin + "/"):
            self.to_nginx += 1

    def py(self, source: str):
        return run_py(self.page, source)

    def call(self, expr: str):
        return self.py(f"import carelog_sync_bench as b\nawait b.{expr}")

    def run(self, segment_events: int) -> dict:
        before = self.to_nginx
        result = self.call(f"run({segment_events})")
        result["to_nginx"] = self.to_nginx - before
        if result["errors"] or result["unexpected"]:
            raise SystemExit(f"sync run failed: {result['errors']} {result['unexpected']}")
        return result

    def close(self) -> None:
        self.context.close()


def kb(n: int) -> str:
    return f"{n / 1024:,.0f} KiB" if n < 10 * 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MiB"


def split_rows(label: str, result: dict) -> list[list]:
    rows = []
    accounted = 0.0
    for name, spent in sorted(result["split"].items(), key=lambda kv: -kv[1]):
        accounted += spent
        rows.append([f"  {label}: {name}", ms(spent), result["calls"][name]])
    rows.append([f"  {label}: the rest (Python: JSON, sha256, base64, checks)", ms(result["ms"] - accounted), ""])
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    dist, manifest = snapshot_dist(args.dist, args.build)
    print(f"build {manifest.get('build', '?')}; {machine_load()}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="carelog-bench-sync-"))
    figures: dict = {}
    with BenchServer(dist) as server, sync_playwright() as playwright:
        nginx = NginxServer(tmp / "nginx", app_origin=server.origin).start()
        monitor = LoadMonitor().start()
        browser = launch(playwright)
        try:
            seg = args.segment_events
            # 1-2: push and pull
            a = Device(browser, server, nginx.origin)
            a.call(f"fill({args.entries}, 'a')")
            ep = nginx.origin + "/c-push/"
            a.call(f"configure({ep!r}, {PASSPHRASE!r}, True)")
            push = a.run(seg)
            figures["push"] = push
            b = Device(browser, server, nginx.origin)
            joined = b.call(f"configure({ep!r}, {PASSPHRASE!r}, False)")
            pull = b.run(seg)
            figures["pull"] = pull
            figures["pull_words"] = b.page.evaluate(JS_WORDS_DONE)
            figures["pull_count"] = b.call("count()")
            files = sorted(p for p in nginx.files() if p.startswith("c-push/devices/") and "/seg-" in p)
            urls = [nginx.origin + "/" + p for p in files]
            b.py("import js\nfrom carelog.ui import sync_dom\n"
                 "js.globalThis.benchAppDb = sync_dom.PANEL.service.log.store.handle.db\n'1'")
            figures["raw_events"] = b.page.evaluate(JS_RAW_WRITE, ["bench-raw-events", False])
            figures["raw_feed"] = b.page.evaluate(JS_RAW_WRITE, ["bench-raw-feed", True])
            base_get = b.page.evaluate(JS_GET, urls)
            base_put = a.page.evaluate(JS_PUT, [urls, nginx.origin + "/baseline-put/"])
            figures["baseline_get"], figures["baseline_put"] = base_get, base_put
            a.close()
            b.close()
            # 3: a new device joins a big circle
            c = Device(browser, server, nginx.origin)
            c.call(f"fill({args.join}, 'c')")
            ep2 = nginx.origin + "/c-join/"
            c.call(f"configure({ep2!r}, {PASSPHRASE!r}, True)")
            push_big = c.run(seg)
            figures["push_big"] = push_big
            c.close()
            d = Device(browser, server, nginx.origin)
            d.call(f"configure({ep2!r}, {PASSPHRASE!r}, False)")
            d.page.evaluate("() => globalThis.carelogArriving && globalThis.carelogArriving.pause()")
            join = d.run(seg)
            figures["join"] = join
            figures["reads_waiting"] = d.call("reads()")  # the pulled events still in packs (paused)
            d.page.evaluate("() => globalThis.carelogArriving && globalThis.carelogArriving.resume()")
            figures["join_words"] = d.page.evaluate(JS_WORDS_DONE)
            figures["reads_arranged"] = d.call("reads()")
            figures["join_count"] = d.call("count()")
            files2 = sorted(p for p in nginx.files() if p.startswith("c-join/devices/") and
                            ("/seg-" in p or "/snap-" in p or p.endswith("index.json")))
            base_join = d.page.evaluate(JS_GET, [nginx.origin + "/" + p for p in files2])
            figures["baseline_join"] = base_join
            d.close()
        finally:
            browser.close()
            monitor.stop()
            nginx.stop()
    n, big = args.entries, args.join
    assert figures["pull_count"]["events"] == n, figures["pull_count"]
    assert figures["join_count"]["events"] == big, figures["join_count"]
    rows = []
    for label, key in ((f"push {n:,} (device A, first run)", "push"), (f"pull {n:,} (device B joins)", "pull"),
                       (f"push {big:,} (device C)", "push_big"), (f"join a circle of {big:,} (device D)", "join")):
        r = figures[key]
        rows.append([label, ms(r["ms"]), r["requests"], r["to_nginx"], kb(r["sent"]), kb(r["received"])])
    for label, key, sent in ((f"baseline: JS GET of the {n:,} files B read", "baseline_get", False),
                             ("baseline: JS PUT of the same bytes A sent", "baseline_put", True),
                             (f"baseline: JS GET of the files of the {big:,} circle", "baseline_join", False)):
        r = figures[key]
        rows.append([label, ms(r["ms"]), r["requests"], "", kb(r["bytes"]) if sent else "",
                     "" if sent else kb(r["bytes"])])
    for label, key in (("after the pull: its events arranged from packs in the background (arriving.js)",
                        "pull_words"),
                       ("after the join: its events arranged in the background", "join_words")):
        r = figures[key]
        rows.append([label, ms(r["arranged"]) if r.get("packs") else "(none)", "", "", "", ""])
    for label, key in (("after the pull: its words indexed in the background (wordqueue.js), from the pull's end",
                        "pull_words"),
                       ("after the join: its words indexed in the background", "join_words")):
        r = figures[key]
        rows.append([label, ms(r["ms"]) if r["queue"] else "(none)", "", "", "", ""])
    for label, key in ((f"baseline: JS IndexedDB write of the {n:,} pulled events", "raw_events"),
                       (f"baseline: the same with their {n:,} feed positions", "raw_feed")):
        r = figures[key]
        assert r["records"] == n, r
        rows.append([label, ms(r["ms"]), "", "", "", ""])
    print()
    print(table(["encrypted circle, nginx WebDAV on 127.0.0.1", "ms", "requests", "to nginx", "sent", "received"],
                rows))
    print()
    split = []
    for label, key in (("push", "push"), ("pull", "pull"), ("join", "join")):
        split += split_rows(label, figures[key])
    print(table(["where a run's time went", "ms", "calls"], split))
    print()
    waiting, arranged = figures["reads_waiting"], figures["reads_arranged"]
    print(table(["device D's reads after the join (median of 3)", "ms", "events in packs"], [
        ["timeline, newest 50 entries, packs waiting (arranging paused)", ms(waiting["timeline"]), waiting["waiting"]],
        ["timeline, newest 50 entries, arranged", ms(arranged["timeline"]), arranged["waiting"]],
        ["a day of events, packs waiting", ms(waiting["day"]), waiting["waiting"]],
        ["a day of events, arranged", ms(arranged["day"]), arranged["waiting"]],
    ]))
    print()
    print(f"segments: {push['files_written'] - 1} written by A (plus its index); "
          f"files read by D: {join['files_read']}")
    print(monitor.summary())
    print(machine_load())
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

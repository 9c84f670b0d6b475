#!/usr/bin/env python3
"""IndexedDB through carelog's Python store vs a pure-JS baseline, in one page.

    python3 bench/bench_idb.py [--runs 5] [--records 20000] [--range 4000] [--single 200]

Opens the app (a private copy of dist/, served at /carelog/) with ?debug=1 in
headless Chromium and, in that one page, measures (median of --runs, the two
sides alternating which goes first):

  1. bulk write: IndexedDBEntryStore.put_events(<20,000 Event objects>), one
     batch (= one JSON string across the FFI, one transaction). Only the put is
     timed, not building the events.
  2. the same 20,000 records as JS objects (parsed before the clock starts)
     written with raw IndexedDB (store.add) in one transaction, into a database
     of the same schema (checked).
     Both use durability "strict" (the app's setting); a JS row with the
     browser's default durability is printed for reference.
  3. a 4,000-row range read: events_in_range (JSON across the FFI, json.loads,
     Event.from_record) vs a raw getAll over the same by_recipient_at range;
     with newest_first=False (the helper uses getAll) and newest_first=True
     (the app's default: the helper walks a cursor backwards).
  4. one record per transaction, 200 times: put_events([event]) vs raw JS.
  5. with the passphrase lock on (public/js/vault.js seals every record with
     AES-GCM inside the batch helper): the bulk write of (1) and the range
     reads of (3), against the clear Python rows and the raw JS rows.

Prints a table of median / min / max and Python/JS ratios. Not a test: it
asserts nothing about timings.
"""

from __future__ import annotations

import atexit
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (BENCH, MARKS_SCRIPT, BenchRun, arg_parser,  # noqa: E402
                    launch, launch_on_disk, load_page_module, ms, open_app, run_py, stats, table)

READ_DB = "bench-read"
SEALED_DB = "bench-read-sealed"


def parse_args(argv=None):
    p = arg_parser(__doc__)
    p.add_argument("--runs", type=int, default=5, help="runs of each measurement (default 5)")
    p.add_argument("--records", type=int, default=20_000, help="records of the bulk write (default 20000)")
    p.add_argument("--range", type=int, default=4_000, help="rows of the range read (default 4000)")
    p.add_argument("--single", type=int, default=200, help="one-record transactions (default 200)")
    p.add_argument("--disk", action="store_true",
                   help="use a persistent profile (IndexedDB on disk) instead of an off-the-record context")
    return p.parse_args(argv)


class Page:
    """The carelog page with its debug hook and the two bench halves loaded."""

    def __init__(self, page):
        self.page = page

    def py(self, source: str) -> dict:
        """Run Python in the page; the last expression must be a JSON string."""
        return run_py(self.page, source)

    def call(self, expr: str) -> dict:
        return self.py(f"import carelog_bench as b\nawait b.{expr}")

    def js(self, expr: str) -> dict | None:
        out = self.page.evaluate(f"async () => await benchJs.{expr}")
        return None if out is None else json.loads(out)


def main(argv=None) -> int:
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    bench_run = BenchRun(args.dist, args.build)
    server, manifest, monitor = bench_run.server, bench_run.manifest, bench_run.monitor
    n, runs = args.records, args.runs
    first = max(0, (n - args.range) // 2)
    results: dict[str, list] = {}

    def add(key, value):
        results.setdefault(key, []).append(value)

    with sync_playwright() as p:
        if args.disk:
            profile = Path(tempfile.mkdtemp(prefix="carelog-bench-profile-"))
            atexit.register(shutil.rmtree, profile, True)
            context = launch_on_disk(p, profile)
            browser = None
            version = context.browser.version if context.browser else "?"
        else:
            browser = launch(p)
            version = browser.version
            context = browser.new_context()
        context.add_init_script(MARKS_SCRIPT)
        page = context.pages[0] if context.pages else context.new_page()
        errors = open_app(page, server.app_url, timeout_ms=120_000)
        bench = Page(page)
        page.evaluate((BENCH / "idb_baseline.js").read_text("utf-8"))
        load_page_module(page, BENCH / "idb_page.py", "carelog_bench")
        bench.call(f"publish_records({n})")

        # (1) + (2) bulk write, alternating which side goes first.
        for run in range(runs):
            order = ("py", "js") if run % 2 == 0 else ("js", "py")
            for side in order:
                if side == "py":
                    r = bench.call(f"bulk_write('bench-py-bulk', {n})")
                    add("bulk_py", r["ms"])
                    add("bulk_py_serialise", r["serialise_ms"])
                    add("bulk_py_make", r["make_ms"])
                    add("bulk_json_bytes", r["json_bytes"])
                else:
                    add("bulk_js", bench.js(f"bulkWrite('bench-js-bulk', {n}, 'strict')")["ms"])
            add("bulk_js_default", bench.js(f"bulkWrite('bench-js-bulk', {n}, 'default')")["ms"])
            add("bulk_js_v1", bench.js(f"bulkWrite('bench-js-bulk-v1', {n}, 'strict', 'v1')")["ms"])
            add("bulk_js_terms", bench.js(f"bulkWrite('bench-js-bulk-terms', {n}, 'strict', 'full', true)")["ms"])
            print(f"bulk write run {run + 1}/{runs}: python {results['bulk_py'][-1]:.0f} ms, "
                  f"js {results['bulk_js'][-1]:.0f} ms", flush=True)

        # Schema check: the app's database (written by Python) vs the JS one.
        bench.call("fill('bench-schema-app', 1)")
        bench.call("close('bench-schema-app')")
        bench.js("bulkWrite('bench-schema-js', 1, 'strict')")
        schema_app = bench.js("schemaOf('bench-schema-app')")
        schema_js = bench.js("schemaOf('bench-schema-js')")
        same_schema = schema_app == schema_js
        for name in ("bench-schema-app", "bench-schema-js", "bench-py-bulk", "bench-js-bulk", "bench-js-bulk-v1",
                     "bench-js-bulk-terms"):
            bench.js(f"deleteDb('{name}')")

        # (3) range reads over one database of n events written by the app.
        bench.call(f"fill('{READ_DB}', {n})")
        lo_hi = bench.py(f"import carelog_bench as b, json\njson.dumps(b.range_bounds({first}, {args.range}))")
        lo, hi = lo_hi
        for newest in (False, True):  # one untimed warm-up of each path
            bench.call(f"range_read('{READ_DB}', {first}, {args.range}, {newest})")
            bench.js(f"rangeRead('{READ_DB}', 'r-bench', {lo}, {hi}, {str(newest).lower()})")
        for run in range(runs):
            for newest in (False, True):
                tag = "newest" if newest else "getall"
                order = ("py", "js") if run % 2 == 0 else ("js", "py")
                for side in order:
                    if side == "py":
                        r = bench.call(f"range_read('{READ_DB}', {first}, {args.range}, {newest})")
                        add(f"range_py_{tag}", r["ms"])
                        add(f"range_py_{tag}_helper", r["helper_ms"])
                        add(f"range_py_{tag}_loads", r["loads_ms"])
                        add(f"range_py_{tag}_from_record", r["from_record_ms"])
                        add("range_json_bytes", r["json_bytes"])
                    else:
                        r = bench.js(f"rangeRead('{READ_DB}', 'r-bench', {lo}, {hi}, {str(newest).lower()})")
                        if r["rows"] != args.range:
                            raise SystemExit(f"JS range read gave {r['rows']} rows")
                        add(f"range_js_{tag}", r["ms"])
        bench.call(f"close('{READ_DB}')")
        bench.js(f"deleteDb('{READ_DB}')")
        print("range reads done", flush=True)

        # (5) the same with the lock on: bulk write, then range reads over a sealed database.
        for run in range(runs):
            add("bulk_py_sealed", bench.call(f"bulk_write('bench-py-sealed', {n}, True)")["ms"])
            add("bulk_py_clear", bench.call(f"bulk_write('bench-py-bulk', {n})")["ms"])
            add("bulk_js_ref", bench.js(f"bulkWrite('bench-js-bulk', {n}, 'strict')")["ms"])
            print(f"sealed bulk write run {run + 1}/{runs}: {results['bulk_py_sealed'][-1]:.0f} ms", flush=True)
        for name in ("bench-py-sealed", "bench-py-bulk", "bench-js-bulk"):
            bench.call(f"close('{name}')")
            bench.js(f"deleteDb('{name}')")
        bench.call(f"fill('{SEALED_DB}', {n}, True)")
        for newest in (False, True):  # warm-up
            bench.call(f"range_read('{SEALED_DB}', {first}, {args.range}, {newest})")
        for run in range(runs):
            for newest in (False, True):
                tag = "newest" if newest else "getall"
                r = bench.call(f"range_read('{SEALED_DB}', {first}, {args.range}, {newest})")
                add(f"range_sealed_{tag}", r["ms"])
                add(f"range_sealed_{tag}_helper", r["helper_ms"])
        bench.call(f"close('{SEALED_DB}')")
        bench.js(f"deleteDb('{SEALED_DB}')")
        print("sealed reads done", flush=True)

        # (4) one record per transaction.
        for run in range(runs):
            order = ("py", "js") if run % 2 == 0 else ("js", "py")
            for side in order:
                if side == "py":
                    add("single_py", bench.call(f"per_record('bench-py-single', {args.single})")["per_record_ms"])
                else:
                    add("single_js", bench.js(f"perRecord('bench-js-single', {args.single}, 'strict')")
                        ["per_record_ms"])
            add("single_js_default", bench.js(f"perRecord('bench-js-single', {args.single}, 'default')")
                ["per_record_ms"])
        for name in ("bench-py-single", "bench-js-single"):
            bench.js(f"deleteDb('{name}')")
        if errors:
            print("page errors:", errors, file=sys.stderr)
        context.close()
        if browser is not None:
            browser.close()
        else:
            shutil.rmtree(profile, ignore_errors=True)
    bench_run.finish()

    def row(label, key, ref=None):
        med, lo_, hi_ = stats(results[key])
        ratio = f"{med / stats(results[ref])[0]:.2f}x" if ref else ""
        return [label, ms(med), ms(lo_), ms(hi_), ratio]

    rows = [
        [f"(1) bulk write {n:,}: Python put_events, 1 batch", *row("", "bulk_py", "bulk_js")[1:]],
        ["    of which to_record + json.dumps (timed apart)", *row("", "bulk_py_serialise")[1:]],
        [f"(2) bulk write {n:,}: raw JS, 1 transaction", *row("", "bulk_js")[1:]],
        ["    raw JS, durability 'default' (reference)", *row("", "bulk_js_default", "bulk_js")[1:]],
        ["    raw JS, only v1's 2 indexes, not 5 (reference)", *row("", "bulk_js_v1", "bulk_js")[1:]],
        ["    raw JS + word index rows (terms.js, same tx): its cost", *row("", "bulk_js_terms", "bulk_js")[1:]],
        [f"(3) range {args.range:,} rows, oldest first: Python events_in_range",
         *row("", "range_py_getall", "range_js_getall")[1:]],
        ["    helper (getAll + JSON.stringify + string to Python)", *row("", "range_py_getall_helper")[1:]],
        ["    json.loads", *row("", "range_py_getall_loads")[1:]],
        ["    Event.from_record x rows", *row("", "range_py_getall_from_record")[1:]],
        ["    raw JS getAll, same index range", *row("", "range_js_getall")[1:]],
        [f"    range {args.range:,}, newest first (app default): Python",
         *row("", "range_py_newest", "range_js_newest")[1:]],
        ["    of which helper (cursor 'prev' + stringify + FFI)", *row("", "range_py_newest_helper")[1:]],
        ["    raw JS cursor 'prev', same range", *row("", "range_js_newest")[1:]],
        [f"(4) 1 record per transaction x{args.single}: Python, ms/record",
         *row("", "single_py", "single_js")[1:]],
        ["    raw JS, ms/record", *row("", "single_js")[1:]],
        ["    raw JS durability 'default', ms/record", *row("", "single_js_default", "single_js")[1:]],
        [f"(5) bulk write {n:,}, lock ON (sealed): Python put_events", *row("", "bulk_py_sealed", "bulk_js_ref")[1:]],
        ["    same run, lock off: Python put_events", *row("", "bulk_py_clear", "bulk_js_ref")[1:]],
        ["    same run, raw JS, 1 transaction", *row("", "bulk_js_ref")[1:]],
        [f"    range {args.range:,}, oldest first, lock ON: Python",
         *row("", "range_sealed_getall", "range_js_getall")[1:]],
        ["    of which helper (getAll + decrypt + stringify + FFI)", *row("", "range_sealed_getall_helper")[1:]],
        [f"    range {args.range:,}, newest first, lock ON: Python",
         *row("", "range_sealed_newest", "range_js_newest")[1:]],
        ["    of which helper", *row("", "range_sealed_newest_helper")[1:]],
    ]
    print()
    where = "on disk (persistent profile)" if args.disk else "off-the-record context (in memory)"
    print(f"carelog IndexedDB benchmark: Chromium {version}, {runs} runs each, build {manifest['build']}, "
          f"storage {where}")
    print(f"same schema for the app's and the JS database: {'yes' if same_schema else 'NO'}")
    if not same_schema:
        print("  app:", schema_app, "\n  js: ", schema_js)
    print(f"bulk payload: {stats(results['bulk_json_bytes'])[0] / 1e6:.2f} MB of JSON; "
          f"range payload {stats(results['range_json_bytes'])[0] / 1e6:.2f} MB; "
          f"building {n:,} Event objects (untimed): {stats(results['bulk_py_make'])[0]:.0f} ms")
    print()
    print(table(["ms (performance.now() in the page)", "median", "min", "max", "ratio"], rows,
                aligns="lrrrr"))
    print("ratio: Python row / its JS row (same transaction shape); reference rows / JS 'strict'.")
    print()
    print(bench_run.report())
    if args.json:
        args.json.write_text(json.dumps({"chromium": version, "build": manifest["build"], "runs": runs,
                                         "same_schema": same_schema, "results": results,
                                         "load_samples": monitor.samples}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

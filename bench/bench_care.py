#!/usr/bin/env python3
"""Daily care with 100,000 entries: Today, home and the timeline's filters,
next to pure-JS reads of the same IndexedDB ranges, in one real page.

    python3 bench/bench_care.py [--runs 5] [--entries 100000]

Opens the app (a private copy of dist/ at /carelog/) with ?debug=1 in headless
Chromium, makes a caregiver and a person through the UI, then (bench/care_page.py,
inside the page) a care plan with the app's use cases and --entries events over
the last 365 days (vitals every ~16 min, doses of the plan, tasks, notes,
symptoms, drinks; three caregivers), written with ``put_events`` in batches of
10,000.

Each measurement is route to rendered screen: from setting ``location.hash``
to the moment the screen's marker is in the DOM (a MutationObserver on #app,
``performance.now()`` in the page). Before each one the page goes to Settings,
so every run is a fresh navigation. The routes:

  Today               #/today
  home (handoff...)   #/                    (since you last looked, alerts, Today count, timeline)
  timeline            #/timeline            (newest 50)
  by kind             #/timeline?kind=vital
  by caregiver        #/timeline?by=Cleo
  by date range       #/timeline?from=..&to=..   (one week, 3 months ago)
  search, common      #/timeline?q=garden
  search, rare        #/timeline?q=ambulance     (a word in ~5 of 100,000: the whole year is read)

Baselines, in the same page, pure JS on the same database (no Python): a getAll
of the index range each screen reads (see BASELINES below). Then home's use
cases are timed one by one from Python (where the time goes).

Not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (BENCH, BenchRun, add_person, arg_parser, launch, load_page_module, ms, open_app,  # noqa: E402
                    run_py, stats, table)

DAY = 86_400_000

MEASURE = """async ({route, selector}) => {
  const app = document.getElementById('app');
  return await new Promise((resolve, reject) => {
    const t0 = performance.now();
    const timer = setTimeout(() => { obs.disconnect(); reject(new Error('no render for ' + route)); }, 120000);
    const obs = new MutationObserver(() => {
      if (app.querySelector(selector)) {
        const t = performance.now() - t0;
        obs.disconnect(); clearTimeout(timer); resolve(t);
      }
    });
    obs.observe(app, {childList: true, subtree: true});
    location.hash = route;
  });
}"""

# Pure-JS reads of the same ranges, on the app's database (opened once, read-only transactions).
BASELINE_JS = """
globalThis.benchCare = {
  async open() { this.db = await new Promise((ok, no) => { const r = indexedDB.open('carelog'); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); }); },
  req(r) { return new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); }); },
  async getAll(index, lo, hi) {
    const t0 = performance.now();
    const tx = this.db.transaction('events', 'readonly');
    const rows = await this.req(tx.objectStore('events').index(index).getAll(IDBKeyRange.bound(lo, hi, false, true)));
    return {ms: performance.now() - t0, rows: rows.length};
  },
  async scan(index, lo, hi, test, limit) {
    const t0 = performance.now();
    const tx = this.db.transaction('events', 'readonly');
    const rows = await this.req(tx.objectStore('events').index(index).getAll(IDBKeyRange.bound(lo, hi, false, true)));
    const out = [];
    for (let i = rows.length - 1; i >= 0 && out.length < limit; i -= 1) if (test(rows[i])) out.push(rows[i]);
    return {ms: performance.now() - t0, rows: rows.length, hits: out.length};
  },
  async newest(index, lo, hi, limit) {
    const t0 = performance.now();
    const tx = this.db.transaction('events', 'readonly');
    const out = await new Promise((ok, no) => {
      const got = []; const r = tx.objectStore('events').index(index).openCursor(IDBKeyRange.bound(lo, hi, false, true), 'prev');
      r.onerror = () => no(r.error);
      r.onsuccess = () => { const c = r.result; if (!c || got.length >= limit) return ok(got); got.push(c.value); c.continue(); };
    });
    return {ms: performance.now() - t0, rows: out.length};
  },
};
"""


def parse_args(argv=None):
    p = arg_parser(__doc__)
    p.add_argument("--runs", type=int, default=5, help="runs of each measurement (default 5)")
    p.add_argument("--entries", type=int, default=100_000, help="events written (default 100000)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    bench_run = BenchRun(args.dist, args.build)
    server, manifest = bench_run.server, bench_run.manifest
    results: dict[str, list] = {}

    def add(key, value):
        results.setdefault(key, []).append(value)

    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 768, "height": 1024}, timezone_id="Europe/London")
        page = context.new_page()
        errors = open_app(page, server.app_url)
        add_person(page)

        def py(source: str):
            return run_py(page, source)

        load_page_module(page, BENCH / "care_page.py", "carelog_care_bench")
        now_ms = int(page.evaluate("Date.now()"))
        filled = py(f"import carelog_care_bench as b\nawait b.fill({args.entries}, {now_ms})")
        rid = filled["recipient"]
        print(f"wrote {filled['written']:,} events: put_events {filled['put_ms']:.0f} ms "
              f"(building them {filled['make_ms']:.0f} ms)", flush=True)
        page.evaluate(BASELINE_JS)
        page.evaluate("benchCare.open()")

        week_end = dt.datetime.fromtimestamp((now_ms - 90 * DAY) / 1000, dt.timezone.utc).date()
        week_start = week_end - dt.timedelta(days=6)
        week_lo = int(dt.datetime.combine(week_start, dt.time(), dt.timezone.utc).timestamp() * 1000)
        week_hi = week_lo + 7 * DAY
        day_lo = now_ms - now_ms % DAY
        screens = [  # (key, label, route, selector of the rendered screen)
            ("today", "Today", "#/today", "main section[aria-labelledby=todo-title]"),
            ("home", "home: handoff, alerts, Today count, timeline", "#/", "main section.handoff"),
            ("tl", "timeline, newest 50", "#/timeline", "main section[data-results='#/timeline']"),
            ("tl_kind", "timeline by kind (vital signs)", "#/timeline?kind=vital",
             "main section[data-results='#/timeline?kind=vital']"),
            ("tl_by", "timeline by caregiver (Cleo)", "#/timeline?by=Cleo",
             "main section[data-results='#/timeline?by=Cleo']"),
            ("tl_days", "timeline by date range (a week, 3 months ago)",
             f"#/timeline?from={week_start}&to={week_end}",
             f"main section[data-results='#/timeline?from={week_start}&to={week_end}']"),
            ("tl_q", "search, a common word ('garden')", "#/timeline?q=garden",
             "main section[data-results='#/timeline?q=garden']"),
            ("tl_rare", "search, a rare word ('ambulance': reads the year)", "#/timeline?q=ambulance",
             "main section[data-results='#/timeline?q=ambulance']"),
        ]
        r = json.dumps(rid)
        baselines = {  # key -> (label, JS expression)
            "today": ("getAll medication + task, by_recipient_kind_at, 5 days",
                      f"(async () => {{ const a = await benchCare.getAll('by_recipient_kind_at', [{r}, 'medication', {day_lo - 2 * DAY}], [{r}, 'medication', {day_lo + 3 * DAY}]);"
                      f" const b = await benchCare.getAll('by_recipient_kind_at', [{r}, 'task', {day_lo - 2 * DAY}], [{r}, 'task', {day_lo + 3 * DAY}]);"
                      f" return {{ms: a.ms + b.ms, rows: a.rows + b.rows}}; }})()"),
            "home": ("getAll by_recipient_at, last 16 days (home's old read)",
                     f"benchCare.getAll('by_recipient_at', [{r}, {now_ms - 16 * DAY}], [{r}, Infinity])"),
            "tl": ("cursor 'prev' by_recipient_at, 50 rows",
                   f"benchCare.newest('by_recipient_at', [{r}, 0], [{r}, Infinity], 50)"),
            "tl_kind": ("cursor 'prev' by_recipient_kind_at vital, 50 rows",
                        f"benchCare.newest('by_recipient_kind_at', [{r}, 'vital', 0], [{r}, 'vital', Infinity], 50)"),
            "tl_by": ("getAll by_recipient_at, the year, filter author in JS",
                      f"benchCare.scan('by_recipient_at', [{r}, 0], [{r}, Infinity], (x) => x.author === 'Cleo', 50)"),
            "tl_days": ("getAll by_recipient_at, that week",
                        f"benchCare.getAll('by_recipient_at', [{r}, {week_lo}], [{r}, {week_hi}])"),
            "tl_q": ("getAll by_recipient_at, the year, filter text in JS",
                     f"benchCare.scan('by_recipient_at', [{r}, 0], [{r}, Infinity], (x) => JSON.stringify(x.payload).toLowerCase().includes('garden'), 50)"),
            "tl_rare": ("getAll by_recipient_at, the year, filter text in JS",
                        f"benchCare.scan('by_recipient_at', [{r}, 0], [{r}, Infinity], (x) => JSON.stringify(x.payload).toLowerCase().includes('ambulance'), 50)"),
        }
        counts = {}
        for key, _label, route, selector in screens:  # one untimed warm-up of each
            page.evaluate(MEASURE, {"route": "#/settings", "selector": "main section.storage-panel"})
            page.evaluate(MEASURE, {"route": route, "selector": selector})
            counts[key] = page.locator("main ol.timeline > li, main ol.timeline li").count()
            page.evaluate(baselines[key][1])
        for run in range(args.runs):
            for key, _label, route, selector in screens:
                order = ("app", "js") if run % 2 == 0 else ("js", "app")
                for side in order:
                    if side == "app":
                        page.evaluate(MEASURE, {"route": "#/settings", "selector": "main section.storage-panel"})
                        add(key, page.evaluate(MEASURE, {"route": route, "selector": selector}))
                    else:
                        b = page.evaluate(baselines[key][1])
                        add(f"{key}_js", b["ms"])
                        add(f"{key}_js_rows", b["rows"])
            print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{k} {results[k][-1]:.0f}" for k, *_ in screens),
                  flush=True)
        for _ in range(args.runs):
            for name, value in py(f"import carelog_care_bench as b\nawait b.phases({r}, {now_ms})").items():
                add(f"phase_{name}", value)
        if errors:
            print("page errors:", errors, file=sys.stderr)
        version = browser.version
        context.close()
        browser.close()
    bench_run.finish()

    rows = []
    for key, label, _route, _sel in screens:
        med, lo, hi = stats(results[key])
        jmed, jlo, jhi = stats(results[f"{key}_js"])
        rows.append([label, ms(med), ms(lo), ms(hi), str(counts[key]), baselines[key][0], ms(jmed),
                     str(int(stats(results[f"{key}_js_rows"])[0])), f"{med / jmed:.1f}x" if jmed else ""])
    print()
    print(f"carelog daily care with {filled['written']:,} events: Chromium {version}, {args.runs} runs each, "
          f"build {manifest['build']}")
    print(table(["route -> rendered, ms (median of runs)", "median", "min", "max", "shown",
                 "pure-JS baseline (same page, same database)", "JS ms", "JS rows", "ratio"], rows,
                aligns="lrrrrlrrr"))
    print()
    phase_rows = [[name[6:], ms(stats(v)[0]), str(int(stats(results[f"{name}_rows"])[0]))
                   if f"{name}_rows" in results else ""]
                  for name, v in results.items() if name.startswith("phase_") and not name.endswith("_rows")]
    print(table(["home's reads one by one, from Python (median ms)", "ms", "rows"], phase_rows, aligns="lrr"))
    print()
    print(bench_run.report())
    if args.json:
        args.json.write_text(json.dumps({"chromium": version, "build": manifest["build"], "runs": args.runs,
                                         "results": results, "counts": counts}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Vital-sign charts and the visit report with 100,000 entries, next to a pure-JS baseline.

    python3 bench/bench_chart.py [--runs 5] [--entries 100000]

Opens the app (a private copy of dist/, served at /carelog/) with ?debug=1 in
headless Chromium, names a caregiver, adds a care recipient and writes, through
the app's own store (batches of 10,000 events), ``--entries`` entries over the
last 365 days: a year of vitals (blood pressure and heart rate 4 times a day,
temperature twice, SpO2 and blood sugar 3 times, weight daily: 6,570 readings),
and the rest as doses, symptoms and notes spread over the same year.

Then, in that one page, ``--runs`` times each (after one untimed warm-up):

  1. 365-day chart, route to rendered: ``location.hash = "#/charts/<vital>/365"``
     until the chart's SVG for that vital and period is in the page and one
     animation frame has passed (the controller reads IndexedDB, folds,
     downsamples, builds the markup; the DOM glue renders it). Blood pressure
     and heart rate alternate, so every run is a real navigation; then the same
     vital's 90-day chart (1b). The route's steps are timed in the page (the
     app's own objects' methods wrapped once, its code unchanged): address set ->
     hashchange -> the controller's navigate (the reads: profile, vital days
     cache, alert limits; ``chart_of_rows``) -> render (``views.render``,
     ``innerHTML``, toast, address, focus) -> the next animation frame (the chart
     seen) -> one more frame; those rows add up to the route's time.
  2. the same chart's parts timed inside Python: the read through the vital days
     cache (366 day buckets; what the app reads for a chart), the alert limits,
     ``chart_of_rows`` (local days, units, daily low/high/mean), the figure (SVG,
     table: each also alone), the whole screen's markup and its ``innerHTML``; for
     comparison, the read the chart made before the cache (every vital event of
     the recipient, one index range). The warm-up run is the first draw
     after seeding: the cache is cold there (it fills), and is printed apart.
  3. baseline: pure JS ``getAll`` over the same ``by_recipient_kind_at`` index
     range (365 days of vitals), nothing else.
  4. the 30-day visit report, route to rendered (the period alternates between
     ending today and ending yesterday), and its baseline: pure JS ``getAll``
     over ``by_recipient_at`` for 45 days of every kind (30 + 15 for trend rules; the
     report reads every kind from one day before, vitals from 15 days before); inside
     Python, the report's parts: its IndexedDB read (whole histories, one store call), the
     plan and limits, and ``visit_report`` itself.

Prints median / min / max and the ratio to the baseline. Not a test: it asserts
nothing about timings.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BenchRun, add_person, arg_parser, launch, ms, open_app, run_py, stats, table  # noqa: E402

DAY_MS = 86_400_000

SEED = """
import json, random
from carelog.bootstrap import build_for_browser
from carelog.domain.events import CREATE

log = await build_for_browser()
rid = (await log.recipients())[0].id
now = log.clock.now_ms()
rng = random.Random(7)
DAY = 86_400_000
plan = []  # (kind, payload maker, times per day)
vitals = [("blood_pressure", 4, lambda: {{"systolic": rng.randint(105, 165), "diastolic": rng.randint(60, 100),
                                         "unit": "mm[Hg]", "loinc": "85354-9"}}),
          ("heart_rate", 4, lambda: {{"value": rng.randint(55, 110), "unit": "/min", "loinc": "8867-4"}}),
          ("temperature", 2, lambda: {{"value": round(rng.uniform(36.1, 38.4), 1), "unit": "Cel", "loinc": "8310-5"}}),
          ("spo2", 3, lambda: {{"value": rng.randint(90, 99), "unit": "%", "loinc": "59408-5"}}),
          ("blood_glucose", 3, lambda: {{"value": rng.randint(70, 260), "unit": "mg/dL", "loinc": "2339-0"}}),
          ("weight", 1, lambda: {{"value": round(rng.uniform(70, 74), 1), "unit": "kg", "loinc": "29463-7"}})]
made = 0
batch = []
async def flush():
    global batch
    if batch:
        await log.store.put_events(batch)
        batch = []
def add(kind, at, payload):
    global made
    eid = f"b-{{made:07d}}"
    batch.append(log._new_event(id=eid, recipient=rid, kind=kind, entry=eid, op=CREATE, revises=(), at=at,
                                payload=payload))
    made += 1
for day in range({vital_days}):
    for vital, per_day, make in vitals:
        for k in range(per_day):
            add("vital", now - day * DAY - k * (DAY // per_day) - 60_000, {{"type": vital, **make()}})
    if len(batch) >= 10_000:
        await flush()
rest = {entries} - made
others = [("medication", lambda i: {{"name": "Metformin", "status": "given", "dose": 500, "unit": "mg",
                                     "route": "oral"}}),
          ("symptom", lambda i: {{"name": "Dizzy", "severity": i % 11}}),
          ("note", lambda i: {{"text": f"Note {{i}}: ate well, slept a little."}})]
for i in range(rest):
    kind, make = others[i % 3]
    add(kind, now - (i * 365 * DAY) // max(1, rest) - 30_000, make(i))
    if len(batch) >= 10_000:
        await flush()
await flush()
json.dumps({{"made": made, "recipient": rid, "now": now}})
"""

INNER = """
import json, time
from carelog.bootstrap import build_for_browser
from carelog.domain import vitalseries
from carelog.domain.profile import profile_zone
from carelog.domain.zones import day_bounds, local_date
from carelog.ui import lock_dom, views
from carelog.ui.chart_views import chart_figure, chart_svg, chart_table
from carelog.vitaldays_cache import chart_rows

log = globals().get("_bench_log") or await build_for_browser()
globals()["_bench_log"] = log
rid = "{rid}"
tz = profile_zone(None)
today = local_date(log.clock.now_ms(), tz)
first, last = vitalseries.span(today, 365)
lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
t0 = time.perf_counter()
rows, present = await chart_rows(log.vital_days, log.store, rid, "{vital}", lo, hi)  # as the app does
t1 = time.perf_counter()
limits = await log.limits(rid)
t2 = time.perf_counter()
chart = vitalseries.chart_of_rows(rows, "{vital}", tz, first, last, limits)
t3 = time.perf_counter()
markup = str(chart_figure(chart, tz))
t4 = time.perf_counter()
svg = str(chart_svg(chart, tz))
t5 = time.perf_counter()
table = str(chart_table(chart, tz))
t6 = time.perf_counter()
events = await log.store.events_in_range(rid, kinds=("vital",), newest_first=False)  # the path before the cache
t7 = time.perf_counter()
app = lock_dom.SCREEN.app  # the page's own app: its charts screen as the route left it
screen = str(views.render(app.controller.state))
t8 = time.perf_counter()
app.root.innerHTML = screen
t9 = time.perf_counter()
json.dumps({{"read": (t1 - t0) * 1000, "build": (t4 - t1) * 1000, "limits": (t2 - t1) * 1000,
             "series": (t3 - t2) * 1000, "figure": (t4 - t3) * 1000, "svg": (t5 - t4) * 1000,
             "table": (t6 - t5) * 1000, "old_read": (t7 - t6) * 1000, "screen": (t8 - t7) * 1000,
             "dom": (t9 - t8) * 1000, "screen_bytes": len(screen), "readings": len(rows), "events": len(events),
             "bytes": len(markup)}})
"""

INNER_REPORT = """
import json, time
from carelog.bootstrap import build_for_browser
from carelog.domain import vitalseries
from carelog.domain.alerts import ALERT_ACK
from carelog.domain.profile import profile_zone
from carelog.domain.zones import day_bounds, local_date
from carelog.interop.report import visit_report

log = globals().get("_bench_log") or await build_for_browser()
globals()["_bench_log"] = log
rid, DAY = "{rid}", 86_400_000
tz = profile_zone(None)
first, last = vitalseries.span(local_date(log.clock.now_ms(), tz), 30)
lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
t0 = time.perf_counter()
events = await log.entry_events(rid, (), lo - DAY, hi)  # what the report screen reads
seen = {{e.id for e in events}}
for kinds, start in ((("vital",), lo - 15 * DAY), ((ALERT_ACK,), None)):
    more = await log.entry_events(rid, kinds, start, lo - DAY if start else None)
    events += [e for e in more if e.id not in seen]
    seen.update(e.id for e in more)
t1 = time.perf_counter()
items, limits = await log.plan(rid), await log.limits(rid)
t2 = time.perf_counter()
report = visit_report(events, rid, first, last, tz, log.clock.now_ms(), items, limits, name="Mum")
t3 = time.perf_counter()
json.dumps({{"read": (t1 - t0) * 1000, "plan": (t2 - t1) * 1000, "build": (t3 - t2) * 1000, "events": len(events)}})
"""

ROUTE_TO_RENDERED = """async ([route, selector]) => {
  const marks = (globalThis.__routeMarks = []);
  addEventListener("hashchange", () => marks.push(["hashchange", performance.now()]), { once: true, capture: true });
  const t0 = performance.now();
  location.hash = route;
  await new Promise((resolve, reject) => {
    const give_up = setTimeout(() => reject(new Error("not rendered: " + route)), 60000);
    const check = () => {
      if (document.querySelector(selector)) {
        marks.push(["seen", performance.now()]);
        clearTimeout(give_up); requestAnimationFrame(() => resolve());
      }
      else { requestAnimationFrame(check); }
    };
    check();
  });
  const elapsed = performance.now() - t0;
  return [elapsed, marks.map(([name, ...times]) => [name, ...times.map((at) => at - t0)])];
}"""

# Timers around the route's steps in the page's own app (the app's code is unchanged: its
# objects' methods are wrapped once, in this page only). Each wrapper pushes [name, start, end]
# (performance.now()) into globalThis.__routeMarks, which ROUTE_TO_RENDERED empties per route.
TRACE = """
import json, js
from carelog.ui import dom as _dom, lock_dom, report_controller as _rc, views as _views

app = lock_dom.SCREEN.app
def _push(name, start):
    marks = getattr(js.globalThis, "__routeMarks", None)
    if marks is not None:
        marks.push(js.JSON.parse(json.dumps([name, start, js.performance.now()])))
def _timed_async(name, fn):
    async def wrapper(*a, **k):
        start = js.performance.now()
        try:
            return await fn(*a, **k)
        finally:
            _push(name, start)
    return wrapper
def _timed(name, fn):
    def wrapper(*a, **k):
        start = js.performance.now()
        try:
            return fn(*a, **k)
        finally:
            _push(name, start)
    return wrapper
if not getattr(app, "_bench_traced", False):
    app._bench_traced = True
    import carelog.domain.vitalseries as _vs
    c = app.controller
    c.navigate = _timed_async("navigate", c.navigate)
    c.care._load_zone = _timed_async("profile", c.care._load_zone)
    c.log.limits = _timed_async("limits", c.log.limits)
    _rc.chart_rows = _timed_async("cache_read", _rc.chart_rows)
    _vs.chart_of_rows = _timed("series", _vs.chart_of_rows)
    app.render = _timed_async("render", app.render)
    _views.render = _timed("views_render", _views.render)
    app._render_toast = _timed("toast", app._render_toast)
json.dumps({})
"""


def route_parts(elapsed: float, marks: list) -> dict:
    """The route's time (ms from setting the address) split at the traced steps: every part, so
    that they add up to the total."""
    at = {}
    for mark in marks:
        at[mark[0]] = mark[1:]  # the last of each: the route's own (an earlier action's may end in it)
    nav0, nav1 = at["navigate"]
    ren0, ren1 = at["render"]
    vr0, vr1 = at["views_render"]
    toast0 = at["toast"][0]
    hashchange = at.get("hashchange", [nav0])[0]
    seen = at["seen"][0]

    def span(name):
        return at[name][1] - at[name][0] if name in at else 0.0
    reads = [at[k] for k in ("profile", "cache_read", "limits") if k in at]
    # the reads one after the other, or at the same time: the time from the first's start to the last's end
    read_time = max(end for _, end in reads) - min(start for start, _ in reads) if reads else 0.0
    return {"to_hashchange": hashchange, "to_navigate": nav0 - hashchange, "reads": read_time,
            "profile": span("profile"), "cache_read": span("cache_read"), "limits": span("limits"),
            "series": span("series"), "navigate_rest": (nav1 - nav0) - read_time - span("series"), "to_render": ren0 - nav1, "views_render": vr1 - vr0,
            "inner_html": toast0 - vr1, "after_html": (ren1 - toast0) + (vr0 - ren0), "to_seen": seen - ren1,
            "frame": elapsed - seen}

GET_ALL = """async ([index, lower, upper]) => {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open("carelog"); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
  });
  const t0 = performance.now();
  const rows = await new Promise((ok, fail) => {
    const r = db.transaction("events").objectStore("events").index(index)
      .getAll(IDBKeyRange.bound(lower, upper, false, true));
    r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
  });
  const elapsed = performance.now() - t0;
  db.close();
  return [elapsed, rows.length];
}"""


def parse_args(argv=None):
    p = arg_parser(__doc__)
    p.add_argument("--runs", type=int, default=5, help="runs of each measurement (default 5)")
    p.add_argument("--entries", type=int, default=100_000, help="entries in the database (default 100000)")
    p.add_argument("--vital-days", type=int, default=365,
                   help="days of vitals among the entries (default 365: 6,570 readings)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    bench_run = BenchRun(args.dist, args.build)
    server, manifest, monitor = bench_run.server, bench_run.manifest, bench_run.monitor
    results: dict[str, list] = {}

    def add(key, value):
        results.setdefault(key, []).append(value)

    with sync_playwright() as p:
        browser = launch(p)
        version = browser.version
        context = browser.new_context(viewport={"width": 768, "height": 1024}, timezone_id="UTC")
        page = context.new_page()
        errors = open_app(page, server.app_url)
        add_person(page)

        def py(source: str):
            return run_py(page, source)

        t_seed = time.perf_counter()
        seeded = py(SEED.format(entries=args.entries, vital_days=args.vital_days))
        seed_s = time.perf_counter() - t_seed
        rid, now = seeded["recipient"], seeded["now"]
        print(f"seeded {seeded['made']:,} entries in {seed_s:.0f} s", flush=True)
        py(TRACE)
        today_start = (now // DAY_MS) * DAY_MS  # the page runs in UTC
        year_lo, year_hi = today_start - 364 * DAY_MS, today_start + DAY_MS
        report_lo, report_hi = today_start - (29 + 15) * DAY_MS, today_start + DAY_MS

        vitals = ("blood_pressure", "heart_rate")
        for run in range(args.runs + 1):  # run 0 is the warm-up
            vital = vitals[run % 2]
            route = f"#/charts/{vital}/365"
            elapsed, marks = page.evaluate(ROUTE_TO_RENDERED,
                                           [route, f"svg.chart-svg[data-vital={vital}][data-days='365']"])
            parts = route_parts(elapsed, marks)
            inner = py(INNER.format(rid=rid, vital=vital))
            elapsed_90, _ = page.evaluate(ROUTE_TO_RENDERED,
                                       [f"#/charts/{vital}/90", f"svg.chart-svg[data-vital={vital}][data-days='90']"])
            base, rows = page.evaluate(GET_ALL, ["by_recipient_kind_at", [rid, "vital", year_lo],
                                                 [rid, "vital", year_hi]])
            end = "today" if run % 2 == 0 else "yesterday"
            last = time.strftime("%Y-%m-%d", time.gmtime((today_start - (0 if end == "today" else DAY_MS)) / 1000))
            first = time.strftime("%Y-%m-%d", time.gmtime((today_start - (29 if end == "today" else 30) * DAY_MS)
                                                          / 1000))
            report, _ = page.evaluate(ROUTE_TO_RENDERED,
                                   [f"#/report/{first}/{last}", f"article.report[data-period='{first}/{last}']"])
            inner_report = py(INNER_REPORT.format(rid=rid))
            report_base, report_rows = page.evaluate(GET_ALL, ["by_recipient_at", [rid, report_lo],
                                                               [rid, report_hi]])
            # leave, so the next run navigates: until the settings screen itself is drawn (any "main h1"
            # was the report's own, still on screen: the next route then waited for this one to end)
            page.evaluate(ROUTE_TO_RENDERED, ["#/settings", "main section.storage-panel"])
            if run == 0:
                # the first draw after seeding: the vital days cache is empty (cold) and fills
                add("chart_cold", elapsed)
                print(f"warm-up done: chart {elapsed:.0f} ms (cache cold), {inner['events']:,} vital events, "
                      f"report {report:.0f} ms", flush=True)
                continue
            add("chart", elapsed)
            for part, value in parts.items():
                add(f"route_{part}", value)
            add("chart_90", elapsed_90)
            add("chart_read", inner["read"])
            add("chart_old_read", inner["old_read"])
            add("chart_readings", inner["readings"])
            add("chart_build", inner["build"])
            for part in ("limits", "series", "figure", "svg", "table", "screen", "dom"):
                add(f"chart_{part}", inner[part])
            add("chart_screen_bytes", inner["screen_bytes"])
            add("chart_events", inner["events"])
            add("chart_bytes", inner["bytes"])
            add("getall_year", base)
            add("getall_year_rows", rows)
            add("report", report)
            add("report_read", inner_report["read"])
            add("report_plan", inner_report["plan"])
            add("report_build", inner_report["build"])
            add("report_events", inner_report["events"])
            add("getall_report", report_base)
            add("getall_report_rows", report_rows)
            print(f"run {run}/{args.runs}: chart {elapsed:.0f} ms (JS getAll {base:.0f} ms), "
                  f"report {report:.0f} ms (JS getAll {report_base:.0f} ms)", flush=True)
        if errors:
            print("page errors:", errors, file=sys.stderr)
        context.close()
        browser.close()
    bench_run.finish()

    def row(label, key, ref=None):
        med, lo_, hi_ = stats(results[key])
        ratio = f"{med / stats(results[ref])[0]:.1f}x" if ref else ""
        return [label, ms(med), ms(lo_), ms(hi_), ratio]

    def route_rows(row):
        return [
            row("    the route's steps in the page, in order (the 'each' rows are inside the reads row; the others add up to the row above):", "chart"),
            row("      address set -> hashchange event (a task)", "route_to_hashchange"),
            row("      hashchange -> controller.navigate starts (the handler, its status line, a task, the lock)", "route_to_navigate"),
            row("      navigate: the reads, first start to last end (one after the other, or at once)",
                "route_reads"),
            row("        each: profile and zone read (IndexedDB)", "route_profile"),
            row("        each: vital days cache read (chart_rows)", "route_cache_read"),
            row("        each: alert limits read (IndexedDB)", "route_limits"),
            row("      navigate: chart_of_rows", "route_series"),
            row("      navigate: the rest (routing, state)", "route_navigate_rest"),
            row("      navigate ends -> render starts", "route_to_render"),
            row("      render: views.render (the whole screen's markup)", "route_views_render"),
            row("      render: innerHTML", "route_inner_html"),
            row("      render: toast, notifications check, address, focus", "route_after_html"),
            row("      render ends -> the chart seen (the next animation frame)", "route_to_seen"),
            row("      seen -> one more animation frame (painted)", "route_frame"),
        ]

    year_rows = int(stats(results["getall_year_rows"])[0])
    report_rows = int(stats(results["getall_report_rows"])[0])
    rows = [
        row("(1) 365-day chart, route to rendered, cache cold (first draw after seeding, 1 run)", "chart_cold",
            "getall_year"),
        row("(1) 365-day chart, route to rendered, cache warm", "chart", "getall_year"),
        *route_rows(row),
        row(f"    in Python: vital days cache read, 366 buckets ({int(stats(results['chart_readings'])[0]):,} "
            "readings of the vital)", "chart_read", "getall_year"),
        row("    in Python: alert limits + daily downsample + SVG + table (figure)", "chart_build"),
        row("      of which: alert limits (IndexedDB)", "chart_limits"),
        row("      of which: chart_of_rows (local days, canonical units, daily low/high/mean)", "chart_series"),
        row("      of which: chart_figure (SVG, legend, summary, table)", "chart_figure"),
        row("        the SVG alone", "chart_svg"),
        row("        the table alone", "chart_table"),
        row(f"    in Python: the whole charts screen's markup "
            f"({stats(results['chart_screen_bytes'])[0] / 1e3:.0f} kB, views.render)", "chart_screen"),
        row("    in the page: innerHTML of that markup (DOM parse, synchronous)", "chart_dom"),
        row("    in Python, for comparison: every vital event (the read before the cache)", "chart_old_read",
            "getall_year"),
        row("(1b) 90-day chart of the same vital, route to rendered, cache warm", "chart_90", "getall_year"),
        row(f"(3) baseline: JS getAll, 365 days of vitals ({year_rows:,} rows)", "getall_year"),
        row("(4) 30-day visit report, route to rendered", "report", "getall_report"),
        row(f"    in Python: IndexedDB read: 31 days, vitals 45, whole histories "
            f"({int(stats(results['report_events'])[0]):,} events)", "report_read", "getall_report"),
        row("    in Python: IndexedDB read of the care plan and alert limits", "report_plan"),
        row("    in Python: visit_report (fold, adherence, alerts, charts, authors)", "report_build"),
        row(f"    baseline: JS getAll, 45 days of every kind ({report_rows:,} rows)", "getall_report"),
    ]
    print()
    print(f"carelog chart/report benchmark: Chromium {version}, {args.entries:,} entries, {args.runs} runs each, "
          f"build {manifest['build']}")
    print(f"chart markup {stats(results['chart_bytes'])[0] / 1e3:.0f} kB; "
          f"{int(stats(results['chart_events'])[0]):,} vital events read for a year")
    print()
    print(table(["ms (performance.now() in the page)", "median", "min", "max", "ratio"], rows, aligns="lrrrr"))
    print("ratio: the row / its JS baseline from the same run.")
    print()
    print(bench_run.report())
    if args.json:
        args.json.write_text(json.dumps({"chromium": version, "build": manifest["build"], "results": results,
                                         "load_samples": monitor.samples}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

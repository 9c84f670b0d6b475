#!/usr/bin/env python3
"""Start-up time and first-visit bytes: carelog vs bare Pyodide, one browser run.

    python3 bench/bench_start.py [--rounds 5] [--dist DIR | --build] [--json FILE]

Serves a private copy of dist/ at http://127.0.0.1:<port>/carelog/ (build.make_handler)
and the bare-Pyodide page at /bench/bare/ (same vendored Pyodide files), launches
Debian's Chromium once, and runs --rounds rounds. Each round, in an order that
rotates from round to round:

  (a) cold first visit, each in a fresh browser context (empty caches, no
      service worker), to ready:
        carelog    /carelog/ until <html data-app-state="ready"> (it starts from the
                   network; its service worker copies the build once it is ready)
        bare+sw    bare.html?sw=precache: installs bare-sw.js, which precaches the
                   Pyodide core files, then loadPyodide() from that cache
        bare net   bare.html?sw=none: loadPyodide() straight from the network
  (b) warm start: the server is STOPPED, and carelog's and bare+sw's pages are
      reloaded in their same contexts (everything from their service workers);
      carelog's first reload restores the memory snapshot its cold visit saved
      (public/js/fast-start.mjs); then its snapshot is deleted and it is reloaded
      once more ("carelog, no snapshot": the normal path); then the server is
      started again on the same port.
  (c) bytes of the cold visits over the wire (the server sends the build's gzip
      copies, as a static host that gzips would): response bodies of every request of the context
      that went to the network (page AND service-worker requests, Playwright's
      context-level `requestfinished` + `request.sizes()["responseBodySize"]`,
      responses served by a service worker left out), and, as a cross-check,
      the body bytes the bench server wrote.

Times are the page's own performance.now() (ms since navigation start) when it
became ready; Playwright's wall time from goto/reload to seeing it is printed
too. carelog's boot phases come from PyScript's py:progress events and the
service worker's controllerchange, timestamped by an init script; main.py's own
steps from the `carelog:*` performance marks py/main.py sets.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (APP_BASE, BARE_BASE, PAGES, BenchRun, BenchServer, MARKS_SCRIPT, launch,  # noqa: E402
                    ms, stats, table)

KINDS = ("carelog", "bare+sw", "bare net")
WARM = ("carelog", "carelog, no snapshot", "bare+sw")
NO_SNAPSHOT = ("caches.keys().then(keys => Promise.all(keys.filter(k => k.startsWith('carelog-snapshot-'))"
               ".map(k => caches.delete(k))))")
TARGETS = {"warm": 0.4, "cold": 1.2, "gzip_mb": 5.0}  # issue 7
PAGE_MARKS = ("Object.fromEntries(performance.getEntriesByType('mark')"
              ".filter(m => m.name.startsWith('carelog:')).map(m => [m.name, m.startTime]))")
# main.py's steps, between its performance marks (py/main.py)
MAIN_STEPS = (("  PyScript's set-up -> main.py runs", None, "carelog:main.py"),
              ("  import the first screen's modules", "carelog:main.py", "carelog:imported"),
              ("  open IndexedDB", "carelog:imported", "carelog:opened"),
              ("  lock, controller", "carelog:opened", "carelog:locked"),
              ("  storage persist + estimate", "carelog:locked", "carelog:storage"),
              ("  DomApp, storage health", "carelog:storage", "carelog:mounted"),
              ("  app.start(): reads, first render", "carelog:mounted", "carelog:started"),
              ("  lock attach, debug hook -> ready", "carelog:started", "state:ready"))
READY = ("['ready','error'].includes(document.documentElement.dataset.appState"
         " || document.documentElement.dataset.state)")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    p.add_argument("--dist", type=Path, help="built site to copy (default: dist/)")
    p.add_argument("--build", action="store_true", help="build the working tree into a temp folder instead")
    p.add_argument("--timeout", type=float, default=90, help="seconds to wait for ready (default 90)")
    p.add_argument("--json", type=Path, help="also write the raw figures to this file")
    return p.parse_args(argv)


class Visit:
    """One browser context on one page kind; cold visit then (maybe) warm reload."""

    def __init__(self, browser, server: BenchServer, kind: str, timeout_ms: float):
        self.kind, self.server, self.timeout_ms = kind, server, timeout_ms
        self.context = browser.new_context()
        self.context.add_init_script(MARKS_SCRIPT)
        self.requests = []
        self.failed = []
        self.context.on("requestfinished", lambda r: self.requests.append(r))
        self.context.on("requestfailed", lambda r: self.failed.append(r))
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    @property
    def url(self) -> str:
        if self.kind == "carelog":
            return self.server.app_url
        return self.server.bare_url + ("?sw=precache" if self.kind == "bare+sw" else "?sw=none")

    def _wait_ready(self, t0: float) -> dict:
        self.page.wait_for_function(READY, timeout=self.timeout_ms, polling=10)
        wall = (time.perf_counter() - t0) * 1000
        state = self.page.evaluate("document.documentElement.dataset.appState"
                                   " || document.documentElement.dataset.state")
        if state != "ready":
            detail = self.page.evaluate("(document.getElementById('boot-error-detail') || {}).textContent"
                                        " || window.benchError || ''")
            raise RuntimeError(f"{self.kind}: state {state}: {detail} {self.errors}")
        marks = dict(self.page.evaluate("globalThis.__benchMarks || []"))
        marks.update(self.page.evaluate(PAGE_MARKS))  # main.py's own (py/main.py)
        result = self.page.evaluate("window.benchResult || null")
        ready = result["navToReady"] if result else marks["state:ready"]
        return {"ready": ready, "wall": wall, "marks": marks, "bare": result}

    def cold(self) -> dict:
        self.server.reset_counter()
        self.requests.clear()
        t0 = time.perf_counter()
        self.page.goto(self.url, wait_until="commit")
        out = self._wait_ready(t0)
        self.page.wait_for_timeout(300)  # let late requests (icons, manifest) finish
        if self.kind == "carelog":  # untimed: the snapshot is saved after ready
            self.page.wait_for_function("document.documentElement.dataset.snapshotSaved",
                                        timeout=self.timeout_ms, polling=50)
        out.update(self._bytes())
        out["server_bytes"], out["server_requests"] = self.server.bytes_sent, self.server.requests
        out["page_urls"] = [r.url for r in self.requests if r.service_worker is None]
        out["sw_fetches"] = self._worker_fetches()
        return out

    def _worker_fetches(self) -> list | None:
        """The service worker's own fetches [name, start, end, bytes] in page time (ms)."""
        workers = self.context.service_workers
        if not workers:
            return None
        try:
            origin, entries = workers[0].evaluate(
                "[performance.timeOrigin, performance.getEntriesByType('resource')"
                ".map(e => [e.name, e.startTime, e.responseEnd, e.encodedBodySize])]")
            offset = origin - self.page.evaluate("performance.timeOrigin")
        except Exception:  # the worker may have been stopped: the figure is optional
            return None
        return [[name, start + offset, end + offset, size] for name, start, end, size in entries]

    def _bytes(self) -> dict:
        body = 0
        count = 0
        files = []
        for request in list(self.requests):
            response = request.response()
            if response is None or response.from_service_worker:
                continue
            size = request.sizes()["responseBodySize"]
            body += max(size, 0)
            count += 1
            files.append(request.url)
        return {"pw_bytes": body, "pw_requests": count, "files": files}

    def warm(self, snapshot: bool = True) -> dict:
        """Reload with the server stopped (the caller stops it); for carelog with
        snapshot=False, its start-up snapshot is deleted first."""
        if not snapshot:
            self.page.evaluate(NO_SNAPSHOT)
        self.requests.clear()
        self.failed.clear()
        t0 = time.perf_counter()
        self.page.reload(wait_until="commit")
        out = self._wait_ready(t0)
        net = [r for r in self.requests if r.response() is not None and not r.response().from_service_worker]
        out["network_ok"] = len(net)
        out["network_failed"] = len(self.failed)
        out["start_path"] = self.page.evaluate("document.documentElement.dataset.startPath || null")
        return out

    def close(self):
        self.context.close()


def phases(marks: dict, warm: bool) -> dict:
    """carelog's boot split into phases (ms), from the marks of one visit."""
    def at(name):
        return marks.get(name)

    start_py = at("py:Loading Pyodide")
    control = at("sw:controllerchange")
    out = {"HTML + boot.js (nav -> booting)": at("state:booting")}
    if not warm and control is not None and control < start_py:  # a worker that copied the build first
        out["precache whole build (booting -> SW controls)"] = control - at("state:booting")
        out["PyScript core.js + config (-> Loading Pyodide)"] = start_py - control
    else:
        out["PyScript core.js + config (-> Loading Pyodide)"] = start_py - at("state:booting")
    if at("py:Loaded interpreter") is not None:
        out["loadPyodide() inside PyScript"] = at("py:Loaded interpreter") - at("py:Loading interpreter")
    if at("py:Loaded files") is not None:
        out["fetch + unpack carelog wheel (files)"] = at("py:Loaded files") - at("py:Loading files")
    last = at("py:Loaded Pyodide") or at("py:Loaded files")
    out["main.py: imports, IndexedDB, storage, first render"] = at("state:ready") - last
    for name, begin, end in MAIN_STEPS:
        if at(end) is not None and (begin is None or at(begin) is not None):
            out[name] = at(end) - (last if begin is None else at(begin))
    return out


def precache_split(visit: dict) -> dict:
    """How a cold visit's precache time splits: booting -> first SW fetch, the
    span of the worker's fetches, and last fetch end -> the worker controls the page."""
    fetches = visit.get("sw_fetches")
    control = visit["marks"].get("sw:controllerchange")
    if not fetches or control is None:
        return {}
    first = min(f[1] for f in fetches)
    # (carelog's worker copies the whole build once the page is ready, then controls it)
    before = [f for f in fetches if f[1] < control] or fetches
    after = [f for f in fetches if f[1] >= control]
    last = max(f[2] for f in before)
    big = [f for f in before if f[3] >= 1_000_000]
    return {
        "  register SW -> its first fetch": first - visit["marks"]["state:booting"],
        "  SW fetches: first start -> last end": last - first,
        "  of which files >= 1 MB done after": (max(f[2] for f in big) - first) if big else None,
        "  last fetch end -> SW controls page (< 0: controls first)": control - last,
        "  files fetched by the SW": len(before),
        "  files fetched after it controls (the tail)": len(after),
    }


def local_file(dist: Path, url: str) -> Path | None:
    """The file behind a bench-server URL."""
    path = "/" + url.split("?")[0].split("/", 3)[3]
    if path.startswith(APP_BASE):
        rel = path[len(APP_BASE):] or "index.html"
        return dist / rel
    if path.startswith(BARE_BASE + "vendor/pyodide/"):
        return dist / path[len(BARE_BASE):]
    if path.startswith(BARE_BASE):
        return PAGES / path[len(BARE_BASE):]
    return None


def gzip_bytes(dist: Path, urls: list[str]) -> int:
    """What the same responses would weigh gzip-compressed (level 6), for reference."""
    cache: dict[Path, int] = {}
    total = 0
    for url in urls:
        local = local_file(dist, url)
        if local is None or not local.is_file():
            continue
        if local not in cache:
            cache[local] = len(gzip.compress(local.read_bytes(), 6))
        total += cache[local]
    return total


def main(argv=None) -> int:
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    run = BenchRun(args.dist, args.build)
    dist, manifest, server = run.dist, run.manifest, run.server
    cold = {k: [] for k in KINDS}
    warm = {k: [] for k in WARM}
    with sync_playwright() as p:
        browser = launch(p)
        version = browser.version
        for rnd in range(args.rounds):
            order = KINDS[rnd % 3:] + KINDS[:rnd % 3]
            visits = {}
            try:
                for kind in order:
                    visits[kind] = Visit(browser, server, kind, args.timeout * 1000)
                    cold[kind].append(visits[kind].cold())
                server.stop()
                warm_order = WARM if rnd % 2 == 0 else WARM[::-1]
                for kind in warm_order:
                    if kind == "carelog, no snapshot":
                        continue
                    warm[kind].append(visits[kind].warm())
                    if kind == "carelog":
                        warm["carelog, no snapshot"].append(visits[kind].warm(snapshot=False))
            finally:
                server.start()
                for visit in visits.values():
                    visit.close()
            line = ", ".join(f"{k} {cold[k][-1]['ready']:.0f}" for k in KINDS)
            line += "; warm " + ", ".join(f"{k} {warm[k][-1]['ready']:.0f}" for k in warm)
            print(f"round {rnd + 1}/{args.rounds} (ms to ready) cold: {line}", flush=True)
        browser.close()
    run.finish()

    def trio(values):
        med, lo, hi = stats(values)
        return [ms(med), ms(lo), ms(hi)]

    def ratio(a, b):
        return f"{stats(a)[0] / stats(b)[0]:.2f}x"

    rows = []
    for kind in KINDS:
        rows.append([f"(a) cold first visit: {kind}", *trio(r["ready"] for r in cold[kind]),
                     *trio(r["wall"] for r in cold[kind])])
    for kind in warm:
        rows.append([f"(b) warm, server stopped: {kind}", *trio(r["ready"] for r in warm[kind]),
                     *trio(r["wall"] for r in warm[kind])])
    print()
    print(f"carelog start-up benchmark: Chromium {version}, {args.rounds} rounds, build {manifest['build']}, "
          f"served from 127.0.0.1 (gzip copies to clients that accept gzip)")
    print()
    print(table(["ms from navigation start to ready", "median", "min", "max",
                 "wall med", "wall min", "wall max"], rows))
    print()
    c_ready = {k: [r["ready"] for r in cold[k]] for k in KINDS}
    w_ready = {k: [r["ready"] for r in warm[k]] for k in warm}
    print(table(["ratio of medians", "carelog / bare+sw", "carelog / bare net", "target"], [
        ["cold first visit", ratio(c_ready["carelog"], c_ready["bare+sw"]),
         ratio(c_ready["carelog"], c_ready["bare net"]), f"<= {TARGETS['cold']}x"],
        ["warm start, offline (snapshot)", ratio(w_ready["carelog"], w_ready["bare+sw"]), "",
         f"<= {TARGETS['warm']}x"],
        ["warm start, offline, no snapshot", ratio(w_ready["carelog, no snapshot"], w_ready["bare+sw"]), "", ""],
    ]))
    paths = sorted({str(r["start_path"]) for r in warm["carelog"]}) + \
        sorted({str(r["start_path"]) for r in warm["carelog, no snapshot"]})
    print(f"carelog warm start paths seen: {paths[0]} (snapshot rows), {paths[-1]} (no-snapshot rows)")
    print()

    # Where carelog's time goes.
    ph_cold = [phases(r["marks"], False) for r in cold["carelog"]]
    ph_warm = [phases(r["marks"], True) for r in warm["carelog"]]
    names = list(dict.fromkeys([k for p in ph_cold + ph_warm for k in p]))
    rows = []
    for name in names:
        c = [p[name] for p in ph_cold if p.get(name) is not None]
        w = [p[name] for p in ph_warm if p.get(name) is not None]
        rows.append([name, ms(stats(c)[0]) if c else "-", ms(stats(w)[0]) if w else "-"])
    for kind in ("carelog", "bare+sw"):
        splits = [precache_split(r) for r in cold[kind]]
        keys = list(dict.fromkeys(k for sp in splits for k in sp))
        if keys:
            rows.append([f"{kind} precache detail (service worker's fetches):", "", ""])
        for key in keys:
            vals = [sp[key] for sp in splits if sp.get(key) is not None]
            if vals:
                rows.append([key, f"{stats(vals)[0]:.0f}" if "files" in key else ms(stats(vals)[0]), "-"])
    bare_c = [r["bare"]["loadPyodideMs"] for r in cold["bare+sw"]]
    bare_w = [r["bare"]["loadPyodideMs"] for r in warm["bare+sw"]]
    bare_n = [r["bare"]["loadPyodideMs"] for r in cold["bare net"]]
    rows.append(["bare+sw: loadPyodide() alone", ms(stats(bare_c)[0]), ms(stats(bare_w)[0])])
    rows.append(["bare+sw: nav -> SW controls (precache)",
                 ms(stats(r["bare"]["swReadyAt"] for r in cold["bare+sw"])[0]), "-"])
    rows.append(["bare net: loadPyodide() alone", ms(stats(bare_n)[0]), "-"])
    print(table(["carelog boot phases, median ms", "cold", "warm"], rows))
    print()

    # (c) bytes.
    rows = []
    for kind in KINDS:
        pw = [r["pw_bytes"] for r in cold[kind]]
        sv = [r["server_bytes"] for r in cold[kind]]
        n_req = stats(r["pw_requests"] for r in cold[kind])[0]
        gz = gzip_bytes(dist, cold[kind][0]["files"])  # every response gzip-6: a host that gzips all
        rows.append([f"(c) first visit: {kind}", f"{stats(pw)[0] / 1e6:.2f}", f"{min(pw) / 1e6:.2f}",
                     f"{max(pw) / 1e6:.2f}", f"{stats(sv)[0] / 1e6:.2f}", f"{n_req:.0f}", f"{gz / 1e6:.2f}"])
    print(table(["MB of response bodies (1 MB = 10^6 B)", "median", "min", "max", "server says",
                 "requests", "if gzip-6"], rows))
    pw_ratio = stats(r["pw_bytes"] for r in cold["carelog"])[0] / stats(r["pw_bytes"] for r in cold["bare+sw"])[0]
    pw_mb = stats(r["pw_bytes"] for r in cold["carelog"])[0] / 1e6
    print(f"first visit over the wire: carelog {pw_mb:.2f} MB (target <= {TARGETS['gzip_mb']} MB); "
          f"bytes carelog / bare+sw: {pw_ratio:.2f}x")
    lazy = set(manifest.get("lazy", []))
    precached = [f for f in manifest["files"] if f["path"] not in lazy]
    print(f"precached (asset-manifest minus lazy): {sum(f['bytes'] for f in precached) / 1e6:.2f} MB in "
          f"{len(precached)} files; lazy, not precached: {len(lazy)} files")
    used = {local_file(dist, u) for u in cold["carelog"][0]["page_urls"]}
    unused = [f for f in precached if (dist / f["path"]) not in used]
    print(f"carelog files the page itself requested during boot: {len(used)}; precached but not requested "
          f"at boot: {len(unused)} files, {sum(f['bytes'] for f in unused) / 1e6:.2f} MB "
          f"(largest: {', '.join(f['path'] for f in sorted(unused, key=lambda f: -f['bytes'])[:4])})")
    offline = [(r["network_ok"], r["network_failed"]) for k in warm for r in warm[k]]
    print(f"warm starts: requests answered by the network {sum(o for o, _ in offline)}, "
          f"failed (server stopped) {sum(f for _, f in offline)}")
    print()
    print(run.report())
    if args.json:
        strip = lambda rs: [{k: v for k, v in r.items() if k not in ("files", "page_urls")}  # noqa: E731
                            for r in rs]
        args.json.write_text(json.dumps({"chromium": version, "build": manifest["build"],
                                         "cold": {k: strip(v) for k, v in cold.items()},
                                         "warm": {k: strip(v) for k, v in warm.items()},
                                         "load_samples": run.monitor.samples}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

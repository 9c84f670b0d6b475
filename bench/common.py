"""Shared parts of carelog's benchmarks (not tests: they print figures).

- ``snapshot_dist()``: a private, checked copy of dist/ (other people rebuild
  dist/ while benchmarks run; a copy keeps one run on one build).
- ``BenchServer``: serves that copy at ``/carelog/`` through ``build.make_handler``
  and the bare-Pyodide baseline page at ``/bench/bare/`` on 127.0.0.1; it can be
  stopped and started again on the same port (to prove "offline" by stopping
  it), and counts the response-body bytes it sends. Like ``build.py serve`` it
  sends the build's .gz copies to a browser that accepts gzip (the bare page's
  Pyodide files too), so the bytes counted are the bytes over the wire.
- ``BenchRun``: the start-up block every benchmark shares (machine load before,
  dist copy, server, load monitor) and its closing lines of the report.
- ``launch()``: Debian's Chromium with the project's flags.
- ``MARKS_SCRIPT``: an init script that timestamps boot phases in the page.
- ``open_app()`` / ``add_person()`` / ``run_py()`` / ``load_page_module()``: the
  app opened with ``?debug=1`` and ready, its first caregiver and person, Python
  run in the page, and a bench's in-page half (bench/*_page.py) loaded as a module.
- ``stats()`` / ``table()``: median/min/max and a plain text table.
- ``arg_parser()``: the options every benchmark has (--dist, --build, --json).

The bare page (bench/pages/) loads ``vendor/pyodide/pyodide.mjs`` from the same
dist copy (mapped to ``/bench/bare/vendor/pyodide/``) and times ``loadPyodide()``.
With ``?sw=precache`` it first installs its own tiny service worker
(bench/pages/bare-sw.js) that precaches the same Pyodide files, as the app's
sw.js does, so that a reload with the server stopped is served from the worker.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PAGES = BENCH / "pages"
sys.path.insert(0, str(ROOT))

import build  # noqa: E402  (the repo's build.py: make_handler, build)

APP_BASE = "/carelog/"
BARE_BASE = "/bench/bare/"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


# --------------------------------------------------------------------------- dist snapshot

def _dist_is_whole(folder: Path) -> str | None:
    """None if every file of folder's asset-manifest.json is there with its sha256."""
    manifest_path = folder / "asset-manifest.json"
    if not manifest_path.is_file():
        return "no asset-manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except ValueError as error:
        return f"asset-manifest.json: {error}"
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if not path.is_file():
            return f"missing {entry['path']}"
        with path.open("rb") as f:
            if hashlib.file_digest(f, "sha256").hexdigest() != entry["sha256"]:
                return f"{entry['path']} does not match the manifest"
    return None


def snapshot_dist(source: Path | None = None, fresh_build: bool = False) -> tuple[Path, dict]:
    """A checked private copy of dist/ in a temp folder, and its manifest.

    fresh_build=True runs build.build() into the temp folder instead of copying
    (then the working tree's sources are what is measured).
    """
    tmp = Path(tempfile.mkdtemp(prefix="carelog-bench-"))
    atexit.register(shutil.rmtree, tmp, True)
    out = tmp / "dist"
    if fresh_build:
        build.build(ROOT, out)
    else:
        source = (source or ROOT / "dist").resolve()
        for attempt in range(10):
            if out.exists():
                shutil.rmtree(out)
            try:
                shutil.copytree(source, out)
                problem = _dist_is_whole(out)
            except (OSError, shutil.Error) as error:
                problem = str(error)
            if problem is None:
                break
            print(f"dist/ is changing under us ({problem}); retrying", file=sys.stderr, flush=True)
            time.sleep(2)
        else:
            raise SystemExit(f"could not take a whole copy of {source}: run `python3 build.py` first")
    problem = _dist_is_whole(out)
    if problem:
        raise SystemExit(f"{out}: {problem}")
    manifest = json.loads((out / "asset-manifest.json").read_text("utf-8"))
    return out, manifest


# --------------------------------------------------------------------------- server

class BenchServer:
    """dist at APP_BASE (build.make_handler) + the bare page at BARE_BASE, on 127.0.0.1.

    start()/stop() may be called again and again; the port stays the same.
    ``bytes_sent`` counts response bodies (not headers) since reset_counter().
    """

    def __init__(self, dist: Path, port: int = 0):
        self.dist = Path(dist).resolve()
        self.port = port
        self.httpd = None
        self.thread = None
        self.lock = threading.Lock()
        self.bytes_sent = 0
        self.requests = 0
        self.handler = self._handler_class()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def app_url(self) -> str:
        return self.origin + APP_BASE

    @property
    def bare_url(self) -> str:
        return self.origin + BARE_BASE + "bare.html"

    def reset_counter(self) -> None:
        with self.lock:
            self.bytes_sent = 0
            self.requests = 0

    def _count(self, n: int) -> None:
        with self.lock:
            self.bytes_sent += n
            self.requests += 1

    def _handler_class(self):
        app_handler = build.make_handler(self.dist, APP_BASE)
        pyodide_dir = str(self.dist / "vendor" / "pyodide")
        pages_dir = str(PAGES)
        owner = self

        class Handler(app_handler):
            def send_head(self):
                path = self.path.partition("?")[0]
                if path.startswith(BARE_BASE):
                    return self._send_gzip_head() or http.server.SimpleHTTPRequestHandler.send_head(self)
                return super().send_head()

            def translate_path(self, path):
                clean = path.partition("?")[0].partition("#")[0]
                if clean.startswith(BARE_BASE):
                    rest = clean[len(BARE_BASE):]
                    if rest.startswith("vendor/pyodide/"):
                        self.directory = pyodide_dir
                        rest = rest[len("vendor/pyodide/"):]
                    else:
                        self.directory = pages_dir
                    return http.server.SimpleHTTPRequestHandler.translate_path(self, "/" + rest)
                return super().translate_path(path)

            def copyfile(self, source, outputfile):
                n = 0
                while chunk := source.read(256 * 1024):
                    outputfile.write(chunk)
                    n += len(chunk)
                owner._count(n)

            def log_message(self, format, *args):  # quiet
                pass

        return Handler

    def start(self) -> "BenchServer":
        if self.httpd is not None:
            return self
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        httpd.daemon_threads = True
        self.port = httpd.server_address[1]
        self.httpd = httpd
        self.thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.httpd is None:
            return
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
        self.httpd = self.thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class BenchRun:
    """What every benchmark starts with and ends with:

        run = BenchRun(args.dist, args.build)   # load before, dist copy, server, monitor
        ... run.server.app_url, run.dist, run.manifest ...
        run.finish()                            # server and monitor stopped
        print(run.report())                     # machine load lines + run time
    """

    def __init__(self, dist: Path | None = None, fresh_build: bool = False):
        self.started = time.perf_counter()
        self.load_before = machine_load()
        self.busy_before = busy_processes()
        self.dist, self.manifest = snapshot_dist(dist, fresh_build)
        self.server = BenchServer(self.dist).start()
        self.monitor = LoadMonitor().start()
        self.elapsed = 0.0

    def finish(self) -> None:
        self.server.stop()
        self.monitor.stop()
        self.elapsed = time.perf_counter() - self.started

    def report(self) -> str:
        return "\n".join([
            f"machine before: {self.load_before}; CPU in use (1 s, % of one core): {', '.join(self.busy_before)}",
            self.monitor.summary(),
            f"total run time {self.elapsed:.0f} s"])


def arg_parser(doc: str) -> argparse.ArgumentParser:
    """A command-line parser, described by doc's first paragraph, with the
    options every benchmark has: --dist, --build and --json."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--dist", type=Path, help="built site to copy (default: dist/)")
    p.add_argument("--build", action="store_true", help="build the working tree into a temp folder instead")
    p.add_argument("--json", type=Path, help="also write the raw figures to this file")
    return p


# --------------------------------------------------------------------------- browser

def launch(playwright):
    """Debian's Chromium, headless, with the project's flags."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def launch_on_disk(playwright, user_data_dir: Path):
    """A persistent context (a real profile folder): storage goes to disk, as on
    a tablet, instead of an off-the-record context's memory."""
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


READY_OR_ERROR = "['ready','error'].includes(document.documentElement.dataset.appState)"


def open_app(page, url: str, timeout_ms: float = 180_000) -> list[str]:
    """Open the app at url with ?debug=1 and wait until it is ready and its
    Python hook (window.carelogDebug.runPython) is there. Returns the list the
    page's uncaught errors are collected in; exits if the app does not start."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "?debug=1", wait_until="commit")
    page.wait_for_function(READY_OR_ERROR, timeout=timeout_ms)
    if page.evaluate("document.documentElement.dataset.appState") != "ready":
        text = page.evaluate("document.getElementById('boot-error-detail')?.textContent")
        raise SystemExit(f"the app did not start: {text} {errors}")
    page.wait_for_function("typeof window.carelogDebug?.runPython === 'function'", timeout=30_000)
    return errors


def add_person(page, caregiver: str = "Ann", recipient: str = "Mum") -> None:
    """From a fresh app: name the caregiver and add a care recipient, through the UI."""
    page.fill("#f-name", caregiver)
    page.click("form[data-form=caregiver] button[type=submit]")
    page.wait_for_selector("form[data-form=recipient]")
    page.fill("#f-name", recipient)
    page.click("form[data-form=recipient] button[type=submit]")
    page.wait_for_selector("main h1.recipient-name")


def run_py(page, source: str):
    """Run Python in the page; its last expression must be a JSON string (returned parsed)."""
    return json.loads(page.evaluate("(src) => window.carelogDebug.runPython(src)", source))


def load_page_module(page, path: Path, name: str) -> None:
    """Load a bench's in-page half (Python source at path) as module `name` inside Pyodide."""
    page.evaluate("([name, src]) => { (globalThis.benchSources ??= {})[name] = src; }",
                  [name, path.read_text("utf-8")])
    source = f"str(getattr(js.globalThis.benchSources, {name!r}))"
    run_py(page, "import js, json, sys, types\n"
                 f"m = types.ModuleType({name!r})\n"
                 f"exec(compile({source}, {str(path.relative_to(ROOT))!r}, 'exec'), m.__dict__)\n"
                 f"sys.modules[{name!r}] = m\n"
                 "json.dumps({})")


# Timestamps (performance.now(), ms since navigation start) of boot phases:
# service-worker control, PyScript progress events, data-app-state changes.
MARKS_SCRIPT = r"""
(() => {
  const marks = [];
  globalThis.__benchMarks = marks;
  const mark = (name) => marks.push([name, performance.now()]);
  addEventListener("py:progress", (e) => mark("py:" + e.detail));
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("controllerchange", () => mark("sw:controllerchange"));
  }
  addEventListener("DOMContentLoaded", () => mark("DOMContentLoaded"));
  new MutationObserver(() => {
    const el = document.documentElement;
    const s = el && (el.dataset.appState || el.dataset.state);
    if (s) mark("state:" + s);
  }).observe(document, { subtree: true, attributes: true,
                         attributeFilter: ["data-app-state", "data-state"] });
})();
"""


def machine_load() -> str:
    """The 1/5/15-minute load averages and the core count, as text."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def busy_processes(min_cpu: float = 10.0, window: float = 1.0) -> list[str]:
    """CPU used by the whole machine ("all") and by each process using at least
    min_cpu % of one core, over the next `window` seconds."""
    try:
        before, sys_before = _proc_table(), _system_busy_ticks()
        time.sleep(window)
        after, sys_after = _proc_table(), _system_busy_ticks()
        hz = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return []
    total = 100.0 * (sys_after - sys_before) / hz / window
    busy = {}
    for pid, (_, comm, ticks, _) in after.items():
        used = 100.0 * (ticks - before.get(pid, (0, comm, ticks, 0))[2]) / hz / window
        busy[comm] = busy.get(comm, 0.0) + used
    return [f"all {total:.0f}%"] + [f"{comm} {cpu:.0f}%" for comm, cpu in
                                    sorted(busy.items(), key=lambda kv: -kv[1]) if cpu >= min_cpu]


def _proc_table() -> dict[int, tuple[int, str, int, int]]:
    """{pid: (ppid, command, utime + stime, cutime + cstime)} in ticks, from /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        out[int(entry)] = (int(fields[1]), comm, int(fields[11]) + int(fields[12]),
                           int(fields[13]) + int(fields[14]))
    return out


def _system_busy_ticks() -> int:
    """Non-idle CPU ticks of the whole machine since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle


class LoadMonitor:
    """Samples, every `every` s, the CPU used by processes OUTSIDE this process's tree.

    summary() says how busy the rest of the machine was while the benchmark ran
    (in % of one core; the machine has os.cpu_count() cores).
    """

    def __init__(self, every: float = 1.0):
        self.every = every
        self.samples: list[float] = []
        self.culprits: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _ours(self, table) -> set[int]:
        me = os.getpid()
        children: dict[int, list[int]] = {}
        for pid, (ppid, *_) in table.items():
            children.setdefault(ppid, []).append(pid)
        ours, todo = set(), [me]
        while todo:
            pid = todo.pop()
            ours.add(pid)
            todo.extend(children.get(pid, []))
        return ours

    def _run(self):
        hz = os.sysconf("SC_CLK_TCK")
        before, sys_before, t_before = _proc_table(), _system_busy_ticks(), time.monotonic()
        while not self._stop.wait(self.every):
            after, sys_after, t_after = _proc_table(), _system_busy_ticks(), time.monotonic()
            ours = self._ours(after)
            span = t_after - t_before
            ours_ticks = 0
            for pid, (_, comm, ticks, child_ticks) in after.items():
                if pid in ours:
                    # New processes of ours count whole; reaped children through cutime.
                    old = before.get(pid, (0, comm, 0, 0))
                    ours_ticks += ticks + child_ticks - old[2] - old[3]
                elif pid in before:
                    used = ticks - before[pid][2]
                    if used > 0:
                        self.culprits[comm] = self.culprits.get(comm, 0.0) + 100.0 * used / hz / span
            # Everything the machine did (short-lived processes too) minus our tree.
            other = max(0.0, 100.0 * (sys_after - sys_before - ours_ticks) / hz / span)
            self.samples.append(other)
            before, sys_before, t_before = after, sys_after, t_after

    def start(self) -> "LoadMonitor":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def summary(self) -> str:
        if not self.samples:
            return "other processes: not sampled"
        mean = sum(self.samples) / len(self.samples)
        top = sorted(self.culprits.items(), key=lambda kv: -kv[1])[:4]
        names = ", ".join(f"{c} {v / len(self.samples):.0f}%" for c, v in top if v / len(self.samples) >= 1)
        quiet = "quiet" if mean < 10 else "BUSY"
        return (f"other processes during the run: mean {mean:.0f}%, max {max(self.samples):.0f}% "
                f"of one core ({os.cpu_count()} cores) -> {quiet}" + (f"; mostly {names}" if names else ""))


# --------------------------------------------------------------------------- figures

def stats(values) -> tuple[float, float, float]:
    """(median, min, max) of a non-empty sequence."""
    values = list(values)
    return statistics.median(values), min(values), max(values)


def table(headers: list[str], rows: list[list], aligns: str | None = None) -> str:
    """A plain monospaced table; numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    aligns = aligns or "l" + "r" * (len(headers) - 1)

    def fmt(row):
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, aligns))

    lines = [fmt(cells[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells[1:]]
    return "\n".join(lines)


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}" if value >= 1 else f"{value:.3f}"

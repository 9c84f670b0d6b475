"""Helpers shared by the browser tests: the app server, the page guard, waits.

Fixtures live in conftest.py; tests import these functions:

    from .helpers import wait_ready, setup_person
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
import build  # noqa: E402

BASE_PATH = "/carelog/sub/"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def site_dist(tmp_path_factory) -> Path:
    """The built site: the repo's dist/ (run_all.sh builds it), else a fresh build."""
    dist = REPO / "dist"
    if (dist / "index.html").is_file() and (dist / "asset-manifest.json").is_file():
        return dist
    out = tmp_path_factory.mktemp("build") / "dist"
    subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(out)], cwd=REPO, check=True)
    return out


@contextlib.contextmanager
def guarded_pages(browser, request, make_guard, timeout_ms: int):
    """Open guarded pages, each in a fresh context; at the end close them and
    fail the test on anything a guard caught (or, if the test failed already,
    print what the pages said to explain it).

        with guarded_pages(browser, request, lambda: Guard(server), 30_000) as open_page:
            page = open_page(viewport=TABLET)
    """
    made: list[tuple] = []

    def open_page(viewport: dict | None = None, **context_options):
        context = browser.new_context(viewport=viewport or TABLET, **context_options)
        context.set_default_timeout(timeout_ms)
        page = context.new_page()
        guard = make_guard()
        guard.attach(context, page)
        page.guard = guard
        made.append((context, guard))
        return page

    yield open_page
    problems = {}
    for context, guard in made:
        problems.update(guard.problems())
        try:
            context.close()
        except Exception:
            pass
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for _context, guard in made:
            print("page console:", *guard.seen_console[-60:], sep="\n  ")
            if guard.problems():
                print("page guard:", json.dumps(guard.problems(), indent=2))
    elif problems:
        pytest.fail("page guard: " + json.dumps(problems, indent=2))


@contextlib.contextmanager
def launched_chromium():
    """Debian's Chromium driven by Playwright, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}
READY_TIMEOUT_MS = 90_000


class _Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


class Served(NamedTuple):
    """One response of the app server: the request's path, when (time.time()), its status."""
    path: str
    at: float
    status: int

    @property
    def downloaded(self) -> bool:
        """A body was sent (not a 304 answer to a revalidation)."""
        return self.status != 304


class AppServer:
    """A stoppable, restartable static server for one folder at BASE_PATH.

    The port is chosen once (the first start) and kept for every restart, so
    the browser sees one origin for the whole test."""

    def __init__(self, folder: Path, base_path: str = BASE_PATH):
        self.folder = Path(folder)
        self.base_path = base_path
        self.port: int | None = None
        self.served: list[Served] = []  # every response, in order
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def requests(self) -> list[str]:
        """The paths of every request served so far (clear with ``served.clear()``)."""
        return [s.path for s in self.served]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.origin + self.base_path

    def _handler(self):
        base = build.make_handler(self.folder, self.base_path)
        served = self.served

        class Quiet(base):
            def log_request(self, code="-", size="-"):
                served.append(Served(self.path, time.time(), int(getattr(code, "value", code))))

            def log_message(self, format, *args):  # noqa: A002 - stdlib signature
                pass

        return Quiet

    def start(self) -> "AppServer":
        if self._httpd is not None:
            return self
        deadline = time.monotonic() + 15
        while True:
            try:
                httpd = _Server(("127.0.0.1", self.port or 0), self._handler())
                break
            except OSError:  # the old socket is still closing: same port or nothing
                if self.port is None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"app-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)
        self._httpd = self._thread = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def serve(self, folder: Path) -> None:
        """Serve another folder on the same port (a new deploy)."""
        self.stop()
        self.folder = Path(folder)
        self.start()


class Guard:
    """Collects what must never happen in a page; checked when the test ends.

    ``allow_console_error(pattern)`` lets one test accept an expected console
    error (a regex searched in the message text)."""

    def __init__(self, server: AppServer):
        self.server = server
        self.foreign_requests: list[str] = []
        self.outside_base: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed_console: list[re.Pattern] = []
        self.seen_console: list[str] = []

    def allow_console_error(self, pattern: str) -> None:
        self.allowed_console.append(re.compile(pattern))

    def on_request(self, request) -> None:
        url = request.url
        if url.startswith(("data:", "blob:", "about:")):
            return
        if not url.startswith(self.server.origin + "/"):
            self.foreign_requests.append(url)
        elif not url.startswith(self.server.url):
            self.outside_base.append(url)

    def on_console(self, msg) -> None:
        text = msg.text
        self.seen_console.append(f"{msg.type}: {text}")
        if msg.type == "error" and not any(p.search(text) for p in self.allowed_console):
            loc = msg.location or {}
            self.console_errors.append(f"{text} ({loc.get('url', '')}:{loc.get('lineNumber', '')})")

    def on_page_error(self, error) -> None:
        self.page_errors.append(str(error))

    def on_dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        try:
            dialog.dismiss()
        except Exception:  # the page may be gone already
            pass

    def attach(self, context, page) -> None:
        context.on("request", self.on_request)
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)
        page.on("dialog", self.on_dialog)

    def problems(self) -> dict[str, list[str]]:
        found = {"requests to other origins": self.foreign_requests,
                 "requests outside the sub-path": self.outside_base,
                 "console errors": self.console_errors,
                 "uncaught page errors": self.page_errors,
                 "dialogs": self.dialogs}
        return {k: v for k, v in found.items() if v}


# --------------------------------------------------------------------------- waits and steps

def app_state(page) -> str:
    return page.evaluate("document.documentElement.dataset.appState")


def wait_ready(page, timeout: int = READY_TIMEOUT_MS) -> None:
    """Wait for the boot to settle; fail with the shown reason unless it is ready."""
    page.wait_for_function(
        "() => ['ready', 'error'].includes(document.documentElement.dataset.appState)", timeout=timeout)
    state = app_state(page)
    if state != "ready":
        text = page.evaluate("(document.getElementById('boot-error') || {}).innerText || ''")
        pytest.fail(f"the app did not start (state {state!r}): {text}")


OFFLINE_COPY_WHOLE = """() => !!navigator.serviceWorker.controller
  && caches.open(`carelog-${document.documentElement.dataset.build}`)
    .then((cache) => cache.match(new URL("asset-manifest.json", location.href).href)).then((hit) => !!hit)"""


def wait_offline_copy(page, timeout: int = 60_000) -> None:
    """Wait until the service worker holds this build whole and controls the page
    (public/sw.js): a first visit starts from the network, and the worker copies the
    build once the app is ready. Before that an offline reload fails."""
    page.wait_for_function(OFFLINE_COPY_WHOLE, timeout=timeout)


def wait_snapshot_saved(page) -> None:
    """Wait until the start-up snapshot worker has finished (public/js/fast-start.mjs); it saved one."""
    page.wait_for_function("document.documentElement.dataset.snapshotSaved", timeout=120_000)
    assert page.evaluate("document.documentElement.dataset.snapshotSaved") == "yes"


def wait_screen(page, heading: str | re.Pattern, timeout: int = 15_000) -> None:
    """Wait until main's h1 reads ``heading``."""
    from playwright.sync_api import expect

    expect(page.locator("main h1")).to_have_text(heading, timeout=timeout)


def run_python(page, source: str, timeout: int = 120_000):
    """Run Python in the page through ``carelogDebug.runPython`` (needs ?debug=1)."""
    page.wait_for_function("() => window.carelogDebug && window.carelogDebug.runPython", timeout=timeout)
    return page.evaluate("(src) => window.carelogDebug.runPython(src)", source)


def setup_person(page, caregiver: str = "Ann", recipient: str = "Mum") -> None:
    """From a fresh app: set the caregiver's name and add a care recipient."""
    wait_screen(page, "Welcome to carelog")
    page.fill("#f-name", caregiver)
    page.click("form[data-form=caregiver] button[type=submit]")
    wait_screen(page, "Who do you care for?")
    page.fill("#f-name", recipient)
    page.click("form[data-form=recipient] button[type=submit]")
    wait_screen(page, recipient)


def timeline_summaries(page) -> list[str]:
    """The timeline's entry summaries, top (newest) first."""
    return page.locator("ol.timeline .item-link .summary").all_inner_texts()


def wait_for_toast(page, pattern: str | re.Pattern, timeout: int = 15_000) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#toast .toast")).to_contain_text(pattern, timeout=timeout)


# JavaScript for an async function body: `db`, the app's database opened raw (no version:
# as it is), for tests that look under the app. Prefix it: "async () => {" + OPEN_APP_DB + "...}".
OPEN_APP_DB = """
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open("carelog");
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
"""

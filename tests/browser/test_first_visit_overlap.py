"""A first visit starts Python while the build still downloads.

On a first visit the service worker (public/sw.js) takes control once it has
checked the build's manifest, and downloads the build while the page starts
PyScript; a request for a file still on its way waits for it and is answered
from the worker's cache (one build, nothing downloaded twice). boot.js opens
the app's IndexedDB database while the runtime loads, and the app takes that
open over instead of making a second one (public/js/idb.js ``openEarly``).

The server here holds back ``pyodide.asm.wasm`` for a moment, so that the
worker is sure to control the page before the file is in its cache.
"""

from __future__ import annotations

import json
import time

import pytest

from .helpers import setup_person, timeline_summaries, wait_ready, wait_screen
from .test_fast_start import reload_ready, start_path, wait_snapshot_saved

pytestmark = pytest.mark.browser

SLOW_FILE = "/vendor/pyodide/pyodide.asm.wasm"
HOLD_S = 2.0

# at the worker's taking control: is the wasm in its cache yet? And every
# indexedDB.open, in order.
WATCH = """
(() => {
  globalThis.__opens = [];
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (name, ...rest) {
    // [name, had Python been started yet?]
    globalThis.__opens.push([String(name), Boolean(document.querySelector("script[type=py]"))]);
    return open.call(this, name, ...rest);
  };
  if (!navigator.serviceWorker) return;
  navigator.serviceWorker.addEventListener("controllerchange", async () => {
    const cache = await caches.open(`carelog-${document.documentElement.dataset.build}`);
    const wasm = new URL("vendor/pyodide/pyodide.asm.wasm", document.baseURI).href;
    globalThis.__wasmCachedAtControl = Boolean(await cache.match(wasm));
  }, { once: true });
})();
"""


@pytest.fixture
def slow_wasm(app_server):
    """The app server, holding back the wasm runtime by HOLD_S seconds."""
    plain = app_server._handler

    def handler():
        class Slow(plain()):
            def send_head(self):
                if self.path.partition("?")[0].endswith(SLOW_FILE):
                    time.sleep(HOLD_S)
                return super().send_head()
        return Slow

    app_server._handler = handler
    app_server.restart()
    try:
        yield app_server
    finally:
        del app_server._handler  # back to the class's own
        app_server.restart()


def test_first_visit_starts_python_while_the_build_downloads(page, slow_wasm, dist_dir):
    manifest = json.loads((dist_dir / "asset-manifest.json").read_text("utf-8"))
    page.context.add_init_script(WATCH)
    runtime = []  # the page's own responses for the runtime
    page.on("response", lambda r: runtime.append(r) if "/vendor/" in r.url or "/app/" in r.url else None)
    page.goto(slow_wasm.url)
    wait_ready(page)

    # the worker controlled the page before the wasm was downloaded, and the page's
    # request for it waited for the worker's download: answered from its cache
    assert page.evaluate("globalThis.__wasmCachedAtControl") is False
    wasm = [r for r in runtime if r.url.endswith("pyodide.asm.wasm")]
    assert wasm and all(r.from_service_worker for r in wasm), [r.url for r in wasm]
    assert [r.url for r in runtime if not r.from_service_worker] == []
    fetched = [path.split("?")[0] for path in slow_wasm.requests]
    assert fetched.count(slow_wasm.base_path + SLOW_FILE.lstrip("/")) == 1, fetched
    runtime_paths = [path for path in fetched if "/vendor/" in path or "/app/" in path]
    twice = sorted({path for path in runtime_paths if runtime_paths.count(path) > 1})
    assert twice == [], f"downloaded twice: {twice}"

    # one open of the app's database, begun before Python was: the app took it over
    assert page.evaluate("globalThis.__opens.filter(([name]) => name === 'carelog')") == [["carelog", False]]

    # the whole build is in the cache (the snapshot worker reads it too), so it starts offline
    setup_person(page, "Dee", "Gran")
    before = timeline_summaries(page)
    wait_snapshot_saved(page)
    lazy = set(manifest["lazy"])
    cached = set(page.evaluate(
        "async (b) => (await (await caches.open(`carelog-${b}`)).keys()).map(r => r.url)", manifest["build"]))
    missing = sorted(f["path"] for f in manifest["files"]
                     if f["path"] not in lazy and slow_wasm.url + f["path"] not in cached)
    assert missing == []
    slow_wasm.stop()
    reload_ready(page)
    assert start_path(page) == ("snapshot", None)
    wait_screen(page, "Gran")
    assert timeline_summaries(page) == before

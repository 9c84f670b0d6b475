"""The first visit downloads the whole build, from this site only.

A full boot makes no request to another origin (the page guard fails the test
on any) nor outside the sub-path, and afterwards the service worker's cache for
this build holds every file of asset-manifest.json (but the "lazy" ones nothing
loads), byte for byte. The page starts from the network; the worker copies the
build once the app is ready, not while Python starts, and what the page has
already downloaded is revalidated (304), not downloaded again.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from .helpers import wait_offline_copy, wait_ready

pytestmark = pytest.mark.browser

CACHE_REPORT = """async (build) => {
  const cache = await caches.open(`carelog-${build}`);
  const out = {};
  for (const request of await cache.keys()) {
    const body = await (await cache.match(request)).arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", body);
    out[request.url] = [body.byteLength, Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")];
  }
  return out;
}"""


def test_first_visit_caches_the_whole_build_from_this_origin(page, app_server, dist_dir):
    manifest = json.loads((dist_dir / "asset-manifest.json").read_text("utf-8"))
    seen: list[str] = []
    page.context.on("request", lambda request: seen.append(request.url))
    runtime_responses: list = []  # the page's own (not the worker's) responses for the runtime
    page.on("response", lambda r: runtime_responses.append(r) if "/vendor/" in r.url or "/app/" in r.url else None)
    page.goto(app_server.url)
    wait_ready(page)
    at_ready = list(runtime_responses)
    wait_offline_copy(page)

    assert page.evaluate("navigator.serviceWorker.controller && navigator.serviceWorker.controller.state") == "activated"
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == app_server.url + "sw.js"
    cached = page.evaluate(CACHE_REPORT, manifest["build"])
    lazy = set(manifest["lazy"])
    assert lazy and all(path.startswith("vendor/") for path in lazy)
    expected = {app_server.url + f["path"]: [f["bytes"], f["sha256"]] for f in manifest["files"]
                if f["path"] not in lazy}
    missing = sorted(set(expected) - set(cached))
    assert not missing, f"not cached: {missing}"
    wrong = sorted(url for url in expected if cached[url] != expected[url])
    assert not wrong, f"cached with other bytes: {wrong}"
    keys = page.evaluate("caches.keys()")  # and the start-up snapshot's, once it is saved
    assert [k for k in keys if not k.startswith("carelog-snapshot-")] == [f"carelog-{manifest['build']}"]
    assert not sorted(set(cached) & {app_server.url + path for path in lazy}), "lazy files were precached"

    # everything the boot fetched came from this site's sub-path
    assert seen, "no requests were seen"
    assert all(url.startswith(app_server.url) for url in seen), [u for u in seen if not u.startswith(app_server.url)]
    assert page.guard.foreign_requests == [] and page.guard.outside_base == []
    # the first start read the runtime from the network, as a plain page would: the
    # worker copies the build once the app is ready, and controls the page only then
    assert any(r.url.endswith("pyodide.asm.wasm") for r in at_ready), "the page loaded no runtime"
    through_worker = [r.url for r in at_ready if r.from_service_worker]
    assert not through_worker, f"the worker served a first start: {through_worker}"
    # the big runtime was downloaded once: the worker's copy was a revalidation
    wasm = [s.status for s in app_server.served if s.path == "/carelog/sub/vendor/pyodide/pyodide.asm.wasm"]
    assert wasm == [200, 304], wasm


def test_a_file_that_reaches_the_worker_with_other_bytes_is_downloaded_again(page, app_server, dist_dir):
    """The worker checks every file it keeps against the build's sha256: one that comes
    with other bytes (e.g. a stale copy in a cache on the way) fails the copy, which is
    then made again from the server, and only then is the manifest kept (the copy whole)."""
    manifest = json.loads((dist_dir / "asset-manifest.json").read_text("utf-8"))
    # a start file the page loads (a comment more does no harm)
    entry = next(f for f in manifest["files"] if f["path"].startswith("vendor/pyscript/deprecations-manager-"))
    target = entry["path"]
    assert target in manifest["start"]
    served: list[str] = []

    def wrong_for_the_worker_once(route):
        if len(served) != 1:  # the page's load, and the worker's second try
            served.append("right")
            route.continue_()
            return
        served.append("wrong")
        response = route.fetch()
        route.fulfill(response=response, body=response.body() + b"\n/* not this build */\n")

    page.guard.allow_console_error(r"integrity|deprecations-manager")
    page.context.route(f"**/{target}", wrong_for_the_worker_once)
    page.goto(app_server.url)
    wait_ready(page)
    wait_offline_copy(page)
    assert served[:3] == ["right", "wrong", "right"], served
    cached = page.evaluate(CACHE_REPORT, manifest["build"])
    assert cached[app_server.url + target] == [entry["bytes"], entry["sha256"]]
    wrong = sorted(f["path"] for f in manifest["files"] if f["path"] not in manifest["lazy"]
                   and cached.get(app_server.url + f["path"]) != [f["bytes"], f["sha256"]])
    assert wrong == []


def test_a_first_visit_keeps_the_manifest_once_its_files_are_checked(page, app_server, dist_dir):
    manifest = json.loads((dist_dir / "asset-manifest.json").read_text("utf-8"))
    page.goto(app_server.url)
    wait_ready(page)
    wait_offline_copy(page)
    # the kept manifest is this build's, and the worker serves it (offline checks read it)
    assert page.evaluate("fetch('./asset-manifest.json').then(r => r.json()).then(m => m.build)") == manifest["build"]


# The page's wall clock (s) when the boot marks it ready.
READY_CLOCK = """new MutationObserver(() => {
  const html = document.documentElement;
  if (html && html.dataset.appState === "ready" && !globalThis.__readyAt) {
    globalThis.__readyAt = (performance.timeOrigin + performance.now()) / 1000;
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-app-state"] });"""


def test_a_first_visit_starts_from_the_network_and_the_worker_copies_the_build_once_ready(
        page, app_server, dist_dir):
    """Until the page says it is ready, only the page downloads (each file once, nothing
    the worker wants): the worker's first request, for the manifest, comes after. Then it
    requests every file of the offline copy, and nothing is downloaded twice: what the
    page has loaded is answered 304 and read from the browser's HTTP cache."""
    manifest = json.loads((dist_dir / "asset-manifest.json").read_text("utf-8"))
    base = app_server.base_path
    kept = {base + f["path"] for f in manifest["files"] if f["path"] not in manifest["lazy"]}
    page.add_init_script(READY_CLOCK)
    first = len(app_server.served)  # the server serves the whole module's tests
    page.goto(app_server.url)
    wait_ready(page)
    wait_offline_copy(page)
    ready_at = page.evaluate("globalThis.__readyAt")
    seen = [s._replace(path=s.path.split("?")[0]) for s in app_server.served[first:]]

    before = [s.path for s in seen if s.at < ready_at]
    assert base + "vendor/pyodide/pyodide.asm.wasm" in before and base + "app/" in " ".join(before)
    assert [path for path, n in Counter(before).items() if n > 1] == []
    # the page marks itself ready, then tells the worker: a few ms before the worker's request
    asked = [s.at for s in seen if s.path == base + "asset-manifest.json"]
    assert len(asked) == 1 and asked[0] > ready_at - 0.05, (asked, ready_at)
    copied = {s.path for s in seen if s.at >= asked[0]}
    assert sorted(kept - copied) == [], "not requested by the worker"
    downloads = Counter(s.path for s in seen if s.downloaded)
    assert [path for path, n in downloads.items() if n > 1] == [], "downloaded twice"
    revalidated = {s.path for s in seen if not s.downloaded}
    assert set(before) & kept <= revalidated, sorted(set(before) & kept - revalidated)


# Every value the boot's progress bar shows until the app is ready, and its max.
WATCH_BAR = """globalThis.__bar = [];
(function watch() {
  const bar = document.getElementById("boot-progress");
  const last = globalThis.__bar[globalThis.__bar.length - 1];
  if (bar && bar.hasAttribute("value") && (!last || last[0] !== bar.value)) globalThis.__bar.push([bar.value, bar.max]);
  const html = document.documentElement;  // none yet while the init script runs
  if (!html || html.dataset.appState !== "ready") requestAnimationFrame(watch);
})();"""


def test_a_first_visit_shows_the_download_moving_toward_what_the_start_needs(page, app_server, dist_dir):
    """The page downloads the start files itself: the bar counts their bytes as they
    arrive (the big runtime files as they stream), toward index.html's data-start-bytes."""
    total = int(re.search(r'data-start-bytes="(\d+)"', (dist_dir / "index.html").read_text("utf-8")).group(1))
    manifest = json.loads((dist_dir / "asset-manifest.json").read_text("utf-8"))
    assert total == sum(f["bytes"] for f in manifest["files"] if f["path"] in manifest["start"])
    page.add_init_script(WATCH_BAR)
    page.goto(app_server.url)
    wait_ready(page)
    shown = page.evaluate("globalThis.__bar")
    values = [value for value, _ in shown]
    assert {top for _, top in shown} == {total}
    assert values == sorted(values) and len(values) >= 10, values  # it moves, and only forward
    assert values[-1] >= 0.9 * total, (values[-1], total)  # nearly all of it came before ready

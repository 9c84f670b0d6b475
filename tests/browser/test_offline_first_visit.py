"""The first visit downloads the whole build, from this site only.

A full boot makes no request to another origin (the page guard fails the test
on any) nor outside the sub-path, and afterwards the service worker's cache for
this build holds every file of asset-manifest.json (but the "lazy" ones nothing
loads), byte for byte. The files the start does not need are fetched once the
app is ready, not while Python starts.
"""

from __future__ import annotations

import json

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
    # the runtime was read from the service worker's cache (one build), not the network
    assert runtime_responses, "the page loaded no runtime files"
    not_from_cache = [r.url for r in runtime_responses if not r.from_service_worker]
    assert not not_from_cache, f"loaded around the service worker: {not_from_cache}"
    assert any(r.url.endswith("pyodide.asm.wasm") for r in runtime_responses)
    # the big runtime was downloaded once (by the precache), not twice
    wasm = [p for p in app_server.requests if p.startswith("/carelog/sub/vendor/pyodide/pyodide.asm.wasm")]
    assert len(wasm) == 1, wasm


def test_a_start_file_with_other_bytes_is_fetched_again_before_the_copy_counts(page, app_server, dist_dir):
    """A first visit caches its start files without integrity checks (the page waits
    for them) and checks them right after: a file that came with other bytes than the
    build's (e.g. a stale copy from a cache on the way) is dropped and fetched again,
    checked, and only then is the manifest kept, which makes the offline copy whole."""
    manifest = json.loads((dist_dir / "asset-manifest.json").read_text("utf-8"))
    # a start file the page loads (a comment more does no harm)
    entry = next(f for f in manifest["files"] if f["path"].startswith("vendor/pyscript/deprecations-manager-"))
    target = entry["path"]
    assert target in manifest["start"]
    served: list[str] = []

    def once_wrong(route):
        if served:
            served.append("right")
            route.continue_()
            return
        served.append("wrong")
        response = route.fetch()
        route.fulfill(response=response, body=response.body() + b"\n/* not this build */\n")

    page.context.route(f"**/{target}", once_wrong)
    page.goto(app_server.url)
    wait_ready(page)
    wait_offline_copy(page)
    assert served[:2] == ["wrong", "right"], served
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


def test_a_first_visit_fetches_what_the_start_does_not_need_once_the_app_is_ready(page, app_server, dist_dir):
    """The QR code wheel, the snapshot worker, PyScript's storage and terminal hooks (and
    the shell the page loaded itself) are not needed to start: the worker fetches them once
    the page says it is ready, so they do not compete with Python's start for the CPU.
    Each is fetched once. (A start file left out of the manifest's "start" would miss the
    cache before ready and fetch them all at once.)"""
    manifest = json.loads((dist_dir / "asset-manifest.json").read_text("utf-8"))
    tail = {f["path"] for f in manifest["files"]} - set(manifest["lazy"]) - set(manifest["start"])
    later = sorted(path for path in tail if path.startswith("vendor/") or path == "js/snapshot-worker.mjs")
    assert "js/snapshot-worker.mjs" in later and [p for p in later if p.startswith("vendor/pyodide/segno-")]
    assert "vendor/pyscript/storage.js" in later
    page.add_init_script(READY_CLOCK)
    first = len(app_server.request_times)  # the server serves the whole module's tests
    page.goto(app_server.url)
    wait_ready(page)
    wait_offline_copy(page)
    ready_at = page.evaluate("globalThis.__readyAt")
    seen = app_server.request_times[first:]
    runtime = [at for path, at in seen if path.split("?")[0].endswith("/pyodide.asm.wasm")]
    assert len(runtime) == 1 and runtime[0] < ready_at  # the start's own files came before
    for path in later:
        times = [at for got, at in seen if got.split("?")[0] == app_server.base_path + path]
        assert len(times) == 1, (path, times)
        # the page marks itself ready, then tells the worker: a few ms before the worker's request
        assert times[0] > ready_at - 0.05, f"{path} fetched {ready_at - times[0]:.2f} s before ready"

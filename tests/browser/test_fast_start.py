"""Fast start: a Pyodide memory snapshot on the device, and every way back from it.

public/js/fast-start.mjs (pyscript.json's "interpreter") boots normally when no
usable snapshot is stored, has a worker (snapshot-worker.mjs) make and save one
once the app is ready, and restores it on later starts. These tests drive both paths, a corrupted and an unusable
snapshot, and an update to a new build, and check each time that the app
comes up with the same data and still saves. <html data-start-path> says which
path ran; the tests never look at timings.
"""

from __future__ import annotations

import pytest

from .helpers import (run_python, setup_person, timeline_summaries, wait_for_toast, wait_ready, wait_screen,
                      wait_snapshot_saved)
from .test_update import make_build_b

pytestmark = pytest.mark.browser

DEBUG = "?debug=1"  # the page's test hook (carelogDebug.runPython)


def start_path(page) -> tuple[str | None, str | None]:
    return tuple(page.evaluate("[document.documentElement.dataset.startPath || null,"
                               " document.documentElement.dataset.startNote || null]"))


def snapshot_caches(page) -> list[str]:
    return page.evaluate("caches.keys().then(keys => keys.filter(k => k.startsWith('carelog-snapshot-')))")


def stored_snapshots(page) -> int:
    """How many snapshots are stored (a start that found none has opened an empty cache)."""
    return page.evaluate("""async () => {
      let count = 0;
      for (const name of await caches.keys()) {
        if (name.startsWith('carelog-snapshot-')) count += (await (await caches.open(name)).keys()).length;
      }
      return count;
    }""")


def add_note(page, text: str) -> None:
    page.click("a.log-button[data-kind=note]")
    page.fill("#f-text", text)
    page.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(page, f"Saved: {text}")


def reload_ready(page) -> None:
    page.reload()
    wait_ready(page)


TAMPER = """async ([mode]) => {
  const name = (await caches.keys()).find(k => k.startsWith('carelog-snapshot-'));
  const cache = await caches.open(name);
  const [request] = await cache.keys();
  const stored = await cache.match(request);
  const bytes = new Uint8Array(await stored.arrayBuffer());
  let sha = stored.headers.get('x-sha256');
  if (mode === 'flip') {
    bytes[bytes.length >> 1] ^= 0xff;  // one byte in the middle of the heap; the old sum stays
  } else {
    bytes.fill(7, 0, 64);  // a broken header with a matching sum: Pyodide must refuse it
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    sha = Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, '0')).join('');
  }
  await cache.put(request, new Response(bytes, {headers: {'x-sha256': sha}}));
  return bytes.length;
}"""


def test_snapshot_start_has_the_same_data_and_keeps_saving(page, app_server):
    page.goto(app_server.url + DEBUG)
    wait_ready(page)
    build = page.evaluate("document.documentElement.dataset.build")
    assert start_path(page) == ("normal", "none stored")
    setup_person(page, "Ann", "Mum")
    add_note(page, "Slept well")
    before = timeline_summaries(page)
    wait_snapshot_saved(page)
    assert snapshot_caches(page) == [f"carelog-snapshot-{build}"]

    # a later start, offline: restored from the snapshot, same data, still saves
    app_server.stop()
    reload_ready(page)
    assert start_path(page) == ("snapshot", None)
    wait_screen(page, "Mum")
    assert timeline_summaries(page) == before
    add_note(page, "Ate lunch")
    first = run_python(page, "import random; random.random()")
    after = timeline_summaries(page)
    assert len(after) == len(before) + 1

    reload_ready(page)
    assert start_path(page) == ("snapshot", None)
    wait_screen(page, "Mum")
    assert timeline_summaries(page) == after
    # the random module is re-seeded after each restore, not replayed
    assert run_python(page, "import random; random.random()") != first


def test_first_visit_leaves_the_snapshot_to_a_worker_and_the_next_start_uses_it(page, app_server):
    """The first visit boots normally and makes no snapshot on its way to ready;
    a worker makes it afterwards from the service worker's copy (no file of the
    runtime or the app is downloaded twice), and the next start restores it."""
    app_server.served.clear()
    page.goto(app_server.url + DEBUG)
    wait_ready(page)
    build = page.evaluate("document.documentElement.dataset.build")
    assert start_path(page) == ("normal", "none stored")
    # at ready nothing is stored yet: the snapshot is not made on the start's path
    assert page.evaluate("document.documentElement.dataset.snapshotSaved || null") is None
    assert stored_snapshots(page) == 0
    setup_person(page, "Dee", "Gran")
    add_note(page, "Slept after lunch")
    before = timeline_summaries(page)
    wait_snapshot_saved(page)
    assert snapshot_caches(page) == [f"carelog-snapshot-{build}"]
    assert stored_snapshots(page) == 1
    # the page downloaded them; the service worker's copy and the snapshot worker (which
    # reads that copy) were answered 304 or from the cache
    fetched = [s.path.split("?")[0] for s in app_server.served if s.downloaded]
    runtime = [path for path in fetched if "/vendor/" in path or "/app/" in path]
    assert any(path.endswith("/pyodide.asm.wasm") for path in runtime)
    assert sorted({path for path in runtime if runtime.count(path) > 1}) == []

    app_server.stop()
    reload_ready(page)
    assert start_path(page) == ("snapshot", None)
    wait_screen(page, "Gran")
    assert timeline_summaries(page) == before
    add_note(page, "Watched the news")
    assert len(timeline_summaries(page)) == len(before) + 1


@pytest.mark.parametrize("mode, note", [("flip", "corrupt: dropped"), ("header", "restore failed")])
def test_bad_snapshot_means_a_normal_start(page, app_server, mode, note):
    page.guard.allow_console_error("Snapshot has invalid magic number")
    page.goto(app_server.url)
    wait_ready(page)
    setup_person(page, "Bea", "Dad")
    add_note(page, "Took a walk")
    before = timeline_summaries(page)
    wait_snapshot_saved(page)

    assert page.evaluate(TAMPER, [mode]) > 1_000_000
    reload_ready(page)
    path, why = start_path(page)
    assert path == "normal" and why.startswith(note), why
    wait_screen(page, "Dad")
    assert timeline_summaries(page) == before
    add_note(page, "Had tea")
    # a good snapshot replaces the bad one, and the next start uses it
    wait_snapshot_saved(page)
    reload_ready(page)
    assert start_path(page) == ("snapshot", None)
    wait_screen(page, "Dad")
    assert len(timeline_summaries(page)) == len(before) + 1


def test_update_drops_the_old_builds_snapshot(page, app_server, dist_dir, tmp_path):
    page.goto(app_server.url)
    wait_ready(page)
    build_a = page.evaluate("document.documentElement.dataset.build")
    setup_person(page, "Cleo", "Aunt May")
    add_note(page, "Before the update")
    before = timeline_summaries(page)
    wait_snapshot_saved(page)
    reload_ready(page)
    assert start_path(page) == ("snapshot", None)

    old, build_b = make_build_b(dist_dir, tmp_path / "build-b")
    assert old == build_a
    app_server.serve(tmp_path / "build-b")
    # ask for the update, and again every 10 s until build B is installed (one check
    # can race the server's switch to build B and find nothing new)
    page.wait_for_function("""() => {
      if (window.carelogBoot.updateReady === true) return true;
      const now = Date.now();
      if (!window.__askedAt || now - window.__askedAt > 10000) {
        window.__askedAt = now;
        navigator.serviceWorker.getRegistration().then((reg) => reg && reg.update()).catch(() => {});
      }
      return false;
    }""", timeout=150_000, polling=1000)
    with page.expect_navigation():
        page.evaluate("window.carelogBoot.applyUpdate()")
    wait_ready(page)
    assert page.evaluate("document.documentElement.dataset.build") == build_b
    # build A's snapshot is never used by build B, and is deleted
    assert start_path(page) == ("normal", "none stored")
    wait_screen(page, "Aunt May")
    assert timeline_summaries(page) == before
    wait_snapshot_saved(page)
    assert snapshot_caches(page) == [f"carelog-snapshot-{build_b}"]
    app_server.stop()
    reload_ready(page)
    assert start_path(page) == ("snapshot", None)
    wait_screen(page, "Aunt May")
    assert timeline_summaries(page) == before

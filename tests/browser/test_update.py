"""A new build is offered, never forced.

Build A runs; build B (one CSS byte changed, a new build id in index.html and
sw.js, asset-manifest.json updated to match) is deployed on the same origin.
While a caregiver is typing in a form nothing happens; on the home screen a
banner offers the update; "Reload now" switches to B with every entry kept and
A's cache deleted.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .helpers import (setup_person, timeline_summaries, wait_for_toast, wait_offline_copy, wait_ready, wait_screen,
                      wait_snapshot_saved)

pytestmark = pytest.mark.browser

BANNER = "A new version of carelog is ready"


def make_build_b(dist: Path, dest: Path) -> tuple[str, str]:
    """Copy dist to dest as a new deploy; returns (old build id, new build id)."""
    shutil.copytree(dist, dest)
    manifest = json.loads((dest / "asset-manifest.json").read_text("utf-8"))
    old = manifest["build"]
    new = hashlib.sha256(f"{old}+b".encode()).hexdigest()[:16]
    css = dest / "css" / "app.css"
    css.write_bytes(css.read_bytes() + b"\n/* build b */\n")
    for name in ("index.html", "sw.js"):
        path = dest / name
        text = path.read_text("utf-8")
        assert old in text, f"{name} does not carry the build id"
        path.write_text(text.replace(old, new), "utf-8")
    changed = {"css/app.css", "index.html"}  # sw.js is not precached: the browser fetches it itself
    for entry in manifest["files"]:
        if entry["path"] in changed:
            data = (dest / entry["path"]).read_bytes()
            entry["bytes"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
            changed.discard(entry["path"])
    assert not changed, f"not in the manifest: {changed}"
    assert "sw.js" not in {entry["path"] for entry in manifest["files"]}
    manifest["build"] = new
    (dest / "asset-manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return old, new


def carelog_caches(page) -> list[str]:
    """The build caches (the start-up snapshot's cache is checked in test_fast_start.py)."""
    return page.evaluate("caches.keys().then(keys => keys.filter(k => k.startsWith('carelog-')"
                         " && !k.startsWith('carelog-snapshot-')))")


def test_new_build_is_offered_not_forced(page, app_server, dist_dir, tmp_path):
    page.goto(app_server.url)
    wait_ready(page)
    # a first visit that has settled: the worker's copy made after ready, the snapshot saved
    wait_offline_copy(page)
    wait_snapshot_saved(page)
    build_a = page.evaluate("document.documentElement.dataset.build")
    setup_person(page, "Cleo", "Aunt May")
    for text in ("Took her tablets with breakfast", "Walked to the park"):
        page.click("a.log-button[data-kind=note]")
        page.fill("#f-text", text)
        page.click("form[data-form='log:note'] button[type=submit]")
        wait_for_toast(page, f"Saved: {text}")
    before = timeline_summaries(page)
    assert carelog_caches(page) == [f"carelog-{build_a}"]

    # the caregiver is in the middle of a note when build B is deployed
    page.click("a.log-button[data-kind=note]")
    page.fill("#f-text", "Half-typed note")
    page.evaluate("window.__sameDocument = true")
    old_id, build_b = make_build_b(dist_dir, tmp_path / "build-b")
    assert old_id == build_a
    app_server.serve(tmp_path / "build-b")
    page.evaluate("navigator.serviceWorker.getRegistration().then(reg => reg.update())")
    # B installs in the background (the whole build, integrity-checked) and waits
    page.wait_for_function("() => window.carelogBoot.updateReady === true", timeout=90_000)
    page.wait_for_function(
        "() => navigator.serviceWorker.getRegistration().then(reg => !!reg.waiting)", timeout=30_000)

    # not forced: no banner on the form, the typing is untouched, no reload
    page.wait_for_timeout(500)
    expect(page.locator(".banner")).to_have_count(0)
    expect(page.locator("#f-text")).to_have_value("Half-typed note")
    assert page.evaluate("window.__sameDocument") is True
    assert page.url.endswith("#/log/note")
    assert page.evaluate("document.documentElement.dataset.build") == build_a

    # offered on the home screen
    page.locator("form[data-form='log:note'] a.button", has_text="Cancel").click()
    wait_screen(page, "Aunt May")
    banner = page.locator(".banner")
    expect(banner).to_contain_text(BANNER)
    assert page.evaluate("window.__sameDocument") is True
    assert timeline_summaries(page) == before

    # "Reload now" switches to build B, with every entry kept
    with page.expect_navigation():
        banner.locator("button[data-action=apply-update]").click()
    wait_ready(page)
    assert page.evaluate("window.__sameDocument") is None
    assert page.evaluate("document.documentElement.dataset.build") == build_b
    assert page.evaluate("window.carelogBoot.build") == build_b
    wait_screen(page, "Aunt May")
    assert timeline_summaries(page) == before
    expect(page.locator(".banner")).to_have_count(0)
    # the new CSS is the one in use, and A's cache is gone
    css = page.evaluate("fetch('./css/app.css').then(r => r.text())")
    assert css.endswith("/* build b */\n")
    page.wait_for_function(
        f"() => caches.keys().then(keys => !keys.includes('carelog-{build_a}'))", timeout=15_000)
    assert carelog_caches(page) == [f"carelog-{build_b}"]

    # and B works offline too
    app_server.stop()
    response = page.reload()
    assert response is not None and response.from_service_worker
    wait_ready(page)
    assert page.evaluate("document.documentElement.dataset.build") == build_b
    assert timeline_summaries(page) == before


def test_schema_upgrade_in_another_tab_keeps_the_form(page, app_server):
    """Another tab opens the database at a newer version: this tab steps aside,
    says so on the form without wiping it, and does not pretend to save."""
    page.goto(app_server.url)
    wait_ready(page)
    setup_person(page, "Dan", "Uncle Bo")
    page.click("a.log-button[data-kind=note]")
    page.fill("#f-text", "Typed before the other tab")
    page.focus("#f-text")

    other = page.context.new_page()
    other.goto(app_server.url + "asset-manifest.json")  # same origin, not the app
    newer = page.evaluate("globalThis.carelogIdb.DB_VERSION") + 1  # one above idb.js's DB_VERSION
    version = other.evaluate("""(newer) => new Promise((resolve, reject) => {
        const req = indexedDB.open("carelog", newer);
        req.onsuccess = () => { const v = req.result.version; req.result.close(); resolve(v); };
        req.onerror = () => reject(req.error);
    })""", newer)
    assert version == newer  # it was not blocked: this tab closed its connection
    other.close()

    expect(page.locator(".banner.warn")).to_contain_text("carelog was updated in another tab")
    expect(page.locator("#f-text")).to_have_value("Typed before the other tab")
    expect(page.locator("#f-text")).to_be_focused()
    page.click("form[data-form='log:note'] button[type=submit]")
    expect(page.locator("#form-problem")).to_contain_text("could not be saved")
    expect(page.locator("#f-text")).to_have_value("Typed before the other tab")
    expect(page.locator("#toast")).not_to_contain_text("Saved")

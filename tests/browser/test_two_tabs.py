"""Two tabs of one device: an entry saved in one shows in the other without a
reload, and a schema upgrade opened by a newer build in one tab does not hang
on the other (the other tab closes its connection on ``versionchange`` and asks
to be reloaded), nothing stored is lost."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import setup_person, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

# What a newer build does on open: ask for the next schema version. Resolves
# with how it went; "blocked" alone would mean the other tab hangs the upgrade.
UPGRADE = """async () => {
  const current = await new Promise((resolve, reject) => {
    const req = indexedDB.open("carelog");
    req.onsuccess = () => { const v = req.result.version; req.result.close(); resolve(v); };
    req.onerror = () => reject(req.error);
  });
  return await new Promise((resolve) => {
    let blocked = false;
    const req = indexedDB.open("carelog", current + 1);
    req.onupgradeneeded = () => { req.result.createObjectStore("from_a_newer_build"); };
    req.onblocked = () => { blocked = true; };
    req.onsuccess = () => {
      const db = req.result;
      const tx = db.transaction("events", "readonly");
      const count = tx.objectStore("events").count();
      count.onsuccess = () => { db.close(); resolve({ ok: true, blocked, version: current + 1, events: count.result }); };
    };
    req.onerror = () => resolve({ ok: false, blocked, error: String(req.error) });
    setTimeout(() => resolve({ ok: false, blocked, error: "timed out" }), 15000);
  });
}"""


def add_note(page, text: str) -> None:
    page.click("main a.log-button[data-kind=note]")
    page.fill("#f-text", text)
    page.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(page, "Saved")
    wait_screen(page, "Mum")


def test_an_entry_saved_in_one_tab_shows_in_the_other(make_page, app_server):
    first = make_page()
    first.goto(app_server.url)
    wait_ready(first)
    setup_person(first, "Ann", "Mum")
    second = first.context.new_page()
    second.on("console", first.guard.on_console)
    second.on("pageerror", first.guard.on_page_error)
    second.goto(app_server.url)
    wait_ready(second)
    wait_screen(second, "Mum")

    add_note(first, "Written in the first tab")
    expect(second.locator("ol.timeline .item-link", has_text="Written in the first tab")).to_have_count(1)
    add_note(second, "Written in the second tab")
    expect(first.locator("ol.timeline .item-link", has_text="Written in the second tab")).to_have_count(1)


def test_an_upgrade_in_another_tab_does_not_hang_and_asks_for_a_reload(make_page, app_server):
    old = make_page()
    old.goto(app_server.url)
    wait_ready(old)
    setup_person(old, "Ann", "Mum")
    add_note(old, "Kept across the upgrade")
    newer = old.context.new_page()
    newer.on("pageerror", old.guard.on_page_error)
    newer.goto(app_server.url + "asset-manifest.json")  # same origin, no app running in this tab
    result = newer.evaluate(UPGRADE)
    assert result["ok"], result
    assert result["events"] >= 2  # the person and the note are still there after the upgrade
    banner = old.locator(".banner.warn[role=alert]")
    expect(banner).to_contain_text("carelog was updated in another tab. Reload this tab to go on.")
    expect(banner.locator("button[data-action=reload]")).to_be_visible()

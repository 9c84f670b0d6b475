"""A full disk in the real browser: IndexedDB throws QuotaExceededError.

The devtools protocol shrinks this origin's quota to one byte
(``Storage.overrideQuotaForOrigin``), so Chromium's own quota check refuses the
next IndexedDB write with a QuotaExceededError. The caregiver is told what happened and what to do, the
text being typed stays in the form, nothing stored changes, and after the quota
is lifted the same Save works.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .crash import DUMP_JS
from .helpers import setup_person, timeline_summaries, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

CACHE_WAIT_MS = 32_000
TYPED = "Typed while the tablet was full: ate half of lunch"


def stored(page) -> list[dict]:
    return sorted(page.evaluate(DUMP_JS)["events"], key=lambda r: r["id"])


def test_full_storage_keeps_the_typed_entry_and_saving_works_after(page, app_server):
    page.goto(app_server.url)
    wait_ready(page)
    setup_person(page)
    page.click("main a.log-button[data-kind=note]")
    page.fill("#f-text", "Saved before the disk filled")
    page.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(page, "Saved: Saved before the disk filled")
    before = stored(page)

    cdp = page.context.new_cdp_session(page)
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": app_server.origin, "quotaSize": 1})
    # Chromium enforces the override on writes (estimate() does not show it) once the
    # free space its IndexedDB cached at the last check is older than about 30 s.

    page.click("main a.log-button[data-kind=note]")
    page.fill("#f-text", TYPED)
    page.wait_for_timeout(CACHE_WAIT_MS)
    page.click("form[data-form='log:note'] button[type=submit]")
    problem = page.locator("#form-problem")
    expect(problem).to_contain_text("storage is full, so this was NOT saved")
    expect(problem).to_contain_text("Free some space")
    expect(problem).to_contain_text("tap Save again")
    expect(page.locator("#f-text")).to_have_value(TYPED)       # what was typed is still there
    expect(page.locator("form[data-form='log:note'] button[type=submit]")).to_be_enabled()
    assert stored(page) == before                               # nothing saved changed

    # a second try while still full: the same answer, still nothing written
    page.click("form[data-form='log:note'] button[type=submit]")
    expect(page.locator("#f-text")).to_have_value(TYPED)
    expect(problem).to_contain_text("NOT saved")
    assert stored(page) == before

    cdp.send("Storage.overrideQuotaForOrigin", {"origin": app_server.origin})  # space freed
    page.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(page, f"Saved: {TYPED}")
    wait_screen(page, "Mum")
    assert timeline_summaries(page) == [TYPED, "Saved before the disk filled"]
    after = stored(page)
    assert len(after) == len(before) + 1 and all(r in after for r in before)

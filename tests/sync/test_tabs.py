"""Two tabs of one device: one syncs at a time (Web Lock ``carelog-sync``), and
the other tab shows what a sync pulled without a reload (BroadcastChannel)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..browser.helpers import setup_person, wait_ready, wait_screen
from .devices import RECIPIENT, add_note, set_up_sync, sync, sync_until_clean, welcome

pytestmark = [pytest.mark.sync, pytest.mark.browser]


def test_one_tab_syncs_at_a_time_and_the_other_tab_sees_new_entries(nginx, make_device, app_server):
    a = make_device()
    setup_person(a, "Ann", RECIPIENT)
    set_up_sync(a, nginx.endpoint, "", create=True)

    tab1 = make_device()
    welcome(tab1, "Bea")
    set_up_sync(tab1, nginx.endpoint, "")
    tab1.reload()
    wait_ready(tab1)
    wait_screen(tab1, RECIPIENT)
    tab2 = tab1.context.new_page()
    guard = tab1.guard  # the context's requests are guarded already; add this page's console
    tab2.on("console", guard.on_console)
    tab2.on("pageerror", guard.on_page_error)
    tab2.goto(app_server.url + "?debug=1")
    wait_ready(tab2)
    wait_screen(tab2, RECIPIENT)

    # tab 1 holds the sync lock: tab 2's run steps aside at once
    tab1.evaluate("""() => { navigator.locks.request("carelog-sync",
        () => new Promise((resolve) => { window.releaseSyncLock = resolve; })); }""")
    tab1.wait_for_function("() => typeof window.releaseSyncLock === 'function'")
    assert sync(tab2) is None
    tab1.evaluate("() => window.releaseSyncLock()")

    add_note(a, "Written on the other tablet")
    sync_until_clean(a)
    report = sync_until_clean(tab2)
    assert report["ok"]
    # one tab pulled it (tab 2 here, or tab 1's own timer run first); the other
    # shows it without a reload: the BroadcastChannel told it
    expect(tab1.locator("ol.timeline .item-link", has_text="Written on the other tablet")).to_have_count(1)
    expect(tab2.locator("ol.timeline .item-link", has_text="Written on the other tablet")).to_have_count(1)

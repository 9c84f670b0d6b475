"""Steps for the sync tests: set up sync through the settings panel, run a sync
through the mounted panel (``carelog.ui.sync_dom.PANEL``), read what a device holds."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from ..browser.helpers import run_python, wait_for_toast, wait_screen

RECIPIENT = "Mum"

STATE = """
import json
from carelog.ui import sync_dom
from carelog.domain.fold import fold
log = sync_dom.PANEL.service.log
events, _ = await log.store.events_after(0, 1_000_000)
entries = fold(events)
json.dumps({"events": sorted(e.id for e in events),
            "entries": {k: {"kind": v.kind, "payload": v.payload, "conflict": v.in_conflict,
                            "versions": sorted(json.dumps(c.payload, sort_keys=True) for c in v.conflict)}
                        for k, v in entries.items()}})
"""

SYNC = """
import json
from carelog.ui import sync_dom
report = await sync_dom.PANEL.run("test")
json.dumps(None if report is None else {"ok": report.ok, "errors": report.errors, "pulled": report.pulled,
           "pushed": report.pushed, "pending": report.pending, "unexpected": report.unexpected,
           "skipped": report.skipped})
"""


def set_up_sync(page, endpoint: str, passphrase: str = "", create: bool = False) -> None:
    page.click("#sync-root button[data-sync=settings]")
    page.fill("#f-sync-endpoint", endpoint)
    page.fill("#f-sync-passphrase", passphrase)
    page.click(f"#sync-root button[data-mode={'create' if create else 'join'}]")
    expect(page.locator("#sync-message")).to_have_text("Circle created." if create else "Joined the circle.",
                                                       timeout=60_000)
    expect(page.locator("#sync-status-text")).to_contain_text("Synced", timeout=60_000)
    page.click("#sync-root button[data-sync=close]")


WAIT_FOR_PANEL = """
import asyncio
from carelog.ui import sync_dom
for _ in range(600):
    if sync_dom.PANEL is not None:
        break
    await asyncio.sleep(0.05)
"""


def run_with_panel(page, code: str) -> str:
    """Runs ``code`` once the sync panel is mounted: since the lazy start (py/main.py) it is mounted just
    after ready, so a test that reads ``sync_dom.PANEL`` right after a reload could find none."""
    run_python(page, WAIT_FOR_PANEL)
    return run_python(page, code)


def sync(page) -> dict | None:
    return json.loads(run_with_panel(page, SYNC))


def sync_until_clean(page, tries: int = 5) -> dict:
    """Runs until one is clean (a timer run may hold the lock: then it is skipped)."""
    report = None
    for _ in range(tries):
        report = sync(page)
        if report is not None and report["ok"] and not report["skipped"]:
            return report
        page.wait_for_timeout(500)
    raise AssertionError(f"sync did not come clean: {report}")


def state(page) -> dict:
    return json.loads(run_with_panel(page, STATE))


def welcome(page, caregiver: str) -> None:
    wait_screen(page, "Welcome to carelog")
    page.fill("#f-name", caregiver)
    page.click("form[data-form=caregiver] button[type=submit]")
    wait_screen(page, "Who do you care for?")


def add_note(page, text: str) -> None:
    page.click("main a.log-button[data-kind=note]")
    page.fill("#f-text", text)
    page.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(page, "Saved")
    wait_screen(page, RECIPIENT)


def edit_note(page, old: str, new: str) -> str:
    link = page.locator("ol.timeline .item-link", has_text=old).first
    entry_id = link.evaluate("a => a.closest('[data-entry]').dataset.entry")
    link.click()
    form = page.locator(f"form[data-form='edit:{entry_id}']")
    expect(form).to_be_visible()
    page.fill("#f-text", new)
    page.click(f"form[data-form='edit:{entry_id}'] button[type=submit]")
    wait_for_toast(page, "Changes saved.")
    wait_screen(page, RECIPIENT)
    return entry_id

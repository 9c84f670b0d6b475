"""The handoff's Web Share branch, in Chromium with ``navigator.share`` provided
by an init script (Chromium on Linux has none): the app passes the title
"Shift handoff" and the summary shown on screen, and says it was shared
without touching the clipboard; a cancel (``AbortError``) says nothing
alarming, copies nothing and changes nothing; any other refusal falls back
to the clipboard.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import TABLET, run_python, setup_person, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

FAKE_SHARE = """
window.__shared = []; window.__copied = []; window.__shareAnswer = "ok";
Object.defineProperty(Navigator.prototype, "share", { configurable: true, value(data) {
  window.__shared.push({ title: data.title, text: data.text, keys: Object.keys(data).sort() });
  const answer = window.__shareAnswer;
  return answer === "ok" ? Promise.resolve() : Promise.reject(new DOMException("Share refused", answer));
} });
Object.defineProperty(Navigator.prototype, "clipboard", { configurable: true, get() {
  return { writeText(text) { window.__copied.push(text); return Promise.resolve(); } };
} });
"""

COUNT = """
from carelog.adapters.browser import IndexedDB
db = await IndexedDB.open("carelog")
rid = (await db.entries.events_of_kind("recipient"))[0].recipient
n = len(await db.entries.histories_in_range(rid, kinds=()))
db.handle.close()
n
"""


def test_handoff_share_uses_web_share_and_a_cancel_changes_nothing(make_page, app_server):
    page = make_page(viewport=TABLET)
    page.add_init_script(FAKE_SHARE)
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    assert page.evaluate("typeof navigator.share") == "function"
    setup_person(page, "Ann", "Mum")
    page.click("main a.log-button[data-kind=note]")
    page.fill("#f-text", "Ate all her lunch")
    page.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(page, "Saved")
    page.evaluate("location.hash = '#/handoff'")
    wait_screen(page, "Share the handoff")
    text = page.locator("#handoff-text").input_value()
    assert text.startswith("Shift handoff for Mum")

    # shared: the title and the very text on screen, and nothing copied
    page.click("button[data-action=share-handoff]")
    wait_for_toast(page, "Handoff summary shared.")
    assert page.evaluate("window.__shared") == [{"title": "Shift handoff", "text": text, "keys": ["text", "title"]}]
    assert page.evaluate("window.__copied") == []

    # cancelled: no message, nothing copied, the same screen and text, nothing saved
    before = run_python(page, COUNT)
    page.evaluate("window.__shareAnswer = 'AbortError'")
    page.click("button[data-action=share-handoff]")
    page.wait_for_function("window.__shared.length === 2")
    # the "shared" message goes when the cancel's answer has been handled, and no other comes
    expect(page.locator("#toast .toast")).to_have_count(0)
    expect(page.locator("#app [role=alert], #toast [role=alert], #boot-error:visible")).to_have_count(0)
    assert page.evaluate("window.__copied") == []
    expect(page.locator("main h1")).to_have_text("Share the handoff")
    assert page.locator("#handoff-text").input_value() == text
    assert run_python(page, COUNT) == before

    # refused for another reason (no share target): the clipboard instead
    page.evaluate("window.__shareAnswer = 'NotAllowedError'")
    page.click("button[data-action=share-handoff]")
    wait_for_toast(page, "Copied the handoff summary")
    assert page.evaluate("window.__copied") == [text]
    assert len(page.evaluate("window.__shared")) == 3

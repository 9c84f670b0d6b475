"""Text a user typed is shown as text, never run: not as HTML, not as PyScript.

PyScript runs a ``<script type="py">`` or ``<py-script>`` that appears in the
page later (even through innerHTML), so those payloads sit beside the classic
ones. Each one goes in as a recipient name, a note and a symptom name, and must
come back literally on the home screen, the entry screen and its history.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import timeline_summaries, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

PAYLOADS = [
    '<script type="py">import js; js.window.pwned = 1</script>',
    "<py-script>import js; js.window.pwned=2</py-script>",
    '<img src=x onerror="window.pwned=3">',
    '"><svg onload=window.pwned=4>',
]
RECIPIENT = PAYLOADS[0] + PAYLOADS[2]


def assert_not_pwned(page) -> None:
    assert page.evaluate("typeof window.pwned") == "undefined"
    # no markup made from user text: only boot.js's own main.py script, no images, no svg
    assert page.evaluate("document.querySelectorAll('script[type=py], script[type=mpy]').length") == 1
    assert page.evaluate("document.querySelectorAll('py-script, mpy-script, img, svg, [onerror], [onload]').length") == 0


def test_payloads_are_shown_literally_and_never_run(page, app_server):
    page.goto(app_server.url)
    wait_ready(page)
    wait_screen(page, "Welcome to carelog")
    page.fill("#f-name", PAYLOADS[1])
    page.click("form[data-form=caregiver] button[type=submit]")
    wait_screen(page, "Who do you care for?")
    page.fill("#f-name", RECIPIENT)
    page.click("form[data-form=recipient] button[type=submit]")
    wait_for_toast(page, f"Added {RECIPIENT}.")
    wait_screen(page, RECIPIENT)
    expect(page.locator("header .who")).to_have_text(RECIPIENT)

    expected = []
    for payload in PAYLOADS:
        page.click("a.log-button[data-kind=note]")
        page.fill("#f-text", payload)
        page.click("form[data-form='log:note'] button[type=submit]")
        wait_for_toast(page, f"Saved: {payload}")
        expected.insert(0, payload)
        page.click("a.log-button[data-kind=symptom]")
        page.fill("#f-name", payload)
        page.fill("#f-severity", "2")
        page.click("form[data-form='log:symptom'] button[type=submit]")
        wait_for_toast(page, f"Saved: {payload}, severity 2 out of 10")
        expected.insert(0, f"{payload}, severity 2 out of 10")
    # PyScript picks up new <script type="py"> asynchronously: give it time to (not) run
    page.wait_for_timeout(1500)
    assert timeline_summaries(page) == expected
    assert page.locator("ol.timeline .by").all_inner_texts() == [f"by {PAYLOADS[1]}"] * len(expected)
    assert_not_pwned(page)

    # the entry screen puts the text into form fields, the history lists it again
    for payload in PAYLOADS:
        # the note whose summary is exactly the payload (every item's "by" line holds one too)
        page.locator("ol.timeline .item-link").filter(
            has=page.locator(".summary").get_by_text(payload, exact=True)).click()
        expect(page.locator("main form[data-form^='edit:']")).to_be_visible()
        expect(page.locator("#f-text")).to_have_value(payload)
        expect(page.locator("main p.meta")).to_contain_text(f"recorded by {PAYLOADS[1]}")
        page.locator("main a.button", has_text="History").click()
        wait_screen(page, "History")
        expect(page.locator("ol.history")).to_contain_text(payload)
        page.click("header a.brand")
        wait_screen(page, RECIPIENT)

    # the people list and the settings screen show the names as text too
    page.click("header a.who")
    wait_screen(page, "Choose a person")
    expect(page.locator("main .card strong")).to_have_text(RECIPIENT)
    page.click("header a.settings-link")
    wait_screen(page, "Settings")
    expect(page.locator("#f-name")).to_have_value(PAYLOADS[1])

    # and after a reload (the text now comes from IndexedDB)
    page.click("header a.brand")
    page.reload()
    wait_ready(page)
    wait_screen(page, RECIPIENT)
    page.wait_for_timeout(1500)
    assert timeline_summaries(page) == expected
    assert_not_pwned(page)

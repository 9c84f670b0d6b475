"""System notifications in Chromium: the Settings switch asks permission only
when tapped; with permission granted (through the browser context) a new
alert shows a notification once; with permission denied, or no Notification
API, Settings says so and nothing is shown.

An init script wraps ``window.Notification`` to record each notification the
page creates (title, body, tag) and, in two tests, to report a denied
permission or remove the API, as such browsers do.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .helpers import TABLET, setup_person, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

RECORD = """(() => {
  window.__notes = [];
  window.__asked = 0;
  const Real = window.Notification;
  const mode = %r;
  if (mode === 'absent') { delete window.Notification; return; }
  class Recorded {
    constructor(title, options) { window.__notes.push({title, body: options && options.body, tag: options && options.tag}); }
    static get permission() { return mode === 'denied' ? 'denied' : Real.permission; }
    static requestPermission() { window.__asked += 1; return mode === 'denied' ? Promise.resolve('denied') : Real.requestPermission(); }
  }
  window.Notification = Recorded;
})();"""


def _open(make_page, app_server, mode: str, **options):
    page = make_page(viewport=TABLET, **options)
    page.add_init_script(RECORD % mode)
    page.goto(app_server.url)
    wait_ready(page)
    setup_person(page, "Ann", "Mum")
    return page


def _log_high_blood_pressure(page):
    page.click("main a.log-button[data-kind=vital]")
    page.click("main a.log-button[data-vital=blood_pressure]")
    page.fill("[name=systolic]", "190")
    page.fill("[name=diastolic]", "85")
    page.click("form[data-form='log:vital'] button[type=submit]")
    wait_for_toast(page, "Saved")
    wait_screen(page, "Mum")


def test_a_new_alert_shows_one_notification_once_allowed(make_page, app_server):
    page = _open(make_page, app_server, "granted", permissions=["notifications"])
    _log_high_blood_pressure(page)  # an alert before notifications are on: never told
    page.click("header a.settings-link")
    wait_screen(page, "Settings")
    switch = page.locator("button[role=switch][data-action=notify-toggle]")
    expect(switch).to_have_attribute("aria-checked", "false")
    assert page.evaluate("window.__asked") == 0  # nothing asked on load
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(page.locator("#notify-status")).to_contain_text("On: while carelog is open")
    page.click("a.brand")
    wait_screen(page, "Mum")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__notes") == []  # what was there already is not told

    _log_high_blood_pressure(page)
    page.wait_for_function("window.__notes.length >= 1")
    notes = page.evaluate("window.__notes")
    assert len(notes) == 1, notes
    assert notes[0]["title"].startswith("Alert: ") and notes[0]["tag"].startswith("alert:")
    page.click("main a[data-care=alerts]")  # more screens: no repeat
    wait_screen(page, "Alerts")
    page.click("a.brand")
    wait_screen(page, "Mum")
    page.wait_for_timeout(500)
    assert len(page.evaluate("window.__notes")) == 1

    page.reload()  # the choice is kept on this device
    wait_ready(page)
    page.click("header a.settings-link")
    expect(page.locator("button[role=switch]")).to_have_attribute("aria-checked", "true")
    page.click("button[role=switch]")
    expect(page.locator("button[role=switch]")).to_have_attribute("aria-checked", "false")
    expect(page.locator("#notify-status")).to_contain_text("Off.")


def test_denied_permission_is_said_in_plain_words_and_shows_nothing(make_page, app_server):
    page = _open(make_page, app_server, "denied")
    page.click("header a.settings-link")
    wait_screen(page, "Settings")
    expect(page.locator("#notify-status")).to_contain_text("Blocked: this browser's settings")
    page.click("button[role=switch]")
    expect(page.locator("button[role=switch]")).to_have_attribute("aria-checked", "false")
    page.click("a.brand")
    _log_high_blood_pressure(page)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__notes") == []


def test_no_notification_api_is_said_and_the_switch_is_off(make_page, app_server):
    page = _open(make_page, app_server, "absent")
    page.click("header a.settings-link")
    wait_screen(page, "Settings")
    expect(page.locator("#notify-status")).to_contain_text("This browser cannot show notifications.")
    expect(page.locator("button[role=switch]")).to_be_disabled()

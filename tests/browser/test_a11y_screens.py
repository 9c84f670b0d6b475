"""axe-core on every core screen (the daily-care screens are checked in
test_day_of_care): first start, home, every log form (also showing errors),
an entry, its history, settings and the people list. No serious or critical
violations; every target at least 44px.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .a11y import AXE, check_screen, go_and_check, install_axe
from .helpers import TABLET, setup_person, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser


def app_with_axe(make_page, app_server):
    """A tablet-sized page with axe-core loaded and the app ready."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed (npm ci)")
    page = make_page(viewport=TABLET)
    install_axe(page)
    page.goto(app_server.url)
    wait_ready(page)
    return page


def test_core_screens_have_no_serious_violations(make_page, app_server):
    page = app_with_axe(make_page, app_server)
    seen: list[str] = []

    wait_screen(page, "Welcome to carelog")
    check_screen(page, "welcome", seen)
    page.click("form[data-form=caregiver] button[type=submit]")  # empty name: an error
    expect(page.locator("#form-problem")).to_be_visible()
    check_screen(page, "welcome with an error", seen)
    page.fill("#f-name", "Ann")
    go_and_check(page, "form[data-form=caregiver] button[type=submit]", "Who do you care for?", "add a person", seen)
    page.fill("#f-name", "Mum")
    go_and_check(page, "form[data-form=recipient] button[type=submit]", "Mum", "home (empty)", seen)

    for kind in ("medication", "symptom", "note"):
        page.click(f"main a.log-button[data-kind={kind}]")
        expect(page.locator(f"form[data-form='log:{kind}']")).to_be_visible()
        check_screen(page, f"log {kind}", seen)
        page.click("main a:has-text('Cancel')")
        wait_screen(page, "Mum")
    go_and_check(page, "main a.log-button[data-kind=vital]", "Which vital sign?", "which vital", seen)
    page.click("main a.log-button[data-vital=blood_pressure]")
    page.click("form[data-form='log:vital'] button[type=submit]")  # empty: errors
    expect(page.locator("#form-problem")).to_be_visible()
    check_screen(page, "blood pressure with errors", seen)
    page.fill("[name=systolic]", "128")
    page.fill("[name=diastolic]", "82")
    page.click("form[data-form='log:vital'] button[type=submit]")
    wait_for_toast(page, "Saved")
    wait_screen(page, "Mum")
    check_screen(page, "home with an entry and a toast", seen)

    go_and_check(page, "ol.timeline .item-link", "Vital sign", "entry", seen)
    go_and_check(page, "main a:has-text('History')", "History", "history", seen)
    go_and_check(page, "header a.settings-link", "Settings", "settings", seen)
    go_and_check(page, "header a.who", "Choose a person", "people", seen)
    assert len(seen) == 14, seen


def test_timeline_notifications_and_daily_care_edit_screens_have_no_serious_violations(make_page, app_server):
    """The timeline with filters (also with a problem and no results), the edit
    screens of daily living and appointments, and Settings with notifications."""
    page = app_with_axe(make_page, app_server)
    setup_person(page, "Ann", "Mum")
    seen: list[str] = []

    page.click("main a[data-care=daily]")
    go_and_check(page, "main a[data-category=fluids]", "Drinks", "daily living form with its time", seen)
    page.fill("#f-amount_ml", "250")
    page.click("form[data-form='daily:fluids'] button[type=submit]")
    wait_for_toast(page, "Saved")
    page.click("main a[data-care=appointments]")
    page.click("main a[href='#/appointments/new']")
    page.fill("#f-title", "GP")
    page.fill("#f-starts", "2030-01-02T10:00")
    page.click("form[data-form=appointment] button[type=submit]")
    wait_for_toast(page, "Appointment saved")
    page.click("a.brand")
    wait_screen(page, "Mum")

    go_and_check(page, "ol.timeline li.kind-daily_living .item-link", "Daily living", "daily living entry", seen)
    page.click("main a:has-text('Back')")
    wait_screen(page, "Mum")
    go_and_check(page, "ol.timeline li.kind-appointment .item-link", "Appointment", "appointment entry", seen)
    page.click("main a:has-text('Back')")
    wait_screen(page, "Mum")

    go_and_check(page, "main a[data-care=timeline]", "Timeline", "timeline", seen)
    page.fill("#f-q", "nothing like this")
    page.click("form[data-form=timeline-filter] button[type=submit]")
    expect(page.locator("main")).to_contain_text("Nothing matches")
    check_screen(page, "timeline, no match", seen)
    page.evaluate("location.hash = '#/timeline?from=2026-02-31'")
    expect(page.locator("#filter-problem")).to_be_visible()
    check_screen(page, "timeline with a problem", seen)

    page.click("header a.settings-link")
    wait_screen(page, "Settings")
    expect(page.locator("button[role=switch]")).to_be_visible()
    check_screen(page, "settings with notifications", seen)
    assert len(seen) == 7, seen


TWO_PROFILES = r"""
from carelog.adapters.browser import IndexedDB
from carelog.domain.events import Event
from carelog.domain.hlc import Stamp

db = await IndexedDB.open("carelog")
rid = (await db.entries.events_of_kind("recipient"))[0].recipient
at = 1_780_000_000_000
base = {"name": "Mum", "timezone": "Europe/London", "conditions": ["Heart failure"], "allergies": [],
        "emergency_contacts": [{"name": "Tom", "relationship": "Son", "phone": "+44 20 7946 0958"}], "care_team": []}
other = {**base, "timezone": "Europe/Paris", "no_known_allergies": True, "notes": "Key under the mat",
         "care_team": [{"role": "GP", "name": "Dr Patel", "phone": "020 7946 0000"}]}
events = [Event.create(id=f"profile-{device}", recipient=rid, kind="profile", at=at, payload=payload,
                       author=author, device=device, hlc=Stamp(at + n, 0, device).encode())
          for n, (device, author, payload) in enumerate((("tablet-1", "Ann", base), ("tablet-2", "Bob", other)))]
added = await db.entries.put_events(events)
db.handle.close()
added
"""


def test_profile_choice_screen_has_no_serious_violations(make_page, app_server):
    """Two devices each made a profile: the profile screen's notice, the choice
    screen side by side, and the same with an unchosen field's error."""
    from .helpers import run_python, setup_person

    if not AXE.is_file():
        pytest.skip("axe-core is not installed (npm ci)")
    page = make_page(viewport=TABLET)
    install_axe(page)
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    setup_person(page, "Ann", "Mum")
    assert run_python(page, TWO_PROFILES) == 2
    seen: list[str] = []

    page.click("main a[data-care=profile]")
    wait_screen(page, "Emergency information: Mum")
    expect(page.locator(".profile-choice-notice")).to_be_visible()
    check_screen(page, "profile with two versions", seen)
    page.click(".profile-choice-notice a")
    wait_screen(page, "Choose the right profile")
    expect(page.locator("tr.differs")).to_have_count(4)  # allergies, care team, time zone, notes
    check_screen(page, "profile choice", seen)
    page.click("form[data-form=profile-merge] button[type=submit]")
    expect(page.locator("fieldset.pc-choice .error").first).to_be_visible()
    check_screen(page, "profile choice with errors", seen)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the table scrolls in its own region
    check_screen(page, "profile choice on a phone", seen)
    assert len(seen) == 4, seen

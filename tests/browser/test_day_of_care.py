"""A day of care on a tablet (768x1024) in New York time.

Profile with the device's time zone; a medication at 08:00 and 20:00; Today
shows both in time order; one tap marks the morning dose given; a second give
(the evening dose, two minutes later) makes the double-dose guard name who gave
it and when, and nothing is saved; a high blood pressure raises an alert,
acknowledged by the caregiver. On every screen: big touch targets and, with
axe-core, no serious or critical accessibility violations.

The page's clock is fixed (``page.clock.set_fixed_time``: Date only, timers
run) at 08:10 New York time, so the day's states do not depend on when the
test runs.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from .a11y import check_screen, go_and_check, install_axe
from .helpers import TABLET, setup_person, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

MORNING = dt.datetime(2026, 3, 2, 13, 10, tzinfo=dt.timezone.utc)  # Mon 08:10 in New York (EST)
ZONE = "America/New_York"


def test_a_day_of_care(make_page, app_server):
    page = make_page(viewport=TABLET, timezone_id=ZONE)
    install_axe(page)  # through the devtools protocol: the page's CSP stays as it is
    page.clock.set_fixed_time(MORNING)
    page.goto(app_server.url)
    wait_ready(page)
    setup_person(page, "Ann", "Mum")
    seen: list[str] = []
    check_screen(page, "home", seen)

    # --- profile: the device's time zone is the default ------------------------
    go_and_check(page, "main a[data-care=profile]", "Profile", "profile (empty)", seen)
    page.click("main a[href='#/profile/edit']")
    expect(page.locator("form[data-form=profile]")).to_be_visible()
    expect(page.locator("#f-timezone")).to_have_value(ZONE)
    page.fill("[name='allergies.0.substance']", "Penicillin")
    page.fill("[name='allergies.0.reaction']", "Hives")
    page.select_option("[name='allergies.0.severity']", "severe")
    page.fill("#f-conditions", "Heart failure")
    page.fill("[name='emergency_contacts.0.name']", "Tom")
    page.fill("[name='emergency_contacts.0.relationship']", "Son")
    page.fill("[name='emergency_contacts.0.phone']", "+1 212 555 0100")
    check_screen(page, "profile form", seen)
    page.click("form[data-form=profile] button[type=submit]")
    wait_screen(page, "Emergency information: Mum")
    main = page.locator("main")
    expect(main).to_contain_text("Penicillin: severe (Hives)")
    expect(main).to_contain_text("Tom (Son): +1 212 555 0100")
    expect(main).to_contain_text(f"Time zone: {ZONE}")
    check_screen(page, "profile", seen)

    # --- care plan: a medication at 08:00 and 20:00 ------------------------------
    page.click("a.brand")
    wait_screen(page, "Mum")
    go_and_check(page, "main a[data-care=plan]", "Care plan", "care plan (empty)", seen)
    page.click("main a[href='#/plan/new/med_plan']")
    wait_screen(page, "Add a medication")
    expect(page.locator("#f-start_date")).to_have_value("2026-03-02")
    page.fill("#f-name", "Metformin")
    page.fill("#f-strength", "500 mg")
    page.fill("#f-dose", "1")
    page.fill("#f-times", "08:00, 20:00")
    check_screen(page, "medication form", seen)
    page.click("form[data-form='plan:med_plan'] button[type=submit]")
    wait_for_toast(page, "Care plan saved: Metformin")
    wait_screen(page, "Care plan")
    expect(main).to_contain_text("Every day at 08:00 and 20:00")
    check_screen(page, "care plan", seen)

    # --- Today: both doses in time order; one tap gives the morning dose ---------
    page.click("header a.today-link")
    wait_screen(page, "Today")
    rows = page.locator("li.due-row")
    expect(rows).to_have_count(2)
    assert rows.locator("time").all_inner_texts() == ["08:00", "20:00"]
    expect(rows.nth(0).locator(".badge")).to_have_text("Due now")
    expect(rows.nth(1).locator(".badge")).to_have_text("Later")
    check_screen(page, "today", seen)
    rows.nth(0).locator("button[data-action=dose-given]").click()
    wait_for_toast(page, "Given: Metformin at 08:10")
    expect(page.locator("li.due-row.state-done")).to_have_count(1)
    expect(page.locator("li.due-row.state-done")).to_contain_text("Done 08:10 by Ann")
    check_screen(page, "today after a dose", seen)

    # --- the guard: a second give now names who gave it and when, saves nothing --
    page.locator("li.due-row.state-upcoming button[data-action=dose-given]").click()
    wait_screen(page, "Check before giving Metformin")
    guard = page.locator("#guard")
    expect(guard).to_contain_text("Nothing has been saved yet.")
    expect(guard).to_contain_text("08:10 by Ann")
    check_screen(page, "guard", seen)
    page.click("main a:has-text('Do not give')")
    wait_screen(page, "Today")
    expect(page.locator("li.due-row.state-done")).to_have_count(1)
    expect(page.locator("li.due-row.state-upcoming")).to_have_count(1)

    # --- not given needs a reason (form only; left unsaved) -----------------------
    page.locator("li.due-row.state-upcoming a:has-text('Not given')").click()
    wait_screen(page, "Not given: Metformin (20:00)")
    check_screen(page, "not given form", seen)
    page.click("main a:has-text('Cancel')")
    wait_screen(page, "Today")

    # --- a high blood pressure raises an alert; acknowledge it -------------------
    page.click("a.brand")
    wait_screen(page, "Mum")
    page.click("main a.log-button[data-kind=vital]")
    page.click("main a.log-button[data-vital=blood_pressure]")
    page.fill("[name=systolic]", "192")
    page.fill("[name=diastolic]", "96")
    page.click("form[data-form='log:vital'] button[type=submit]")
    wait_for_toast(page, "Saved")
    wait_screen(page, "Mum")
    alerts_link = page.locator("main a[data-care=alerts]")
    expect(alerts_link).to_contain_text("1 open")
    expect(page.locator("main .handoff")).to_be_visible()
    check_screen(page, "home with an alert", seen)
    alerts_link.click()
    wait_screen(page, "Alerts")
    card = page.locator("li.alert.open")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Systolic (top number) 192")
    check_screen(page, "alerts", seen)
    card.locator("button[data-action=ack]").click()
    wait_for_toast(page, "Alert acknowledged by Ann")
    expect(page.locator("li.alert.acked")).to_contain_text("Acknowledged by Ann at 08:10")
    expect(page.locator("li.alert.open")).to_have_count(0)

    # --- limits, daily living, appointments: reachable and accessible ------------
    go_and_check(page, "main a[href='#/alerts/limits']", "Alert limits", "limits", seen)
    go_and_check(page, "main a[href='#/alerts/limits/systolic']", "Alert limit: Systolic (top number)",
                 "limit form", seen)
    page.click("a.brand")
    wait_screen(page, "Mum")
    go_and_check(page, "main a[data-care=daily]", "Daily living", "daily living", seen)
    page.click("main a[data-category=fluids]")
    wait_screen(page, "Drinks")
    page.fill("#f-amount_ml", "250")
    check_screen(page, "daily living form", seen)
    page.click("form[data-form='daily:fluids'] button[type=submit]")
    wait_for_toast(page, "Saved: Drinks")
    page.click("main a[data-care=appointments]")
    wait_screen(page, "Appointments")
    page.click("main a[href='#/appointments/new']")
    wait_screen(page, "Add an appointment")
    page.fill("#f-title", "Heart clinic")
    page.fill("#f-starts", "2026-03-04T14:30")
    check_screen(page, "appointment form", seen)
    page.click("form[data-form=appointment] button[type=submit]")
    wait_for_toast(page, "Appointment saved: Heart clinic")
    expect(page.locator("main")).to_contain_text("Wed 04 Mar 14:30 Heart clinic")
    check_screen(page, "appointments", seen)
    assert len(seen) == 19, seen

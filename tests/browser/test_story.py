"""The caregiver's story, end to end, in one tablet browser.

First visit, name, care recipient; every kind of entry in at most three taps
from home; reload; server STOPPED (the service worker serves everything) and
one more entry logged offline; server back; edit + Undo, delete + Undo, and
the entry's history with its authors.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import setup_person, timeline_summaries, wait_for_toast, wait_offline_copy, wait_ready, wait_screen

pytestmark = pytest.mark.browser

CAREGIVER = "Ann Carer"
RECIPIENT = "Grandma Rose"


class Taps:
    """Counts the taps (clicks) one logging flow needs; typing is not a tap."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def tap(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)


def log_entry(page, kind: str, fields: dict[str, str], *, vital: str | None = None,
              choice: str | None = None) -> int:
    """From home: log one entry; returns how many taps it took."""
    taps = Taps(page)
    expect(page.locator("main .log-buttons")).to_be_visible()
    taps.tap(f"main a.log-button[data-kind={kind}]")
    if vital:
        wait_screen(page, "Which vital sign?")
        taps.tap(f"main a.log-button[data-vital={vital}]")
    form = page.locator(f"form[data-form='log:{kind}']")
    expect(form).to_be_visible()
    if choice:
        taps.tap(f"form[data-form='log:{kind}'] label.choice:has(input[value={choice}])")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    taps.tap(f"form[data-form='log:{kind}'] button[type=submit]")
    wait_for_toast(page, "Saved")
    wait_screen(page, RECIPIENT)
    return taps.count


# (kind, fields, vital type, radio choice, summary in the timeline)
ENTRIES = [
    ("medication", {"name": "Metformin", "dose": "500"}, None, None, "Metformin 500 mg, by mouth: Given"),
    ("medication", {"name": "Amlodipine", "reason": "Said she felt sick"}, None, "refused",
     "Amlodipine, by mouth: Refused"),
    ("vital", {"systolic": "128", "diastolic": "82"}, "blood_pressure", None, "Blood pressure 128/82 mmHg"),
    ("vital", {"value": "72"}, "heart_rate", None, "Heart rate 72 beats per minute"),
    ("vital", {"value": "37.4"}, "temperature", None, "Temperature 37.4 °C"),
    ("vital", {"value": "96"}, "spo2", None, "Oxygen (SpO2) 96 %"),
    ("vital", {"value": "16"}, "respiratory_rate", None, "Breathing rate 16 breaths per minute"),
    ("vital", {"value": "110"}, "blood_glucose", None, "Blood sugar 110 mg/dL"),
    ("vital", {"value": "61.5"}, "weight", None, "Weight 61.5 kg"),
    ("vital", {"value": "158"}, "height", None, "Height 158 cm"),
    ("vital", {"value": "3"}, "pain", None, "Pain 3 out of 10"),
    ("symptom", {"name": "Nausea", "severity": "4"}, None, None, "Nausea, severity 4 out of 10"),
    ("note", {"text": "Slept well, ate all of her lunch."}, None, None, "Slept well, ate all of her lunch."),
]


def check_timeline(page, expected_oldest_first: list[str]) -> None:
    expected = list(reversed(expected_oldest_first))
    expect(page.locator("ol.timeline .item-link")).to_have_count(len(expected))
    assert timeline_summaries(page) == expected
    authors = page.locator("ol.timeline .item-link .by").all_inner_texts()
    assert authors == [f"by {CAREGIVER}"] * len(expected)


def reload_home(page, expect_service_worker: bool = False) -> None:
    response = page.reload()
    if expect_service_worker:
        assert response is not None and response.from_service_worker, "the page was not served by the service worker"
    wait_ready(page)
    wait_screen(page, RECIPIENT)


def open_entry(page, summary: str) -> str:
    """Tap a timeline entry; returns its id."""
    link = page.locator("ol.timeline .item-link", has_text=summary).first
    entry_id = link.evaluate("a => a.closest('[data-entry]').dataset.entry")
    link.click()
    expect(page.locator(f"form[data-form='edit:{entry_id}']")).to_be_visible()
    return entry_id


def test_caregiver_story(page, app_server):
    # --- first visit: the shell shows boot progress at once -----------------
    page.goto(app_server.url, wait_until="commit")
    page.wait_for_selector("#boot-progress", state="attached")
    assert page.evaluate("document.documentElement.dataset.appState") in ("loading", "booting")
    wait_ready(page)
    wait_offline_copy(page)  # the service worker copies the build once the app is ready
    assert page.evaluate("navigator.serviceWorker.controller !== null"), "the service worker does not control the page"
    setup_person(page, CAREGIVER, RECIPIENT)
    expect(page.locator("main p.empty")).to_contain_text("Nothing recorded yet")

    # --- every kind of entry in at most three taps from home ---------------
    logged: list[str] = []
    for kind, fields, vital, choice, summary in ENTRIES:
        taps = log_entry(page, kind, fields, vital=vital, choice=choice)
        assert taps <= 3, f"{summary}: {taps} taps"
        wait_for_toast(page, f"Saved: {summary}")
        logged.append(summary)
        assert timeline_summaries(page)[0] == summary
    check_timeline(page, logged)

    # --- reload: all there ---------------------------------------------------
    reload_home(page)
    check_timeline(page, logged)

    # --- server STOPPED: the service worker serves the app; log offline ----
    app_server.stop()
    reload_home(page, expect_service_worker=True)
    check_timeline(page, logged)
    offline_note = "Logged with the server down."
    log_entry(page, "note", {"text": offline_note})
    logged.append(offline_note)
    check_timeline(page, logged)

    # --- server back: nothing lost -------------------------------------------
    app_server.start()
    reload_home(page)
    check_timeline(page, logged)

    # --- edit, then Undo ------------------------------------------------------
    note = ENTRIES[-1][1]["text"]
    entry_id = open_entry(page, note)
    expect(page.locator("#f-text")).to_have_value(note)
    page.fill("#f-text", "Slept badly.")
    page.click(f"form[data-form='edit:{entry_id}'] button[type=submit]")
    wait_for_toast(page, "Changes saved.")
    wait_screen(page, RECIPIENT)
    assert "Slept badly." in timeline_summaries(page)
    assert note not in timeline_summaries(page)
    page.click("#toast button[data-action=undo]")
    wait_for_toast(page, "Undone.")
    assert note in timeline_summaries(page)
    assert "Slept badly." not in timeline_summaries(page)

    # --- delete, then Undo ----------------------------------------------------
    assert open_entry(page, note) == entry_id
    page.click(f"main button[data-action=delete][data-id='{entry_id}']")
    wait_for_toast(page, f"Deleted: {note}")
    wait_screen(page, RECIPIENT)
    assert note not in timeline_summaries(page)
    expect(page.locator("ol.timeline .item-link")).to_have_count(len(logged) - 1)
    page.click("#toast button[data-action=undo]")
    wait_for_toast(page, "Undone.")
    check_timeline(page, logged)

    # --- history: who did what ----------------------------------------------
    page.goto(f"{app_server.url}#/entry/{entry_id}/history")
    wait_screen(page, "History")
    rows = page.locator("ol.history > li strong").all_inner_texts()
    assert rows[0] == f"Recorded by {CAREGIVER}"
    assert f"Changed by {CAREGIVER}" in rows
    assert f"Deleted by {CAREGIVER}" in rows
    # create, edit, undo of the edit, delete, undo of the delete
    assert len(rows) == 5, rows
    expect(page.locator("ol.history")).to_contain_text("Slept badly.")

    # --- and it all survives one more reload -------------------------------
    page.goto(app_server.url + "#/")
    reload_home(page)
    check_timeline(page, logged)
    assert re.fullmatch(r"[0-9a-f]{16}", page.evaluate("document.documentElement.dataset.build"))


def test_two_tabs_see_each_others_entries(page, app_server):
    """A second tab of the same device shows what the first one saved, without a reload."""
    page.goto(app_server.url)
    wait_ready(page)
    setup_person(page, CAREGIVER, RECIPIENT)
    other = page.context.new_page()
    other.on("pageerror", lambda error: page.guard.page_errors.append(f"second tab: {error}"))
    other.on("console", lambda msg: page.guard.on_console(msg))
    other.goto(app_server.url)
    wait_ready(other)
    wait_screen(other, RECIPIENT)
    other.evaluate("window.__sameDocument = true")

    log_entry(page, "note", {"text": "Written in the first tab"})
    expect(other.locator("ol.timeline .summary")).to_have_text(["Written in the first tab"], timeout=15_000)
    # and the other way round, while the first tab is on a form (which stays as typed)
    page.click("a.log-button[data-kind=symptom]")
    page.fill("#f-name", "Dizzy")
    other.click("a.log-button[data-kind=note]")
    other.fill("#f-text", "Written in the second tab")
    other.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(other, "Saved: Written in the second tab")
    expect(page.locator("#f-name")).to_have_value("Dizzy")
    page.fill("#f-severity", "5")
    page.click("form[data-form='log:symptom'] button[type=submit]")
    wait_for_toast(page, "Saved: Dizzy, severity 5 out of 10")
    expected = ["Dizzy, severity 5 out of 10", "Written in the second tab", "Written in the first tab"]
    assert timeline_summaries(page) == expected
    expect(other.locator("ol.timeline .summary")).to_have_text(expected, timeout=15_000)
    assert other.evaluate("window.__sameDocument") is True

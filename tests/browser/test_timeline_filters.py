"""The timeline in Chromium over real IndexedDB: filters by kind, caregiver and
days, search in the text, "Show more", Back through earlier filters; daily
living, appointments and tasks in the timeline in plain words, edited and
deleted with Undo.

About 700 entries (two caregivers, two months) are written straight into the
app's database with one batch (``put_events``) through the debug hook, the way
another device's entries arrive by sync; the screens then read them through
the app's own JavaScript search (``find`` in idb.js).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from playwright.sync_api import expect

from .helpers import TABLET, run_python, setup_person, timeline_summaries, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.timezone.utc)
ZONE = "Europe/London"

FILL = r"""
import json
from carelog.adapters.browser import IndexedDB
from carelog.domain.events import Event
from carelog.domain.hlc import Stamp

db = await IndexedDB.open("carelog")
rid = (await db.entries.events_of_kind("recipient"))[0].recipient
now = %(now)d
events = []
for i in range(700):
    at = now - 3_600_000 - i * 2 * 3_600_000          # every 2 hours back from an hour ago, ~58 days
    author = "Bob" if i %% 3 else "Ann"
    kind = ("note", "vital", "daily_living", "symptom")[i %% 4]
    payload = {"note": {"text": f"Routine check {i}"},
               "vital": {"type": "heart_rate", "value": 60 + i %% 30, "unit": "/min", "loinc": "8867-4"},
               "daily_living": {"category": "fluids", "amount_ml": 200, "drink": "Tea"},
               "symptom": {"name": "Pain", "severity": i %% 10}}[kind]
    if i == 500:
        kind, payload = "note", {"text": "Found her on the KITCHEN floor, no injury"}
    events.append(Event.create(id=f"fill-{i:04d}", recipient=rid, kind=kind, at=at, payload=payload,
                               author=author, device="tablet-2", hlc=Stamp(at, 0, "tablet-2").encode()))
gone = Event.create(id="fill-gone", recipient=rid, kind="note", at=now - 7_200_000,
                    payload={"text": "kitchen tap"}, author="Bob", device="tablet-2",
                    hlc=Stamp(now - 7_200_000, 0, "tablet-2").encode())
events.append(gone)
events.append(Event(id="fill-gone-del", recipient=rid, kind="note", entry="fill-gone", op="delete",
                    revises=("fill-gone",), at=gone.at, payload={}, author="Bob", device="tablet-2",
                    hlc=Stamp(now - 7_100_000, 0, "tablet-2").encode()))
added = await db.entries.put_events(events)
db.handle.close()
json.dumps({"added": added, "oldest": events[699].at, "kitchen_at": events[500].at})
"""


def _go(page, route: str) -> None:
    page.evaluate("(r) => { location.hash = r; }", route)


def _filter(page, **fields) -> None:
    form = page.locator("form[data-form=timeline-filter]")
    if "kind" in fields:
        form.locator("#f-kind").select_option(fields.pop("kind"))
    for name, value in fields.items():
        form.locator(f"#f-{'from' if name == 'start' else 'to' if name == 'end' else name}").fill(value)
    form.locator("button[type=submit]").click()


def _open_filled(make_page, app_server):
    """A tablet at ``NOW`` with Ann caring for Mum and the ~700 entries of ``FILL``."""
    page = make_page(viewport=TABLET, timezone_id=ZONE)
    page.clock.set_fixed_time(NOW)
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    setup_person(page, "Ann", "Mum")
    filled = json.loads(run_python(page, FILL % {"now": int(NOW.timestamp() * 1000)}))
    assert filled["added"] == 702
    return page


def test_filters_search_show_more_and_back(make_page, app_server):
    page = _open_filled(make_page, app_server)

    page.click("main a[data-care=timeline]")
    wait_screen(page, "Timeline")
    expect(page.locator("ol.timeline li")).to_have_count(50)
    expect(page.locator("main [role=status]")).to_contain_text("Showing the 50 newest entries.")
    assert "kitchen tap" not in page.locator("main").inner_text()  # deleted on the other device

    # by kind and caregiver
    _filter(page, kind="note", by="bob")
    expect(page).to_have_url(re.compile(r"#/timeline\?kind=note&by=bob$"))
    items = page.locator("ol.timeline li")
    expect(items).to_have_count(50)
    assert set(page.locator("ol.timeline .kind").all_inner_texts()) == {"Note"}
    assert set(page.locator("ol.timeline .by").all_inner_texts()) == {"by Bob"}
    page.click("main a.show-more")
    expect(items).to_have_count(100)
    expect(page.locator("#f-by")).to_have_value("bob")
    page.go_back()
    expect(items).to_have_count(50)
    expect(page.locator("#f-kind")).to_have_value("note")

    # search: every word, any case; a deleted entry is not found
    _filter(page, kind="", by="", q="Kitchen  FLOOR")
    expect(page.locator("ol.timeline li")).to_have_count(1)
    assert timeline_summaries(page) == ["Found her on the KITCHEN floor, no injury"]
    _filter(page, q="kitchen tap")
    expect(page.locator("main")).to_contain_text("Nothing matches. Try fewer filters, or other words.")

    # a date range of one day: 12 entries, all on that day
    day = (NOW - dt.timedelta(days=10)).date().isoformat()
    _filter(page, q="", start=day, end=day)
    expect(page.locator("ol.timeline li")).to_have_count(12)
    expect(page.locator("section.day h3")).to_have_count(1)
    expect(page.locator("section.day h3")).to_have_text((NOW - dt.timedelta(days=10)).strftime("%a %d %b %Y"))
    assert page.locator("main a.show-more").count() == 0

    # ten days (~120 entries): the newest 50, from the last day of the range back, and more to show
    _filter(page, q="", start=(NOW - dt.timedelta(days=19)).date().isoformat(), end=day)
    expect(page.locator("ol.timeline li")).to_have_count(50)
    expect(page.locator("section.day h3").first).to_have_text((NOW - dt.timedelta(days=10)).strftime("%a %d %b %Y"))
    assert page.locator("section.day h3").count() == 5  # 12 a day: 50 entries reach into the fifth day
    expect(page.locator("main a.show-more")).to_have_count(1)

    # a bad address says what it could not use and still shows the rest
    _go(page, "#/timeline?from=2026-02-30&kind=vital")
    expect(page.locator("#filter-problem")).to_contain_text("The first day is not a date")
    assert set(page.locator("ol.timeline .kind").all_inner_texts()) == {"Vital sign"}


def test_daily_living_and_appointments_in_the_timeline_edit_and_delete(make_page, app_server):
    page = make_page(viewport=TABLET, timezone_id=ZONE)
    page.clock.set_fixed_time(NOW)
    page.goto(app_server.url)
    wait_ready(page)
    setup_person(page, "Ann", "Mum")

    # daily living at an earlier time
    page.click("main a[data-care=daily]")
    wait_screen(page, "Daily living")
    page.click("main a[data-category=fluids]")
    wait_screen(page, "Drinks")
    expect(page.locator("#f-at_local")).to_have_value("2026-03-02T15:00")
    page.fill("#f-amount_ml", "250")
    page.fill("#f-drink", "Tea")
    page.fill("#f-at_local", "2026-03-02T13:30")
    page.click("form[data-form='daily:fluids'] button[type=submit]")
    wait_for_toast(page, "Saved: Drinks")
    wait_screen(page, "Mum")
    assert timeline_summaries(page) == ["Drinks: 250 mL of Tea"]
    expect(page.locator("ol.timeline time").first).to_have_text("13:30")

    # an appointment shows in plain words
    page.click("main a[data-care=appointments]")
    page.click("main a[href='#/appointments/new']")
    wait_screen(page, "Add an appointment")
    page.fill("#f-title", "Heart clinic")
    page.fill("#f-starts", "2026-03-05T14:30")
    page.fill("#f-place", "City Hospital")
    page.click("form[data-form=appointment] button[type=submit]")
    wait_for_toast(page, "Appointment saved")
    page.click("a.brand")
    wait_screen(page, "Mum")
    assert timeline_summaries(page) == ["Heart clinic, Thu 05 Mar 2026 14:30, at City Hospital",
                                        "Drinks: 250 mL of Tea"]

    # edit the drink from the timeline
    page.click("ol.timeline li.kind-daily_living .item-link")
    wait_screen(page, "Daily living")
    expect(page.locator("#f-drink")).to_have_value("Tea")
    page.fill("#f-amount_ml", "300")
    page.fill("#f-drink", "Water")
    page.click("form.entry-form button[type=submit]")
    wait_for_toast(page, "Changes saved.")
    wait_screen(page, "Mum")
    assert "Drinks: 300 mL of Water" in timeline_summaries(page)

    # move the appointment; it keeps its place in the timeline
    page.click("ol.timeline li.kind-appointment .item-link")
    wait_screen(page, "Appointment")
    expect(page.locator("#f-starts")).to_have_value("2026-03-05T14:30")
    page.fill("#f-starts", "2026-03-06T09:00")
    page.click("form.entry-form button[type=submit]")
    wait_for_toast(page, "Changes saved.")
    assert timeline_summaries(page)[0] == "Heart clinic, Fri 06 Mar 2026 09:00, at City Hospital"

    # delete the drink, then Undo
    page.click("ol.timeline li.kind-daily_living .item-link")
    wait_screen(page, "Daily living")
    page.click("main button[data-action=delete]")
    wait_for_toast(page, "Deleted: Drinks: 300 mL of Water")
    wait_screen(page, "Mum")
    assert timeline_summaries(page) == ["Heart clinic, Fri 06 Mar 2026 09:00, at City Hospital"]
    page.click("#toast button[data-action=undo]")
    wait_for_toast(page, "Undone.")
    expect(page.locator("ol.timeline li")).to_have_count(2)
    assert "Drinks: 300 mL of Water" in timeline_summaries(page)


IN_VIEW = """(id) => { const el = document.querySelector(`[data-entry="${id}"]`); if (!el) return null;
  const box = el.getBoundingClientRect();
  return { inView: box.top >= 0 && box.bottom <= window.innerHeight,
           focused: document.activeElement === el.querySelector('a') }; }"""


def test_edit_and_delete_from_a_filtered_timeline_return_to_it_near_the_entry(make_page, app_server):
    page = _open_filled(make_page, app_server)
    page.click("main a[data-care=timeline]")
    wait_screen(page, "Timeline")
    _filter(page, kind="note", by="bob")
    expect(page).to_have_url(re.compile(r"#/timeline\?kind=note&by=bob$"))  # not the unfiltered list's link
    items = page.locator("ol.timeline li")
    expect(items).to_have_count(50)
    page.click("main a.show-more")
    expect(items).to_have_count(100)
    filtered = page.evaluate("location.hash")
    assert filtered == "#/timeline?kind=note&by=bob&n=100"

    # edit the 80th: back on the same filtered list, the entry in view and focused
    target = items.nth(79)
    entry_id = target.get_attribute("data-entry")
    target.locator("a").click()
    wait_screen(page, "Note")
    expect(page.locator("main a.button:has-text('Back')")).to_have_attribute("href", filtered)
    page.fill("#f-text", "Routine check, rechecked")
    page.click(f"form[data-form='edit:{entry_id}'] button[type=submit]")
    wait_for_toast(page, "Changes saved.")
    wait_screen(page, "Timeline")
    assert page.evaluate("location.hash") == filtered
    expect(items).to_have_count(100)
    expect(page.locator(f"[data-entry='{entry_id}'] .summary")).to_have_text("Routine check, rechecked")
    assert page.evaluate(IN_VIEW, entry_id) == {"inView": True, "focused": True}
    assert page.evaluate("window.scrollY") > 500  # not at the top of the list
    expect(page.locator("#f-kind")).to_have_value("note")
    expect(page.locator("#f-by")).to_have_value("bob")

    # delete the 61st: back on the same list, the next older entry where it was
    gone, after = items.nth(60).get_attribute("data-entry"), items.nth(61).get_attribute("data-entry")
    items.nth(60).locator("a").click()
    wait_screen(page, "Note")
    page.click("main button[data-action=delete]")
    wait_for_toast(page, "Deleted")
    wait_screen(page, "Timeline")
    assert page.evaluate("location.hash") == filtered
    expect(page.locator(f"[data-entry='{gone}']")).to_have_count(0)
    assert page.evaluate(IN_VIEW, after) == {"inView": True, "focused": True}
    page.click("#toast button[data-action=undo]")
    wait_for_toast(page, "Undone.")
    expect(page.locator(f"[data-entry='{gone}']")).to_have_count(1)
    assert page.evaluate("location.hash") == filtered

    # opened from home, an edit still goes home
    page.click("a.brand")
    wait_screen(page, "Mum")
    page.locator("ol.timeline li.kind-note a").first.click()
    wait_screen(page, "Note")
    page.fill("#f-text", "Changed from home")
    page.locator("form[data-form^='edit:'] button[type=submit]").click()
    wait_for_toast(page, "Changes saved.")
    wait_screen(page, "Mum")

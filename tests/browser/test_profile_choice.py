"""Two caregivers change the profile at the same time, in Chromium over real IndexedDB.

This tablet makes the profile and changes it; a second tablet's change of the
same first version arrives the way sync brings it (one ``put_events`` batch
through the debug hook). The profile screen says "Two caregivers changed the
profile at the same time: choose"; the choice screen shows both versions side
by side with the differing rows marked; a field-by-field merge (the other
tablet's time zone and allergies, this one's conditions) saves one profile;
Undo brings both versions back; "Keep this one" keeps one whole; a reload
shows one profile and no notice. The conflicts screen links to the choice too, and the
sync status line counts the profile's two versions ("1 entry has two versions").
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from .helpers import TABLET, run_python, setup_person, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

OTHER_TABLET = r"""
import json
from carelog.adapters.browser import IndexedDB
from carelog.domain.events import Event
from carelog.domain.hlc import Stamp

db = await IndexedDB.open("carelog")
profile = [e for e in await db.entries.events_of_kind("profile")]
first = next(e for e in profile if e.op == "create")
late = max(int(e.hlc[:13]) for e in profile) + 60_000
payload = {**first.payload, "timezone": "Europe/Paris", "no_known_allergies": False,
           "allergies": [{"substance": "Latex", "reaction": "Rash", "severity": "moderate"}],
           "notes": "Key under the mat"}
edit = Event(id="tablet-2-profile-edit", recipient=first.recipient, kind="profile", entry=first.entry, op="edit",
             revises=(first.id,), at=first.at, payload=payload, author="Bob", device="tablet-2",
             hlc=Stamp(late, 0, "tablet-2").encode())
added = await db.entries.put_events([edit])
db.handle.close()
json.dumps({"added": added, "events": len(profile)})
"""

VERSIONS = r"""
import json
from carelog.adapters.browser import IndexedDB
from carelog.domain.profile import profile_versions

db = await IndexedDB.open("carelog")
events = await db.entries.events_of_kind("profile")
db.handle.close()
json.dumps([v.payload.get("timezone") for v in profile_versions(events, events[0].recipient)])
"""


def _stored_versions(page) -> list[str]:
    return json.loads(run_python(page, VERSIONS))


def test_concurrent_profile_edits_are_chosen_field_by_field_with_undo(make_page, app_server):
    page = make_page(viewport=TABLET, timezone_id="Europe/London")
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    setup_person(page, "Ann", "Mum")

    # this tablet: the profile, then a change of it
    page.click("main a[data-care=profile]")
    wait_screen(page, "Profile")
    page.click("main a[href='#/profile/edit']")
    page.fill("#f-timezone", "Europe/London")
    page.fill("[name='allergies.0.substance']", "Penicillin")
    page.select_option("[name='allergies.0.severity']", "severe")
    page.fill("#f-conditions", "Heart failure")
    page.click("form[data-form=profile] button[type=submit]")
    wait_screen(page, "Emergency information: Mum")
    page.click("main a[href='#/profile/edit']")
    page.fill("#f-conditions", "Heart failure\nType 2 diabetes")
    page.click("form[data-form=profile] button[type=submit]")
    wait_for_toast(page, "Profile saved")
    expect(page.locator(".profile-choice-notice")).to_have_count(0)

    # the other tablet changed the first version too, without seeing this change
    seeded = json.loads(run_python(page, OTHER_TABLET))
    assert seeded == {"added": 1, "events": 2}
    assert sorted(_stored_versions(page)) == ["Europe/London", "Europe/Paris"]
    page.click("a.brand")
    wait_screen(page, "Mum")
    page.click("main a[data-care=profile]")
    notice = page.locator(".profile-choice-notice a")
    expect(notice).to_have_text("Two caregivers changed the profile at the same time: choose")

    # the sync status line counts the profile's two versions, and its link leads to the conflicts
    # screen, which leads here too
    page.reload()
    wait_ready(page)
    link = page.locator("#sync-conflicts")
    expect(link).to_have_text("1 entry has two versions: choose")
    link.click()
    wait_screen(page, "Entries with two versions")
    page.click("main a[href='#/profile/choose']")
    wait_screen(page, "Choose the right profile")
    table = page.locator("table.pc-table")
    expect(table.locator("thead th")).to_have_count(3)
    expect(table.locator("thead")).to_contain_text("by Bob")
    expect(table.locator("thead")).to_contain_text("by Ann")
    for field in ("conditions", "allergies", "timezone", "notes"):
        expect(table.locator(f"tr[data-field={field}]")).to_have_class("pc-row differs")
        expect(table.locator(f"tr[data-field={field}] th")).to_contain_text("(different)")
    for field in ("name", "birth_date", "emergency_contacts"):
        expect(table.locator(f"tr[data-field={field}]")).to_have_class("pc-row")
    expect(table.locator("tr[data-field=timezone]")).to_contain_text("Europe/Paris")

    # a field left unchosen: nothing saved, the field says so
    form = page.locator("form[data-form=profile-merge]")
    form.locator("fieldset[data-field=timezone] label:has-text('(Bob)') input").check()
    form.locator("fieldset[data-field=allergies] label:has-text('(Bob)') input").check()
    form.locator("fieldset[data-field=conditions] label:has-text('(Ann)') input").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("fieldset[data-field=notes] .error")).to_contain_text("Choose which version's important notes")
    expect(page.locator("fieldset[data-field=timezone] label:has-text('(Bob)') input")).to_be_checked()
    assert len(_stored_versions(page)) == 2

    # the merge: Bob's time zone, allergies and notes; Ann's conditions
    page.locator("fieldset[data-field=notes] label:has-text('(Bob)') input").check()
    page.locator("form[data-form=profile-merge] button[type=submit]").click()
    wait_screen(page, "Emergency information: Mum")
    wait_for_toast(page, "Profile saved from the versions you chose.")
    main = page.locator("main")
    expect(main).to_contain_text("Latex: moderate (Rash)")
    expect(main).to_contain_text("Type 2 diabetes")
    expect(main).to_contain_text("Key under the mat")
    expect(main).to_contain_text("Time zone: Europe/Paris")
    assert "Penicillin" not in main.inner_text()
    expect(page.locator(".profile-choice-notice")).to_have_count(0)
    assert _stored_versions(page) == ["Europe/Paris"]

    # Undo: both versions are back, and so is the notice
    page.click("#toast button[data-action=undo]")
    wait_for_toast(page, "Undone.")
    expect(page.locator(".profile-choice-notice")).to_be_visible()
    assert sorted(_stored_versions(page)) == ["Europe/London", "Europe/Paris"]

    # keep one version whole
    page.click(".profile-choice-notice a")
    wait_screen(page, "Choose the right profile")
    expect(page.locator("thead")).to_contain_text("by Bob")  # still Bob's, though brought back by Ann's Undo
    page.click("button[data-action=profile-keep][aria-label*='by Ann']")
    wait_screen(page, "Emergency information: Mum")
    wait_for_toast(page, "by Ann")
    expect(main).to_contain_text("Penicillin: severe")
    expect(main).to_contain_text("Time zone: Europe/London")
    assert _stored_versions(page) == ["Europe/London"]

    page.reload()
    wait_ready(page)
    page.evaluate("location.hash = '#/profile'")
    wait_screen(page, "Emergency information: Mum")
    expect(page.locator(".profile-choice-notice")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Type 2 diabetes")
    expect(page.locator("#sync-conflicts")).to_have_count(0)

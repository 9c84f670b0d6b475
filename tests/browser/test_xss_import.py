"""Imported text is shown as text, never run: 200+ hostile payloads arrive in
an encrypted backup (as people's names, notes and authors), are restored in
Chromium, and every one shows literally on the people list, the timelines,
an entry's form and its history; no script runs and no dialog opens (the page
guard fails the test on any dialog or console error)."""

from __future__ import annotations

import asyncio
import json

import pytest
from playwright.sync_api import expect

from carelog.adapters.memory import RandomIds
from carelog.cli import AesGcmCipher
from carelog.domain.events import RECIPIENT, Event
from carelog.interop import backup

from .helpers import wait_for_toast, wait_ready, wait_screen
from .test_storage_screen import run_async
from .test_xss_forms import assert_not_pwned
from .xss_payloads import PWNED, payloads

pytestmark = pytest.mark.browser

PASSPHRASE = "hostile text stays text"
PEOPLE = 6
T0 = 1_763_900_000_000
SUMMARIES = "els => els.map((e) => e.textContent)"


def as_parsed(text: str) -> str:
    """What the HTML parser makes of a text node: NUL dropped, CR and CRLF become LF."""
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def hostile_events(texts: list[str]) -> tuple[list[Event], dict[str, list[str]], dict[str, str]]:
    """Recipients named by payloads, each with up to 45 notes (newest last)."""
    ids = RandomIds()
    events, notes, names = [], {}, {}
    people = []
    for i in range(PEOPLE):
        rid = ids.new_id()
        names[rid] = PWNED[i]
        people.append(rid)
        notes[rid] = []
        events.append(Event.create(id=rid, recipient=rid, kind=RECIPIENT, at=T0, payload={"name": PWNED[i]},
                                   author=PWNED[-1 - i][:200], device="other-device",
                                   hlc=f"{T0:013d}-{i:06d}-other-device"))
    for n, text in enumerate(texts):
        rid = people[n % PEOPLE]
        at = T0 + 60_000 * (n + 1)
        events.append(Event.create(id=ids.new_id(), recipient=rid, kind="note", at=at, payload={"text": text},
                                   author=texts[-1 - n][:200], device="other-device",
                                   hlc=f"{at:013d}-000000-other-device"))
        notes[rid].append(text)
    return events, notes, names


def check_shown(page, base_url: str, names: dict[str, str], notes: dict[str, list[str]]) -> int:
    """Every person's name and every note shows literally; nothing ran. Returns the notes seen."""
    shown = 0
    for rid, name in names.items():
        page.goto(base_url + "#/recipients")
        wait_screen(page, "Choose a person")
        cards = page.locator("main .card strong").evaluate_all(SUMMARIES)
        assert {as_parsed(n) for n in names.values()} <= set(cards)
        page.click(f"main button.card[data-id='{rid}']")
        page.wait_for_function("(n) => document.querySelector('main h1').textContent === n", arg=name)
        assert page.locator("header .who").evaluate("e => e.textContent") == name
        summaries = page.locator("ol.timeline .item-link .summary").evaluate_all(SUMMARIES)
        assert summaries == [as_parsed(t) for t in reversed(notes[rid])]
        by = page.locator("ol.timeline .item-link .by").evaluate_all(SUMMARIES)
        assert all(b.startswith("by ") for b in by) and len(by) == len(summaries)
        shown += len(summaries)
        assert_not_pwned(page)
    return shown


async def _derive(passphrase, salt, iterations):
    return AesGcmCipher.from_passphrase(passphrase, salt, iterations)


def test_payloads_restored_from_a_backup_show_literally_and_never_run(page, app_server, tmp_path):
    texts = payloads(200)
    events, notes, names = hostile_events(texts)
    assert all(len(v) <= 45 for v in notes.values())
    data = run_async(backup.seal(events, PASSPHRASE, derive=_derive, salt=bytes(range(16)), created_ms=T0,
                                 device="other-device"))
    path = tmp_path / "hostile.carelog-backup.json"
    path.write_bytes(data)

    page.goto(app_server.url)
    wait_ready(page)
    wait_screen(page, "Welcome to carelog")
    page.fill("#f-name", "Ann")
    page.click("form[data-form=caregiver] button[type=submit]")
    wait_screen(page, "Who do you care for?")
    page.click("main a[href='#/storage']")
    wait_screen(page, "Storage and backups")
    page.set_input_files("#f-backup_file", str(path))
    page.fill("#f-restore_passphrase", PASSPHRASE)
    page.click("form[data-form=backup-restore] button[type=submit]")
    wait_for_toast(page, f"Backup restored: {len(events)} new entries added.")

    assert check_shown(page, app_server.url, names, notes) == len(texts)

    # an entry's form and its history show the text literally too
    for text in (PWNED[0], PWNED[3], PWNED[9]):
        link = page.locator("ol.timeline .item-link").filter(
            has=page.locator(".summary").get_by_text(text, exact=True))
        if link.count() == 0:
            continue
        link.first.click()
        expect(page.locator("#f-text")).to_have_value(text)
        page.locator("main a.button", has_text="History").click()
        wait_screen(page, "History")
        assert text in page.locator("ol.history").evaluate("e => e.textContent")
        page.go_back()
        page.go_back()
    page.wait_for_timeout(1500)  # PyScript picks up new <script type="py"> asynchronously
    assert_not_pwned(page)
    assert page.evaluate("document.querySelectorAll('#app :is(iframe, object, embed, template, style, meta, script, form[action]), #toast *:not(div, span, button)').length") == 0

"""The storage and backup screen in Chromium: findings, axe, and an encrypted
backup made with WebCrypto, opened by the Python tool, and restored on a fresh
device (twice: the second restore changes nothing); bad files are refused."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from carelog.cli import AesGcmCipher
from carelog.interop import backup

from .a11y import check_screen, install_axe
from .crash import DUMP_JS
from .helpers import setup_person, timeline_summaries, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

PASSPHRASE = "blue kettle on the stove"
NOTES = ["Slept through the night", "Ate all of breakfast"]


async def _derive(passphrase, salt, iterations):
    return AesGcmCipher.from_passphrase(passphrase, salt, iterations)


def run_async(coroutine):
    """asyncio.run off this thread (Playwright's sync API keeps a loop running here)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def stored_ids(page) -> list[str]:
    return sorted(r["id"] for r in page.evaluate(DUMP_JS)["events"])


def open_storage(page) -> None:
    page.click("header a.settings-link")
    wait_screen(page, "Settings")
    page.click("main a[href='#/storage']")
    wait_screen(page, "Storage and backups")


def test_backup_made_in_the_browser_restores_on_a_new_device(make_page, app_server, tmp_path):
    first = make_page()
    install_axe(first)
    first.goto(app_server.url)
    wait_ready(first)
    setup_person(first)
    for text in NOTES:
        first.click("main a.log-button[data-kind=note]")
        first.fill("#f-text", text)
        first.click("form[data-form='log:note'] button[type=submit]")
        wait_for_toast(first, f"Saved: {text}")
    open_storage(first)
    findings = first.locator("main li.finding")
    expect(findings.filter(has_text="No backup yet")).to_have_attribute("data-level", "warn")
    expect(first.locator("main li[data-finding=usage]")).to_contain_text("used of")
    expect(first.locator("main li[data-finding=ios]")).to_have_count(0)   # desktop Chromium is not iOS
    check_screen(first, "storage")

    # a mismatched confirmation is refused with a word, no file
    first.fill("#f-backup_passphrase", PASSPHRASE)
    first.fill("#f-backup_confirm", PASSPHRASE + "!")
    first.click("form[data-form=backup-export] button[type=submit]")
    expect(first.locator("#backup-problem")).to_contain_text("not the same")

    first.fill("#f-backup_passphrase", PASSPHRASE)
    first.fill("#f-backup_confirm", PASSPHRASE)
    with first.expect_download() as made:
        first.click("form[data-form=backup-export] button[type=submit]")
    download = made.value
    assert download.suggested_filename.endswith(".carelog-backup.json")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    wait_for_toast(first, "Backup file made")
    expect(first.locator("main li[data-finding=backup]")).to_contain_text("Last backup: today")
    expect(first.locator("main li[data-finding=backup]")).to_have_attribute("data-level", "ok")
    original = stored_ids(first)

    # the file WebCrypto made opens with the Python envelope code (and nothing shows in the clear)
    data = path.read_bytes()
    assert b"Slept through" not in data and json.loads(data)["format"] == "carelog-backup"
    contents = run_async(backup.open_backup(data, PASSPHRASE, derive=_derive))
    assert sorted(e.id for e in contents.events) == original

    # a fresh tablet: name, then "Restore from a backup" before adding anyone
    second = make_page()
    second.goto(app_server.url)
    wait_ready(second)
    wait_screen(second, "Welcome to carelog")
    second.fill("#f-name", "Ben")
    second.click("form[data-form=caregiver] button[type=submit]")
    wait_screen(second, "Who do you care for?")
    second.click("main a[href='#/storage']")
    wait_screen(second, "Storage and backups")
    before = stored_ids(second)

    bad = tmp_path / "holiday.json"
    bad.write_text('{"resourceType": "Bundle"}')
    for file, words, expected in ((bad, PASSPHRASE, "not a carelog backup"),
                                  (path, "wrong words here", "passphrase is wrong")):
        second.set_input_files("#f-backup_file", str(file))
        second.fill("#f-restore_passphrase", words)
        second.click("form[data-form=backup-restore] button[type=submit]")
        expect(second.locator("#restore-problem")).to_contain_text(expected)
        expect(second.locator("#restore-problem")).to_contain_text("Nothing was restored")
        assert stored_ids(second) == before

    second.set_input_files("#f-backup_file", str(path))
    second.fill("#f-restore_passphrase", PASSPHRASE)
    second.click("form[data-form=backup-restore] button[type=submit]")
    wait_for_toast(second, f"Backup restored: {len(original)} new entries added.")
    after = stored_ids(second)
    assert set(original) <= set(after) and len(after) == len(before) + len(original)

    second.set_input_files("#f-backup_file", str(path))
    second.fill("#f-restore_passphrase", PASSPHRASE)
    second.click("form[data-form=backup-restore] button[type=submit]")
    wait_for_toast(second, "Nothing new")
    assert stored_ids(second) == after

    second.click("header a.brand")
    wait_screen(second, "Mum")
    assert timeline_summaries(second) == list(reversed(NOTES))

"""The passphrase lock and encryption at rest, in Chromium with real WebCrypto
and IndexedDB.

A sentinel text is logged and the raw IndexedDB is read from the page: the
sentinel is nowhere in clear, while ids, kind and time are. Then: lock and
unlock, a reload that opens at the unlock form, wrong passphrases and the
growing wait (kept across a reload), the recovery key, a passphrase change
(the data is not re-encrypted), auto-lock with a short idle time and the
draft that survives it, turning the lock on over data already stored
(more than one batch), and the skip path. axe runs on the lock screens.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from .a11y import AXE, check_screen, install_axe
from .helpers import OPEN_APP_DB, run_python, setup_person, timeline_summaries, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

PASSPHRASE = "blue kettle sings at dawn"
SENTINEL = "Zebrafinch-7731 felt dizzy after lunch"
RECOVERY_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$")

# Every store of the database as text: bytes (iv, ciphertext) decoded as Latin-1,
# so a sentinel anywhere in clear would show up in the dump.
RAW_DUMP = "async () => {" + OPEN_APP_DB + """  // every store in ONE transaction: one snapshot, so a pack arranged meanwhile is in one place only
  const names = ["events", "settings", "keys"].concat(db.objectStoreNames.contains("arriving") ? ["arriving"] : []);
  const tx = db.transaction(names, "readonly");
  const all = (store) => new Promise((resolve, reject) => {
    const req = tx.objectStore(store).getAll();
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const text = (value) => JSON.stringify(value, (key, v) => {
    if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
      return "bytes:" + Array.from(new Uint8Array(v), (b) => String.fromCharCode(b)).join("");
    }
    if (v instanceof CryptoKey) return "cryptokey:" + v.extractable;
    return v;
  });
  // pulled events still waiting in packs (arriving.js) count as stored events, whatever the timing
  const [stored, packs, settings, keys] = await Promise.all([
    all("events"), names.includes("arriving") ? all("arriving") : [], all("settings"), all("keys")]);
  const events = [...stored, ...packs.flatMap((pack) => pack.records)];
  db.close();
  return {
    dump: text(events) + text(settings) + text(keys),
    events: events.map((e) => ({ id: e.id, kind: e.kind, at: e.at, recipient: e.recipient, entry: e.entry,
                                 hlc: e.hlc, sealed: Boolean(e.sealed), payload: e.payload === undefined ? null : e.payload,
                                 iv: e.sealed ? Array.from(e.sealed.iv).join(",") : null,
                                 ct: e.sealed ? Array.from(e.sealed.ct).join(",") : null })),
    settings: settings.map((s) => ({ key: s.key, sealed: Boolean(s.sealed), value: s.value === undefined ? null : s.value })),
    lock: (() => {
      const k = keys.find((r) => r && r.choice !== undefined);
      if (!k) return null;
      return { choice: k.choice, iterations: k.pass ? k.pass.iterations : 0,
               recoveryIterations: k.recovery ? k.recovery.iterations : 0,
               saltBytes: k.pass ? k.pass.salt.length : 0, ivBytes: k.pass ? k.pass.iv.length : 0,
               wrapped: k.pass ? Array.from(k.pass.wrapped).join(",") : "", idleMs: k.idleMs || 0,
               failures: k.failures || 0, keyObjects: Object.values(k).filter((v) => v instanceof CryptoKey).length };
    })(),
  };
}
"""


def raw(page) -> dict:
    return page.evaluate(RAW_DUMP)


def open_app(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)


def set_up_lock(page, passphrase: str = PASSPHRASE) -> str:
    """From the first-use offer (or the lock settings): turn the lock on; returns the recovery key."""
    page.click("[data-lock=setup]")
    expect(page.locator("#lock-setup-title")).to_be_visible()
    page.fill("#lock-passphrase", passphrase)
    page.fill("#lock-confirm", passphrase)
    page.click("form[data-lock-form=lock-setup] button[type=submit]")
    key = page.locator("#recovery-key")
    expect(key).to_be_visible(timeout=30_000)
    text = key.inner_text().strip()
    assert RECOVERY_RE.match(text), text
    page.click("[data-lock=recovery-done]")
    expect(page.locator("#lock-message")).to_contain_text("The lock is on")
    expect(page.locator("html")).to_have_attribute("data-lock-state", "open")
    return text


def log_note(page, text: str, recipient: str = "Mum") -> None:
    page.click("main a.log-button[data-kind=note]")
    page.fill("form[data-form='log:note'] [name=text]", text)
    page.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(page, "Saved")
    wait_screen(page, recipient)


def wait_locked(page, timeout: int = 15_000) -> None:
    expect(page.locator("html")).to_have_attribute("data-lock-state", "locked", timeout=timeout)
    expect(page.locator("main h1")).to_have_text("carelog is locked")


def unlock(page, passphrase: str = PASSPHRASE) -> None:
    page.fill("#lock-passphrase", passphrase)
    page.click("form[data-lock-form=unlock] button[type=submit]")


def assert_nothing_readable(page, *texts: str) -> None:
    """While locked: only the unlock form, no app markup, no data in the page."""
    html = page.evaluate("document.body.innerHTML")
    for text in texts:
        assert text not in html
    assert page.evaluate("document.getElementById('app').innerHTML") == ""
    assert page.evaluate("document.getElementById('toast').innerHTML") == ""
    expect(page.locator("#sync-root")).to_be_hidden()


def lock_targets_are_big(page) -> None:
    small = page.evaluate("""() => Array.from(document.querySelectorAll(
        "#lock-root button, #lock-root input, #lock-root select"))
      .filter((el) => el.getClientRects().length > 0)
      .map((el) => el.getBoundingClientRect())
      .filter((b) => b.width < 44 || b.height < 44).length""")
    assert small == 0


def test_passphrase_setup_encrypts_entries_and_locks(make_page, app_server):
    page = make_page()
    axe = install_axe(page)
    open_app(page, app_server.url)
    # first use: the offer, before anything is stored
    expect(page.locator("#lock-offer-title")).to_have_text("Protect this log with a passphrase")
    if axe:
        check_screen(page, "lock offer")
    page.click("[data-lock=setup]")
    expect(page.locator(".lock-warning")).to_contain_text("cannot be read")
    # a too-short and a mismatched passphrase: plain messages, nothing turned on
    page.fill("#lock-passphrase", "short")
    page.fill("#lock-confirm", "short")
    page.click("form[data-lock-form=lock-setup] button[type=submit]")
    expect(page.locator("#lock-problem")).to_contain_text("at least 8 characters")
    page.fill("#lock-passphrase", PASSPHRASE)
    page.fill("#lock-confirm", PASSPHRASE + "x")
    page.click("form[data-lock-form=lock-setup] button[type=submit]")
    expect(page.locator("#lock-problem")).to_contain_text("not the same")
    if axe:
        check_screen(page, "lock setup with an error")
    assert raw(page)["lock"] is None
    page.fill("#lock-passphrase", PASSPHRASE)
    page.fill("#lock-confirm", PASSPHRASE)
    page.click("form[data-lock-form=lock-setup] button[type=submit]")
    expect(page.locator("#recovery-key")).to_be_visible(timeout=30_000)
    if axe:
        check_screen(page, "recovery key")
    lock_targets_are_big(page)
    page.click("[data-lock=recovery-done]")
    expect(page.locator("html")).to_have_attribute("data-lock-state", "open")
    expect(page.locator("#recovery-key")).to_have_count(0)  # shown once (gone once acknowledged)

    setup_person(page, caregiver="Ann Quillfeather", recipient="Mum")
    log_note(page, SENTINEL)
    assert SENTINEL in " ".join(timeline_summaries(page))

    data = raw(page)
    assert SENTINEL not in data["dump"] and "Quillfeather" not in data["dump"]
    notes = [e for e in data["events"] if e["kind"] == "note"]
    recipients = [e for e in data["events"] if e["kind"] == "recipient"]
    assert len(notes) == 1 and len(recipients) == 1
    note = notes[0]
    # what the indexes need stays in clear; the payload does not
    assert note["sealed"] and note["payload"] is None
    assert note["recipient"] == recipients[0]["id"] and note["entry"] == note["id"]
    assert isinstance(note["at"], int) and note["at"] > 1_700_000_000_000 and note["hlc"]
    assert all(e["sealed"] for e in data["events"])
    ivs = [e["iv"] for e in data["events"]]
    assert len(set(ivs)) == len(ivs) and all(len(iv.split(",")) == 12 for iv in ivs)
    assert all(s["sealed"] and s["value"] is None for s in data["settings"])
    lock = data["lock"]
    assert lock["choice"] == "on" and lock["iterations"] >= 600_000 and lock["recoveryIterations"] >= 600_000
    assert lock["saltBytes"] == 16 and lock["ivBytes"] == 12 and lock["keyObjects"] == 0  # only wrapped keys

    # Lock now: the screen is cleared, only the unlock form shows
    page.click("[data-lock=lock-now]")
    wait_locked(page)
    assert_nothing_readable(page, SENTINEL, "Mum", "Quillfeather")
    if axe:
        check_screen(page, "unlock form")
    lock_targets_are_big(page)
    # while locked the data key is gone: the store refuses to read sealed data
    refused = page.evaluate("""async () => {
      const db = await carelogIdb.open("carelog");
      try { await db.ofKind("note"); return "read"; } catch (e) { return e.name; } finally { db.close(); }
    }""")
    assert refused == "LockedError"
    unlock(page)
    wait_screen(page, "Mum")
    assert SENTINEL in " ".join(timeline_summaries(page))

    # a reload opens at the unlock form, and the log comes back after it
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-app-state", "locked", timeout=60_000)
    wait_locked(page)
    assert_nothing_readable(page, SENTINEL)
    unlock(page)
    wait_ready(page)
    wait_screen(page, "Mum")
    assert SENTINEL in " ".join(timeline_summaries(page))


def test_wrong_passphrase_waits_grow_and_recovery_key_unlocks(make_page, app_server):
    page = make_page()
    open_app(page, app_server.url)
    recovery = set_up_lock(page)
    setup_person(page)
    log_note(page, SENTINEL)
    page.click("[data-lock=lock-now]")
    wait_locked(page)

    unlock(page, "not the passphrase")
    expect(page.locator("#lock-problem")).to_have_text("That passphrase is not right. Try again in 1 second.")
    time.sleep(1.2)
    unlock(page, "still not it")
    expect(page.locator("#lock-problem")).to_have_text("That passphrase is not right. Try again in 2 seconds.")
    # the right passphrase at once is refused: the wait holds
    unlock(page)
    expect(page.locator("#lock-problem")).to_contain_text(re.compile(r"Too many wrong tries\. Try again in [12] second"))
    # a reload does not reset it: the failures (and the time of the last) are stored,
    # so the next wrong try after the reload waits 4 seconds, not 1
    assert raw(page)["lock"]["failures"] == 2
    time.sleep(2.2)
    page.reload()
    wait_locked(page, timeout=60_000)
    assert raw(page)["lock"]["failures"] == 2
    unlock(page, "third wrong one")
    expect(page.locator("#lock-problem")).to_have_text("That passphrase is not right. Try again in 4 seconds.")
    unlock(page, PASSPHRASE)
    expect(page.locator("#lock-problem")).to_contain_text("Too many wrong tries")
    time.sleep(4.2)

    # the recovery key, typed in lower case with spaces, opens the log
    page.click("[data-lock=use-recovery]")
    page.fill("#lock-recovery", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    page.click("form[data-lock-form=unlock-recovery] button[type=submit]")
    expect(page.locator("#lock-problem")).to_contain_text("That recovery key is not right")
    time.sleep(8.3)
    page.fill("#lock-recovery", recovery.lower().replace("-", " "))
    page.click("form[data-lock-form=unlock-recovery] button[type=submit]")
    wait_ready(page)
    wait_screen(page, "Mum")
    assert SENTINEL in " ".join(timeline_summaries(page))
    expect(page.locator("#lock-message")).to_contain_text("recovery key")
    assert raw(page)["lock"]["failures"] == 0


def test_change_passphrase_rewraps_the_key_not_the_data(make_page, app_server):
    page = make_page()
    open_app(page, app_server.url)
    set_up_lock(page)
    setup_person(page)
    log_note(page, SENTINEL)
    before = raw(page)
    page.click("[data-lock=settings]")
    expect(page.locator("#lock-settings-title")).to_be_visible()
    new = "green teapot hums at noon"
    page.fill("#lock-current", "not the current one")
    page.fill("#lock-new", new)
    page.fill("#lock-confirm", new)
    page.click("form[data-lock-form=lock-change] button[type=submit]")
    expect(page.locator("#lock-problem")).to_contain_text("That passphrase is not right")
    time.sleep(1.2)
    page.fill("#lock-current", PASSPHRASE)
    page.fill("#lock-new", new)
    page.fill("#lock-confirm", new)
    page.click("form[data-lock-form=lock-change] button[type=submit]")
    expect(page.locator("#lock-message")).to_contain_text("The passphrase is changed")
    after = raw(page)
    assert after["lock"]["wrapped"] != before["lock"]["wrapped"]
    # the data is untouched: the same ciphertext and IV for every stored event
    assert {e["id"]: (e["iv"], e["ct"]) for e in after["events"]} == \
        {e["id"]: (e["iv"], e["ct"]) for e in before["events"]}

    page.click("[data-lock=lock-now]")
    wait_locked(page)
    unlock(page, PASSPHRASE)  # the old one no longer opens it
    expect(page.locator("#lock-problem")).to_contain_text("That passphrase is not right")
    time.sleep(1.2)
    unlock(page, new)
    wait_screen(page, "Mum")
    assert SENTINEL in " ".join(timeline_summaries(page))


def test_auto_lock_after_idle_keeps_the_draft(make_page, app_server):
    page = make_page()
    axe = install_axe(page)
    open_app(page, app_server.url)
    set_up_lock(page)
    setup_person(page)
    wait_screen(page, "Mum")
    # Settings > Lock settings: the shortest idle time
    page.click("a.settings-link")
    wait_screen(page, "Settings")
    page.click("main [data-lock=settings]")
    expect(page.locator("#lock-settings-title")).to_be_visible()
    if axe:
        check_screen(page, "lock settings")
    lock_targets_are_big(page)
    page.select_option("#lock-idle", "30000")
    page.click("form[data-lock-form=lock-idle] button[type=submit]")
    expect(page.locator("#lock-message")).to_contain_text("30 seconds")
    assert raw(page)["lock"]["idleMs"] == 30_000
    page.click("[data-lock=close]")
    page.click("a.brand")
    wait_screen(page, "Mum")
    page.click("main a.log-button[data-kind=note]")
    draft = "Half-typed: Wobblestone-4410 refused the"
    page.fill("form[data-form='log:note'] [name=text]", draft)
    # no touch for 30 seconds: it locks itself
    wait_locked(page, timeout=60_000)
    assert_nothing_readable(page, draft, "Mum")
    data = raw(page)
    stored = [s for s in data["settings"] if s["key"] == "lock_draft"]
    assert stored and stored[0]["sealed"] and "Wobblestone" not in data["dump"]
    unlock(page)
    form = page.locator("form[data-form='log:note']")
    expect(form).to_be_visible()
    expect(form.locator("[name=text]")).to_have_value(draft)
    wait_for_toast(page, "What you were typing is back")
    page.click("form[data-form='log:note'] button[type=submit]")
    wait_for_toast(page, "Saved")
    wait_screen(page, "Mum")
    assert draft in " ".join(timeline_summaries(page))


def test_skip_then_turn_the_lock_on_over_existing_data(make_page, app_server):
    page = make_page()
    axe = install_axe(page)
    open_app(page, app_server.url + "?debug=1")
    # Skip: a clear warning first, and nothing is encrypted
    page.click("[data-lock=skip]")
    expect(page.locator("#lock-skip-text")).to_contain_text("anyone who picks up this tablet")
    if axe:
        check_screen(page, "skip warning")
    lock_targets_are_big(page)
    page.click("[data-lock=skip-confirm]")
    expect(page.locator("#lock-panel")).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("data-lock-state", "off")
    setup_person(page)
    log_note(page, SENTINEL)
    # more than two of the migration's 500-record batches, written through the app's own store
    run_python(page, """
from carelog.ui import lock_dom
log = lock_dom.SCREEN.app.controller.log
rid = lock_dom.SCREEN.app.controller.state.recipient.id
for i in range(1200):
    await log.log(rid, "note", {"text": f"Bulk note {i:04d} Quokka"})
""")
    data = raw(page)
    assert SENTINEL in data["dump"] and "Quokka" in data["dump"]
    assert data["lock"]["choice"] == "skipped"
    page.reload()
    wait_ready(page)
    expect(page.locator("#lock-offer-title")).to_have_count(0)  # the choice is remembered

    # later, from Settings: turn the lock on; what is stored gets encrypted
    page.click("a.settings-link")
    wait_screen(page, "Settings")
    page.click("main [data-lock=settings]")
    expect(page.locator("#lock-settings-title")).to_have_text("Lock")
    set_up_lock(page)
    data = raw(page)
    assert SENTINEL not in data["dump"] and "Quokka" not in data["dump"]
    assert len(data["events"]) == 1202 and all(e["sealed"] for e in data["events"])
    assert all(s["sealed"] for s in data["settings"])

    page.click("[data-lock=lock-now]")
    wait_locked(page)
    page.reload()
    wait_locked(page, timeout=60_000)
    unlock(page)
    wait_ready(page)
    page.click("a.brand")
    wait_screen(page, "Mum")
    summaries = " ".join(timeline_summaries(page))
    assert "Bulk note 1199 Quokka" in summaries
    count = run_python(page, """
import json
from carelog.ui import lock_dom
log = lock_dom.SCREEN.app.controller.log
rid = lock_dom.SCREEN.app.controller.state.recipient.id
events = await log.store.events_in_range(rid, kinds=["note"])
json.dumps([len(events), sum(1 for e in events if e.payload["text"] == %r)])
""" % SENTINEL)
    assert count == "[1201, 1]"


SEALED_CONTRACT = """
import json
import types

from carelog.adapters.browser import IndexedDB
from carelog.adapters.webcrypto_vault import WebCryptoVault

source = {source!r}
module = types.ModuleType("entry_store_contract_sealed")
exec(compile(source, "entry_store_contract.py", "exec"), module.__dict__)
opened = []

async def make_store():
    name = f"sealed-contract-{{len(opened)}}"
    database = await IndexedDB.open(name)
    await WebCryptoVault(database.handle).set_up("contract kettle sings")
    opened.append(name)
    database.entries.bound_settings = database.settings  # put_pulled's one transaction, sealed
    return database.entries

results = await module.run_all(make_store)
json.dumps({{"results": results, "databases": opened}})
"""


def test_the_entry_store_contract_holds_with_the_lock_on(make_page, app_server):
    """Every check of the EntryStore contract, against IndexedDB with every record sealed."""
    from ..contract import entry_store_contract as contract

    page = make_page()
    open_app(page, app_server.url + "?debug=1")
    source = SEALED_CONTRACT.format(source=open(contract.__file__, encoding="utf-8").read())
    report = __import__("json").loads(run_python(page, source))
    failed = [r for r in report["results"] if not r["ok"]]
    assert not failed, failed
    assert len(report["results"]) == len(contract.CHECKS) and len(report["databases"]) >= len(contract.CHECKS)
    # and what those stores hold is sealed
    sealed = page.evaluate("""async (names) => {
      let all = 0, sealed = 0;
      for (const name of names) {
        const db = await new Promise((res, rej) => { const r = indexedDB.open(name); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
        const rows = await new Promise((res) => { const r = db.transaction("events").objectStore("events").getAll(); r.onsuccess = () => res(r.result); });
        db.close();
        all += rows.length;
        sealed += rows.filter((row) => row.sealed && row.payload === undefined).length;
      }
      return [all, sealed];
    }""", report["databases"])
    assert sealed[0] > 0 and sealed[0] == sealed[1]

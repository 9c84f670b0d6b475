"""Three browser contexts are three tablets of one care circle, syncing through a
real nginx WebDAV folder (another origin). Each records entries offline,
including edits of the same entry, then all sync in a random order: all end
with the same entries, every entry once, the conflict shown."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from ..browser.a11y import check_screen, install_axe
from ..browser.helpers import setup_person, timeline_summaries, wait_ready, wait_screen
from .devices import RECIPIENT, add_note, edit_note, set_up_sync, state, sync_until_clean, welcome

pytestmark = [pytest.mark.sync, pytest.mark.browser]


def join(page, endpoint, passphrase, caregiver):
    welcome(page, caregiver)
    set_up_sync(page, endpoint, passphrase)
    page.reload()
    wait_ready(page)
    wait_screen(page, RECIPIENT)


@pytest.mark.parametrize("seed", [7])
def test_three_devices_converge_with_conflict_shown(nginx, make_device, seed):
    rng = random.Random(seed)
    endpoint, passphrase = nginx.endpoint, "correct horse battery staple"
    a = make_device()
    setup_person(a, "Ann", RECIPIENT)
    add_note(a, "Shared note")
    set_up_sync(a, endpoint, passphrase, create=True)

    b, c = make_device(), make_device()
    join(b, endpoint, passphrase, "Bea")
    join(c, endpoint, passphrase, "Cal")
    for page in (b, c):
        assert "Shared note" in timeline_summaries(page)

    # offline: each records entries, and A and B both edit the shared note
    devices = {"A": a, "B": b, "C": c}
    for page in devices.values():
        page.context.set_offline(True)
    edit_note(a, "Shared note", "Shared note, edited by Ann")
    edit_note(b, "Shared note", "Shared note, edited by Bea")
    for name, page in devices.items():
        for i in range(3):
            add_note(page, f"{name} offline note {i}")
    for page in devices.values():
        page.context.set_offline(False)

    # sync in a random order, twice round (the first ones cannot see the later ones yet)
    order = list(devices) * 2
    rng.shuffle(order)
    for name in order + list(devices):
        report = sync_until_clean(devices[name])
        assert report["unexpected"] is None

    states = {name: state(page) for name, page in devices.items()}
    first = states["A"]
    for name, got in states.items():
        assert got == first, f"device {name} differs"
    notes = [e for e in first["entries"].values() if e["kind"] == "note"]
    texts = sorted(e["payload"]["text"] for e in notes)
    assert len(texts) == 10 and len(set(first["events"])) == len(first["events"])
    for name in devices:
        for i in range(3):
            assert f"{name} offline note {i}" in texts
    shared = [e for e in notes if e["conflict"]]
    assert len(shared) == 1
    assert shared[0]["versions"] == sorted(['{"text": "Shared note, edited by Ann"}',
                                            '{"text": "Shared note, edited by Bea"}'])
    install_axe(c)  # loaded by the reload below; the page's CSP stays as it is
    for page in devices.values():
        page.reload()
        wait_ready(page)
        wait_screen(page, RECIPIENT)
        expect(page.locator("ol.timeline .flag.conflict")).to_have_count(1)
        assert "C offline note 2" in timeline_summaries(page)
    # nothing waits, and the status line says so
    for page in devices.values():
        expect(page.locator("#sync-status-text")).to_contain_text("Nothing waiting")

    # the status line leads to the conflicts screen; keeping one version there ends the conflict
    expect(c.locator("#sync-conflicts")).to_contain_text("1 entry has two versions", timeout=30_000)
    c.click("#sync-conflicts")
    wait_screen(c, "Entries with two versions")
    cards = c.locator(".conflict-box .conflict-version")
    expect(cards).to_have_count(2)
    check_screen(c, "conflicts")
    check_screen(c, "sync status with conflicts", root="#sync-root")
    cards.filter(has_text="edited by Bea").locator("button[data-action=resolve]").click()
    expect(c.locator("main")).to_contain_text("Nothing to choose", timeout=30_000)
    check_screen(c, "conflicts, none left")
    expect(c.locator("#sync-conflicts")).to_have_count(0, timeout=30_000)
    sync_until_clean(c)
    sync_until_clean(a)
    kept = [e for e in state(a)["entries"].values() if e["kind"] == "note" and "Shared" in e["payload"]["text"]]
    assert len(kept) == 1 and not kept[0]["conflict"] and kept[0]["payload"]["text"] == "Shared note, edited by Bea"

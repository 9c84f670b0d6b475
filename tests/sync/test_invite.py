"""An invite link carries the endpoint and the circle key in its #fragment: the
other tablet joins with one tap, no passphrase typed, and the key leaves the
address bar at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..browser.a11y import check_screen, install_axe
from ..browser.helpers import setup_person, timeline_summaries, wait_ready, wait_screen
from .devices import RECIPIENT, add_note, set_up_sync, welcome

pytestmark = [pytest.mark.sync, pytest.mark.browser]


def test_invite_link_joins_an_encrypted_circle(nginx, make_device):
    a = make_device()
    setup_person(a, "Ann", RECIPIENT)
    add_note(a, "Written before the invite")
    set_up_sync(a, nginx.endpoint, "a long circle passphrase", create=True)
    # set_up_sync closed the panel; the link made while setting up is kept in memory for this visit
    a.click("#sync-root button[data-sync=settings]")
    link = a.locator("#sync-invite")
    expect(link).to_have_count(1)
    url = link.input_value()
    assert "#join=" in url and "passphrase" not in url

    b = make_device()
    welcome(b, "Bea")
    b.goto(url)
    wait_ready(b)
    assert "join=" not in b.evaluate("location.href")  # the key left the address at once
    b.click("#sync-root button[data-sync=join-invite]")
    expect(b.locator("#sync-message")).to_have_text("Joined the circle.", timeout=60_000)
    expect(b.locator("#sync-status-text")).to_contain_text("Synced", timeout=60_000)
    b.reload()
    wait_ready(b)
    wait_screen(b, RECIPIENT)
    assert "Written before the invite" in timeline_summaries(b)


def test_invite_qr_code_is_made_on_the_device_behind_a_warning(nginx, make_device, app_server):
    a = make_device()
    install_axe(a)
    a.reload()
    wait_ready(a)
    setup_person(a, "Ann", RECIPIENT)
    set_up_sync(a, nginx.endpoint, "a long circle passphrase", create=True)
    seen = []
    a.on("request", lambda r: seen.append(r.url))
    a.click("#sync-root button[data-sync=settings]")
    link = a.locator("#sync-invite").input_value()
    expect(a.locator("#sync-qr")).to_have_count(0)  # nothing until asked
    a.click("#sync-root button[data-sync=qr]")
    qr = a.locator("#sync-qr")
    expect(qr).to_be_visible(timeout=60_000)
    warning = a.locator(".sync-qr-block .problem")
    expect(warning).to_contain_text("Anyone who scans this code can join the circle")
    assert warning.evaluate("(w) => !!(w.compareDocumentPosition(document.getElementById('sync-qr')) & 4)")
    assert link.split("#", 1)[1] not in a.locator(".sync-qr-block").inner_html()  # the picture holds no link text
    modules = qr.evaluate("(svg) => svg.querySelector('path').getAttribute('d').split('z').length - 1")
    assert modules > 200
    check_screen(a, "invite QR code", root="#sync-root")
    wheel = [u for u in seen if "segno" in u]
    assert wheel and all(u.startswith(app_server.origin + "/") for u in wheel)
    assert all(u.startswith((app_server.origin + "/", nginx.origin + "/")) for u in seen)  # and nothing else
    a.click("#sync-root button[data-sync=qr-hide]")
    expect(a.locator("#sync-qr")).to_have_count(0)

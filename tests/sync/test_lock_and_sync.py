"""A locked device in a care circle: with the passphrase lock on (payloads
sealed at rest), sync still pushes what this device wrote and stores what it
pulls sealed, and a device without the lock reads it all.

The feed that sync pushes from keeps each event's device beside its id, taken
from the clear record before sealing: this test fails if a sealed event's
device is lost (the locked device would then push nothing).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..browser.helpers import setup_person, wait_ready, wait_screen
from ..browser.test_lock import raw, set_up_lock
from ..browser.test_search_index import search
from .devices import RECIPIENT, add_note, set_up_sync, sync_until_clean, welcome

pytestmark = [pytest.mark.sync, pytest.mark.browser]

CIRCLE = "circle passphrase for the lock test"
FROM_LOCKED = "Quetzal-4417 ate all of lunch"
FROM_OPEN = "Narwhal-9023 walked to the garden"


def test_a_locked_device_pushes_and_pulls_and_keeps_both_sealed(nginx, make_device):
    a = make_device()
    set_up_lock(a)
    setup_person(a, "Ann", RECIPIENT)
    set_up_sync(a, nginx.endpoint, CIRCLE, create=True)
    add_note(a, FROM_LOCKED)
    assert sync_until_clean(a)["pushed"] >= 1

    b = make_device()
    welcome(b, "Bea")
    set_up_sync(b, nginx.endpoint, CIRCLE)
    b.reload()
    wait_ready(b)
    wait_screen(b, RECIPIENT)
    expect(b.locator("ol.timeline .item-link", has_text=FROM_LOCKED)).to_have_count(1)
    add_note(b, FROM_OPEN)
    sync_until_clean(b)

    assert sync_until_clean(a)["pulled"] >= 1
    a.goto(a.url.split("#")[0] + "#/")
    expect(a.locator("ol.timeline .item-link", has_text=FROM_OPEN)).to_have_count(1)
    dump = raw(a)
    assert FROM_LOCKED not in dump["dump"] and FROM_OPEN not in dump["dump"]
    pulled = [e for e in dump["events"] if e["kind"] == "note"]
    assert len(pulled) == 2 and all(e["sealed"] and e["payload"] is None for e in pulled)
    # pulled entries are found by the timeline's word search, with the lock on (a) and off (b)
    assert search(a, "narwhal GARD") == [FROM_OPEN]
    assert search(a, "quetzal") == [FROM_LOCKED]
    assert search(b, "quetzal lunch") == [FROM_LOCKED]
    assert search(b, "narwhal") == [FROM_OPEN]
    assert search(b, "quetzal garden") == []
    # the endpoint holds ciphertext only (the circle key), whatever the device's lock
    stored = b"".join(nginx.files().values())
    assert FROM_LOCKED.encode() not in stored and FROM_OPEN.encode() not in stored

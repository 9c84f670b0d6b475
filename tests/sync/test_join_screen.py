"""Joining a circle from the first "Who do you care for?" screen: once sync
brings the circle's people, the app shows the log without a reload."""

from __future__ import annotations

import pytest

from ..browser.helpers import setup_person, timeline_summaries, wait_screen
from .devices import RECIPIENT, add_note, set_up_sync, welcome

pytestmark = [pytest.mark.sync, pytest.mark.browser]


def test_joining_on_the_first_screen_shows_the_circles_log(nginx, make_device):
    a = make_device()
    setup_person(a, "Ann", RECIPIENT)
    add_note(a, "Before Bea joined")
    set_up_sync(a, nginx.endpoint, "", create=True)
    b = make_device()
    welcome(b, "Bea")                      # now on "Who do you care for?"
    set_up_sync(b, nginx.endpoint, "")     # join; its first run pulls Mum and the note
    wait_screen(b, RECIPIENT)              # no reload, no tap
    assert "Before Bea joined" in timeline_summaries(b)

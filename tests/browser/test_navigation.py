"""The screen follows the address: a link tapped (or Back pressed) while another
screen is still being drawn is not lost; the newest address wins."""

from __future__ import annotations

import pytest

from .helpers import run_python, setup_person, wait_ready, wait_screen

pytestmark = pytest.mark.browser

SLOW_SETTINGS = """
import asyncio
from carelog.ui import lock_dom
controller = lock_dom.SCREEN.app.controller
navigate = controller.navigate

async def slow_navigate(route):
    if route == "#/settings":
        await asyncio.sleep(1.5)  # a screen that takes a while to draw (a long report, a big chart)
    await navigate(route)

controller.navigate = slow_navigate
"""


def test_an_address_changed_while_a_screen_is_drawn_is_followed(page, app_server):
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    setup_person(page, "Ann", "Mum")
    run_python(page, SLOW_SETTINGS)
    page.evaluate("location.hash = '#/settings'")
    page.wait_for_timeout(300)  # still drawing Settings when the next tap comes
    page.evaluate("location.hash = '#/recipients'")
    wait_screen(page, "Choose a person", timeout=10_000)
    page.wait_for_timeout(2_000)  # nothing drawn later replaces it
    wait_screen(page, "Choose a person")
    assert page.evaluate("location.hash") == "#/recipients"

"""An entry opened from a filtered timeline: its edit, its deletion and its Back
go back to the same filtered timeline (same filters, same page size), with the
entry (or, once deleted, the next older one) to scroll to; opened from home,
they go home as before."""

from __future__ import annotations

import asyncio

from carelog.bootstrap import build_for_tests
from carelog.ui.controller import Controller
from carelog.ui.views import render


async def _controller():
    c = Controller(build_for_tests())
    await c.start()
    await c.submit("caregiver", {"name": "Ann"})
    await c.submit("recipient", {"name": "Mum"})
    for i in range(6):
        await c.submit("log:note", {"text": f"Kitchen visit {i}", "at_local": f"2025-03-0{i + 1}T10:00"})
        assert c.state.toast.message == f"Saved: Kitchen visit {i}", c.state.form_problem
    await c.submit("log:note", {"text": "Garden"})
    entries = {e.payload["text"]: e.id for e in await c.log.timeline(c.state.recipient.id)}
    return c, entries


def test_edit_and_delete_from_a_filtered_timeline_go_back_to_it():
    async def scenario():
        c, ids = await _controller()
        route = "#/timeline?kind=note&q=kitchen&n=100"
        await c.navigate(route)
        assert c.state.screen == "timeline" and len(c.state.timeline) == 6
        await c.navigate(f"#/entry/{ids['Kitchen visit 3']}")
        assert f'href="{route.replace("&", "&amp;")}"' in str(render(c.state))  # Back goes to the filtered timeline
        await c.navigate(f"#/entry/{ids['Kitchen visit 3']}/history")  # and still does after the history
        await c.navigate(f"#/entry/{ids['Kitchen visit 3']}")
        await c.submit(f"edit:{ids['Kitchen visit 3']}", {"text": "Kitchen visit 3, changed",
                                                           "at_local": "2025-03-04T10:00"})
        assert (c.state.screen, c.state.route) == ("timeline", route)
        assert c.state.scroll_to == ids["Kitchen visit 3"] and c.state.toast.message == "Changes saved."
        assert c.state.care.timeline.filter.count == 100

        await c.navigate(f"#/entry/{ids['Kitchen visit 2']}")
        await c.action("delete", {"id": ids["Kitchen visit 2"]})
        assert (c.state.screen, c.state.route) == ("timeline", route)
        assert c.state.scroll_to == ids["Kitchen visit 1"]  # the next older one: where the deleted one was
        await c.action("undo", {})
        assert c.state.route == route and len(c.state.timeline) == 6

        await c.navigate(f"#/entry/{ids['Kitchen visit 0']}")  # the oldest: nothing older, the last shown
        await c.action("delete", {"id": ids["Kitchen visit 0"]})
        assert c.state.scroll_to == c.state.timeline[-1].id
    asyncio.run(scenario())


def test_from_home_an_edit_goes_home_as_before():
    async def scenario():
        c, ids = await _controller()
        await c.navigate("#/")
        await c.navigate(f"#/entry/{ids['Garden']}")
        assert 'href="#/" class="button secondary big">Back' in str(render(c.state))
        await c.submit(f"edit:{ids['Garden']}", {"text": "Garden, changed"})
        assert c.state.screen == "home" and c.state.scroll_to == ""
        await c.navigate("#/timeline?q=kitchen")
        await c.navigate("#/")  # home in between: the timeline is no longer where the entry came from
        await c.navigate(f"#/entry/{ids['Kitchen visit 4']}")
        await c.action("delete", {"id": ids["Kitchen visit 4"]})
        assert c.state.screen == "home"
    asyncio.run(scenario())

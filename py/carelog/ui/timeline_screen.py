"""The timeline screen (``#/timeline?...``): filters in a form, results in pages.

Pure of the DOM like the rest of the controller. The filter lives in the route
(``domain.timeline_filter``), so Back and Forward go through earlier searches;
the form's Show button navigates to the route of what was typed, and
"Show more" is a link to the same filter with a bigger page.

    >>> import asyncio
    >>> from carelog.bootstrap import build_for_tests
    >>> from carelog.ui.controller import Controller
    >>> async def demo():
    ...     c = Controller(build_for_tests())
    ...     await c.start()
    ...     await c.submit("caregiver", {"name": "Ann"})
    ...     await c.submit("recipient", {"name": "Mum"})
    ...     await c.submit("log:note", {"text": "Fell in the kitchen"})
    ...     await c.submit("timeline-filter", {"kind": "", "q": "kitchen"})
    ...     return c.state.route, [e.payload["text"] for e in c.state.timeline]
    >>> asyncio.run(demo())
    ('#/timeline?q=kitchen', ['Fell in the kitchen'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..domain import timeline_filter as tf
from ..timeline import find_entries

if TYPE_CHECKING:
    from .controller import Controller

FORM = "timeline-filter"


@dataclass
class TimelineView:
    """What the timeline screen shows (in ``state.care.timeline``)."""

    filter: tf.TimelineFilter = field(default_factory=tf.TimelineFilter)
    problems: dict = field(default_factory=dict)
    more: bool = False


def is_timeline(route: str) -> bool:
    """True for ``#/timeline`` with or without a query."""
    return route.partition("?")[0].rstrip("/") == "#/timeline"


class TimelineScreen:
    """The timeline part of the controller."""

    def __init__(self, controller: "Controller"):
        self.c = controller

    async def navigate(self, parts: list[str]) -> bool:
        """``#/timeline?...`` (the query is read from ``state.route``; ``parts`` is its path)."""
        s = self.c.state
        route = s.route
        if not is_timeline(route) or s.recipient is None:
            return False
        flt, problems = tf.parse_query(route.partition("?")[2])
        view = TimelineView(filter=flt, problems=problems)
        page = await find_entries(self.c.log, s.recipient.id, flt)
        view.more = page.more
        s.timeline = page.entries
        s.offsets = {e.at: self.c.log.clock.local_offset_minutes(e.at) for e in s.timeline}
        s.care.timeline = view
        s.screen, s.route = "timeline", tf.route(flt)
        s.form_values = {"kind": ",".join(flt.kinds), "by": flt.author,
                         "from": flt.start.isoformat() if flt.start else "",
                         "to": flt.end.isoformat() if flt.end else "", "q": flt.text}
        return True

    async def submit(self, form: str, values: dict[str, Any]) -> bool:
        if form != FORM:
            return False
        flt, problems = tf.parse_form({**values, "n": ""})
        await self.c.navigate(tf.route(flt))
        if problems:  # what could not be used is said; the rest of the filter applies
            self.c.state.care.timeline.problems = {**problems, **self.c.state.care.timeline.problems}
        return True

    async def action(self, name: str, data: dict[str, Any]) -> bool:
        """The timeline has no buttons of its own (its links are routes)."""
        return False

"""The timeline's use case: entries of a recipient that pass a filter, newest first.

The store's ``find_histories`` does the quick pass over events and brings the
whole histories of the entries found (in the browser: one call into
JavaScript); the entries are folded from those histories and checked again (``timeline_filter.entry_matches``): a match may be
an older version, or a deleted entry. When checking leaves fewer entries than
asked for, it asks the store for more, up to a few times.

    >>> import asyncio
    >>> from carelog.bootstrap import build_for_tests
    >>> from carelog.domain.timeline_filter import parse_query
    >>> log = build_for_tests()
    >>> async def demo():
    ...     await log.set_caregiver("Ann")
    ...     mum = await log.add_recipient({"name": "Mum"})
    ...     await log.log(mum.id, "note", {"text": "Fell in the kitchen"})
    ...     await log.log(mum.id, "note", {"text": "Slept well"})
    ...     page = await find_entries(log, mum.id, parse_query("q=kitchen")[0])
    ...     return [e.payload["text"] for e in page.entries], page.more
    >>> asyncio.run(demo())
    (['Fell in the kitchen'], False)
"""

from __future__ import annotations

from dataclasses import dataclass

from .domain.fold import Entry, fold
from .domain.timeline_filter import TimelineFilter, entry_matches, store_query

ROUNDS = 3


@dataclass(frozen=True)
class TimelinePage:
    """Entries to show (newest first) and whether "Show more" may find more."""

    entries: list[Entry]
    more: bool


async def find_entries(log, recipient: str, flt: TimelineFilter) -> TimelinePage:
    """Up to ``flt.count`` entries passing the filter (``log``: a ``CareLog``)."""
    offset_at = log.clock.local_offset_minutes
    limit = flt.count + 10
    for _ in range(ROUNDS):
        query = store_query(flt, recipient, offset_at, limit=limit)
        events, more = await log.store.find_histories(query)  # the matches' whole histories
        entries = fold(events).values()
        kept = sorted((e for e in entries if entry_matches(e, query)),
                      key=lambda e: (e.at, e.created_hlc), reverse=True)
        if len(kept) >= flt.count or not more:
            return TimelinePage(kept[:flt.count], more or len(kept) > flt.count)
        limit *= 2
    return TimelinePage(kept[:flt.count], True)

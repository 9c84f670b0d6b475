"""The merge: union of events by id.

Events are immutable and named by a unique id, so merging two devices' logs
is set union keyed by id. Union is commutative, associative and idempotent,
which is why every device converges whatever order files arrive in (proved
by property tests in ``tests/unit/test_sync_merge.py``). Stores do the same
thing durably: ``EntryStore.put_events`` keeps an event already stored and
adds the rest, so the sync engine merges by calling it.

Honest devices never make two different events with one id (ids are random
UUIDs). If a damaged or hostile file does, ``merge`` keeps the version with
the smallest canonical JSON so that the result still does not depend on
order; a store keeps the first one it saw (and the fold never shows a
difference unless such a forgery exists).

    >>> from carelog.domain.events import Event
    >>> a = Event.create(id="a", recipient="r", kind="note", at=1, payload={"text": "x"},
    ...                  author="Ann", device="d1", hlc="0000000000001-000000-d1")
    >>> sorted(merge([a], [a], []))
    ['a']
"""

from __future__ import annotations

from typing import Iterable

from ..domain.events import Event
from .format import dumps


def canonical(event: Event) -> bytes:
    """The event's canonical JSON: equal events, equal bytes."""
    return dumps(event.to_record())


def merge(*logs: Iterable[Event]) -> dict[str, Event]:
    """Union of event logs keyed by event id (order of arguments does not matter)."""
    merged: dict[str, Event] = {}
    for log in logs:
        for event in log:
            kept = merged.get(event.id)
            if kept is None or (kept != event and canonical(event) < canonical(kept)):
                merged[event.id] = event
    return merged


def missing_from(have_ids: Iterable[str], events: Iterable[Event]) -> list[Event]:
    """The events whose ids are not in ``have_ids``, in their order."""
    have = set(have_ids)
    return [e for e in events if e.id not in have]

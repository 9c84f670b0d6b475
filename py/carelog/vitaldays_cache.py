"""The charts' read path over the vital days cache (``domain.vitaldays``).

``chart_entries`` reads the buckets of a span's UTC days in one call, rebuilds
the missing (or unreadable) ones from the events, stores them for next time
(unless something was written meanwhile: the cache's token changed), and
returns the current entries of one vital plus the vitals with readings in the
span. The chart drawn from them is the one ``vitalseries.vital_chart`` draws
from the events.

    cache = IndexedDBVitalDays(handle)       # adapters/browser_vitaldays.py
    rows, present = await chart_rows(cache, log.store, rid, "weight", lo, hi)
    chart = vitalseries.chart_of_rows(rows, "weight", tz, first, last, limits)  # the screen's path
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

from .domain import vitaldays
from .domain.catalogue import VITALS
from .domain.events import Event
from .domain.fold import Entry
from .ports import EntryStore, StoreError

LONG_RUN_DAYS = 31  # a longer run of missing days reads every vital event once (no per-entry lookups)


@dataclass
class CacheRead:
    """What one read of the cache found over ``first..last`` (UTC days)."""

    gen: Any                                   # the cache's token when read (``write`` hands it back)
    rows: list = field(default_factory=list)   # the readings of the asked vital, in bucket form
    types: set = field(default_factory=set)    # vital types with readings in the buckets found
    missing: list = field(default_factory=list)  # days with no usable bucket


class VitalDayCache(abc.ABC):
    """Per recipient, per UTC day buckets (a cache: the events stay the truth)."""

    @abc.abstractmethod
    async def read(self, recipient: str, first: int, last: int, vital: str) -> CacheRead:
        """The buckets of days ``first..last``: ``vital``'s readings, the types seen, the days missing."""

    @abc.abstractmethod
    async def write(self, recipient: str, gen: Any, buckets: dict[int, dict]) -> bool:
        """Store rebuilt buckets if the token is still ``gen``; False (nothing stored) otherwise."""


async def _events_for(store: EntryStore, recipient: str, run: range, every: list | None) -> list[Event]:
    if len(run) > LONG_RUN_DAYS:
        # one index read of every vital event: whole histories by construction, no per-entry lookups
        return every if every is not None else await store.events_in_range(recipient, kinds=("vital",),
                                                                            newest_first=False)
    lo, hi = run.start * vitaldays.DAY_MS, run.stop * vitaldays.DAY_MS
    return await store.histories_in_range(recipient, lo, hi, kinds=("vital",))


async def chart_entries(cache: VitalDayCache, store: EntryStore, recipient: str, vital: str,
                        lo: int, hi: int) -> tuple[list[Entry], list[str]]:
    """``vital``'s current entries of the UTC days covering ``lo <= at < hi`` (the caller keeps
    its span's), and the vitals with readings there in catalogue order."""
    rows, present = await chart_rows(cache, store, recipient, vital, lo, hi)
    return vitaldays.entries_of(rows, vital, recipient), present


async def chart_rows(cache: VitalDayCache, store: EntryStore, recipient: str, vital: str,
                     lo: int, hi: int) -> tuple[list, list[str]]:
    """``chart_entries`` as the buckets' rows (``vitalseries.chart_of_rows`` draws them without
    making an entry per reading), and the vitals with readings there in catalogue order."""
    days = vitaldays.utc_days(lo, hi)
    try:
        got = await cache.read(recipient, days.start, days.stop - 1, vital)
    except StoreError:
        got = CacheRead(gen=None, missing=list(days))  # the cache is unreadable: the events alone
        cache = None
    rows, types = list(got.rows), set(got.types)
    fresh: dict[int, dict] = {}
    every: list | None = None
    for run in vitaldays.runs(got.missing):
        events = await _events_for(store, recipient, run, every)
        if len(run) > LONG_RUN_DAYS:
            every = events
        built = vitaldays.build(events, run)
        fresh.update(built)
        for bucket in built.values():
            types.update(t for t, found in bucket["t"].items() if found)
            rows += bucket["t"].get(vital, [])
    if fresh and cache is not None:
        try:
            await cache.write(recipient, got.gen, fresh)
        except StoreError:
            pass  # a full disk or the like: the chart is right without the cache
    return rows, [key for key in VITALS if key in types]

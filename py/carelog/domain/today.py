"""Today: what is due, overdue and done on one local day, in time order.

Each slot of each plan item active that day gets a state at ``now``:

- ``done`` (a dose given or a task done; ``late`` when after its window,
  ``early`` when before it), ``skipped``, ``refused``: settled by a record;
- ``upcoming``: its window has not opened;
- ``due``: inside its window (``window_minutes`` either side, default 60);
- ``overdue``: past its window but still in its catchment (a dose given now
  still counts for it, as late);
- ``missed``: its catchment has ended with nothing recorded.

As-needed (PRN) medications have no slots: ``PrnStatus`` says when one was
last given, how many in the last 24 hours, and when the next is allowed.

Pass the dose and task events of the day and a day or two either side (and
the plan item events); everything is recomputed from events, so doses
recorded on other devices count as soon as they arrive.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Iterable, Sequence

from .careplan import PlanItem
from .catalogue import REFUSED, SKIPPED
from .events import Event
from .records import Catchment, Record, SlotTable, records, same_medicine, settle
from .schedule import AsNeeded, Slot
from .zones import day_bounds

UPCOMING, DUE, OVERDUE, MISSED, DONE = "upcoming", "due", "overdue", "missed", "done"
STATES = (UPCOMING, DUE, OVERDUE, MISSED, DONE, SKIPPED, REFUSED)
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Due:
    """One slot of one plan item and where it stands."""

    item: PlanItem
    slot: Slot
    state: str
    window: tuple[int, int]        # on-time window, ms
    catchment: tuple[int, int]     # records in [lo, hi) count for this slot
    record: Record | None = None   # what settled it
    late: bool = False
    early: bool = False
    extra: tuple[Record, ...] = ()  # further doses given for the same slot: a double dose

    @property
    def settled(self) -> bool:
        return self.state in (DONE, SKIPPED, REFUSED)

    @property
    def at(self) -> int:
        return self.slot.at


@dataclass(frozen=True)
class PrnStatus:
    """An as-needed medication: last dose, doses in the last 24 hours, next allowed time."""

    item: PlanItem
    last: Record | None
    in_24h: int
    next_allowed: int | None   # None when allowed now
    at_max: bool               # the most in 24 hours has been reached


@dataclass(frozen=True)
class Today:
    """The day's board."""

    day: _dt.date
    now: int
    rows: tuple[Due, ...]
    prn: tuple[PrnStatus, ...]
    loose: tuple[Record, ...]   # records of plan items that day that match no slot

    def in_state(self, *states: str) -> list[Due]:
        return [r for r in self.rows if r.state in states]

    @property
    def to_do(self) -> list[Due]:
        """Overdue, due and upcoming, in time order."""
        return self.in_state(OVERDUE, DUE, UPCOMING)

    @property
    def done(self) -> list[Due]:
        return self.in_state(DONE, SKIPPED, REFUSED)


def slot_state(c: Catchment, recs: list[Record], now: int) -> tuple[str, Record | None, tuple[Record, ...], bool, bool]:
    """State, settling record, extra doses, late, early of one slot at ``now``."""
    record, extra = settle(recs)
    if record is not None:
        state = DONE if record.given else record.status
        late = record.given and record.at > c.win_hi
        early = record.given and record.at < c.win_lo
        return state, record, extra, late, early
    if now < c.win_lo:
        return UPCOMING, None, (), False, False
    if now <= c.win_hi:
        return DUE, None, (), False, False
    if now < c.hi:
        return OVERDUE, None, (), False, False
    return MISSED, None, (), False, False


def item_rows(item: PlanItem, recs: Sequence[Record], first_day: _dt.date, last_day: _dt.date,
              tz: _dt.tzinfo, now: int) -> tuple[list[Due], list[Record]]:
    """The slots of one item on local days ``first_day..last_day`` with their states,
    and the item's records in that stretch that match no slot."""
    table = SlotTable(item, first_day, last_day, tz)
    grouped, loose = table.assign(recs)
    rows = []
    for i, c in enumerate(table.all):
        if not first_day <= c.slot.day <= last_day:
            continue
        state, record, extra, late, early = slot_state(c, grouped.get(i, []), now)
        rows.append(Due(item, c.slot, state, (c.win_lo, c.win_hi), (c.lo, c.hi), record, late, early, extra))
    loose = [r for r in loose if table.lo <= r.at < table.hi]
    return rows, loose


def prn_status(item: PlanItem, recs: Sequence[Record], now: int) -> PrnStatus:
    """Where an as-needed medication stands at ``now``."""
    schedule = item.schedule
    assert isinstance(schedule, AsNeeded)
    given = [r for r in recs if same_medicine(r, item) and r.maybe_given and r.at <= now]
    last = given[-1] if given else None
    window = [r for r in given if r.at > now - DAY_MS]
    gap_ms = schedule.min_interval_minutes * 60_000
    next_allowed = []
    if last is not None and last.at + gap_ms > now:
        next_allowed.append(last.at + gap_ms)
    at_max = len(window) >= schedule.max_per_day
    if at_max:  # the oldest dose that must leave the 24 hours first
        next_allowed.append(window[len(window) - schedule.max_per_day].at + DAY_MS)
    return PrnStatus(item, last, len(window), max(next_allowed) if next_allowed else None, at_max)


def today(items: Iterable[PlanItem], events: Iterable[Event], day: _dt.date, tz: _dt.tzinfo,
          now: int) -> Today:
    """The board of one local ``day`` at instant ``now``.

    ``items``: the plan (``careplan.plan_items``); ``events``: dose and task
    events from at least a day before to a day after ``day``."""
    recs = records(events)
    rows: list[Due] = []
    loose: list[Record] = []
    prn = []
    for item in items:
        if not item.active_on(day):
            continue
        if item.prn:
            prn.append(prn_status(item, recs, now))
            continue
        item_due, item_loose = item_rows(item, recs, day, day, tz, now)
        rows.extend(item_due)
        loose.extend(item_loose)
    rows.sort(key=lambda r: (r.slot.at, r.item.name.lower(), r.item.id, r.slot.key))
    lo, hi = day_bounds(day, tz)
    loose.sort(key=lambda r: (r.at, r.entry_id))
    return Today(day, now, tuple(rows), tuple(sorted(prn, key=lambda p: p.item.name.lower())),
                 tuple(r for r in loose if lo <= r.at < hi))

"""Adherence: how many due doses were given, per medication, per day and per week.

For each plan item and stretch of local days:

- ``scheduled``: slots in the stretch;
- ``due``: slots whose time has come by ``now``, or that already have a record;
- ``given``: due slots with a dose given (``late`` and ``early`` of them too);
- ``skipped``, ``refused``: counted apart, not as given;
- ``missed``: due slots whose catchment ended with nothing recorded;
- ``open``: due slots still open (due or overdue, nothing recorded yet);
- ``extra``: further doses given for a slot that already had one (double doses);
- ``rate``: given / due, None when nothing was due.

As-needed medications have no slots: ``as_needed`` counts the doses given.
Weeks run Monday to Sunday (``week_of``).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Iterable

from .careplan import PlanItem
from .catalogue import REFUSED, SKIPPED
from .events import Event
from .records import Record, records, same_medicine
from .today import DONE, DUE, MISSED, OVERDUE, item_rows
from .zones import day_bounds

ONE_DAY = _dt.timedelta(days=1)


@dataclass(frozen=True)
class Adherence:
    """Counts for one plan item over ``first_day..last_day``."""

    item_id: str
    name: str
    first_day: _dt.date
    last_day: _dt.date
    scheduled: int = 0
    due: int = 0
    given: int = 0
    late: int = 0
    early: int = 0
    skipped: int = 0
    refused: int = 0
    missed: int = 0
    open: int = 0
    extra: int = 0
    as_needed: int = 0

    @property
    def rate(self) -> float | None:
        """Given / due; None when nothing was due."""
        return self.given / self.due if self.due else None

    @property
    def percent(self) -> str:
        """``"83%"`` or ``"–"``."""
        return "–" if self.rate is None else f"{round(self.rate * 100)}%"


def week_of(day: _dt.date) -> tuple[_dt.date, _dt.date]:
    """Monday and Sunday of the week holding ``day``."""
    monday = day - _dt.timedelta(days=day.weekday())
    return monday, monday + _dt.timedelta(days=6)


def count(item: PlanItem, recs: list[Record], first: _dt.date, last: _dt.date, tz, now: int) -> Adherence:
    """One item over local days ``first..last`` from dose records already folded (``records.records``),
    so a caller with many items folds the doses once."""
    if item.prn:
        lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
        n = sum(1 for r in recs if same_medicine(r, item) and r.given and lo <= r.at < hi and r.at <= now)
        return Adherence(item.id, item.name, first, last, as_needed=n)
    rows, _ = item_rows(item, recs, first, last, tz, now)
    due = [r for r in rows if r.settled or r.at <= now]
    done = [r for r in due if r.state == DONE]
    return Adherence(
        item.id, item.name, first, last, scheduled=len(rows), due=len(due), given=len(done),
        late=sum(r.late for r in done), early=sum(r.early for r in done),
        skipped=sum(r.state == SKIPPED for r in due), refused=sum(r.state == REFUSED for r in due),
        missed=sum(r.state == MISSED for r in due), open=sum(r.state in (DUE, OVERDUE) for r in due),
        extra=sum(len(r.extra) for r in rows))


def adherence(item: PlanItem, events: Iterable[Event], first_day: _dt.date, last_day: _dt.date,
              tz: _dt.tzinfo, now: int) -> Adherence:
    """One item over local days ``first_day..last_day`` (the plan's own dates respected)."""
    return count(item, records(events), first_day, last_day, tz, now)


def daily(items: Iterable[PlanItem], events: Iterable[Event], first_day: _dt.date, last_day: _dt.date,
          tz: _dt.tzinfo, now: int) -> dict[str, list[Adherence]]:
    """Per medication (plan item id), one ``Adherence`` per day, oldest first.
    Tasks count the same way; filter on ``item.is_medication`` for medications only."""
    recs = records(events)
    out: dict[str, list[Adherence]] = {}
    for item in items:
        days = []
        day = first_day
        while day <= last_day:
            days.append(count(item, recs, day, day, tz, now))
            day += ONE_DAY
        out[item.id] = days
    return out


def weekly(items: Iterable[PlanItem], events: Iterable[Event], day: _dt.date, tz: _dt.tzinfo,
           now: int) -> list[Adherence]:
    """Per plan item, the Monday-to-Sunday week holding ``day``."""
    monday, sunday = week_of(day)
    recs = records(events)
    return [count(item, recs, monday, sunday, tz, now) for item in items]

"""Handoff: "since you last looked", for the caregiver who opens the app.

Everything **recorded** after ``since`` counts (the wall time of the entry's
clock stamp, so a dose entered late for the morning still shows), plus slots
that became missed, and alerts that arose or were recorded, in ``(since, now]``.

    >>> h = handoff([], since=0, now=1, tz=__import__("datetime").timezone.utc)
    >>> h.empty, h.headline()
    (True, 'Nothing new since you last looked.')
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .alerts import AlertView, Limit, alert_list
from .careplan import PlanItem
from .catalogue import REFUSED, SKIPPED
from .events import Event
from .fold import Entry, fold
from .hlc import Stamp
from .records import RECORD_KINDS, Record, records
from .today import MISSED, Due, item_rows
from .trends import DEFAULT_RULES, TrendRules, collect_alerts
from .zones import local_date

NOTE = "note"
HANDOFF_MAX_MS = 3 * 86_400_000  # home's handoff looks back at most 3 days (the timeline has the rest)


@dataclass(frozen=True)
class Handoff:
    """What happened since ``since``, newest first in each list."""

    since: int
    now: int
    given: tuple[Record, ...] = ()       # doses given and tasks done
    not_given: tuple[Record, ...] = ()   # skipped or refused, with reasons
    missed: tuple[Due, ...] = ()         # slots that became missed
    alerts: tuple[AlertView, ...] = ()   # open ones first
    notes: tuple[Entry, ...] = ()
    other: Mapping[str, int] = field(default_factory=dict)     # kind -> how many new (vitals, symptoms...)
    by_author: Mapping[str, int] = field(default_factory=dict)  # who recorded how many entries

    @property
    def empty(self) -> bool:
        return not (self.given or self.not_given or self.missed or self.alerts or self.notes or self.other)

    def headline(self) -> str:
        """One line: ``3 doses given, 1 missed, 2 alerts, 1 note — by Ann, Bob``."""
        if self.empty:
            return "Nothing new since you last looked."
        doses = sum(1 for r in self.given if r.kind == "medication")
        tasks = len(self.given) - doses
        open_alerts = sum(1 for a in self.alerts if a.open and a.alert.rule != "missed_dose")
        parts = [_count(doses, "dose given", "doses given"), _count(tasks, "task done", "tasks done"),
                 _count(len(self.not_given), "not given", "not given"), _count(len(self.missed), "missed", "missed"),
                 _count(open_alerts, "new alert", "new alerts"), _count(len(self.notes), "note", "notes")]
        line = ", ".join(p for p in parts if p) or "New entries"
        if self.by_author:
            line += " — by " + ", ".join(sorted(self.by_author, key=lambda a: (-self.by_author[a], a)))
        return line


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}" if n else ""


def _recorded(entry: Entry) -> int:
    return Stamp.decode(entry.created_hlc).wall


def handoff(events: Iterable[Event], since: int, now: int, tz: _dt.tzinfo, items: Iterable[PlanItem] = (),
            limits: Mapping[str, Limit] | None = None, rules: TrendRules = DEFAULT_RULES,
            leave_out_author: str | None = None) -> Handoff:
    """The summary of what was recorded in ``(since, now]``.

    ``events``: the recipient's events from two weeks before ``since`` (trend
    rules look back) to ``now``; ``items``: the plan. ``leave_out_author``
    drops what the reader recorded themselves."""
    events = list(events)
    items = list(items)
    mine = leave_out_author

    def new(recorded: int, by: str) -> bool:
        return since < recorded <= now and (mine is None or by != mine)

    recs = [r for r in records(events) if new(r.recorded, r.by)]
    given = tuple(sorted((r for r in recs if r.given), key=lambda r: -r.at))
    not_given = tuple(sorted((r for r in recs if r.status in (SKIPPED, REFUSED)), key=lambda r: -r.at))

    first_day, last_day = local_date(since, tz), local_date(now, tz)
    all_recs = records(events)
    missed: list[Due] = []
    for item in items:
        if item.prn:
            continue
        rows, _ = item_rows(item, all_recs, first_day, last_day, tz, now)
        missed += [r for r in rows if r.state == MISSED and since < r.catchment[1] <= now]
    missed.sort(key=lambda r: -r.at)

    alerts = collect_alerts(events, tz, now, first_day, last_day, items, limits, rules)
    alerts = [a for a in alerts if since < max(a.at, a.noticed) <= now]
    views = tuple(alert_list(alerts, events))

    notes, other, by_author = [], {}, {}
    for entry in fold(e for e in events if e.kind not in ("alert_ack",)).values():
        if not new(_recorded(entry), entry.created_by):
            continue
        by_author[entry.created_by] = by_author.get(entry.created_by, 0) + 1
        if entry.kind == NOTE:
            notes.append(entry)
        elif entry.kind not in RECORD_KINDS:
            other[entry.kind] = other.get(entry.kind, 0) + 1
    notes.sort(key=lambda e: -e.at)
    return Handoff(since, now, given, not_given, tuple(missed), views, tuple(notes), other, by_author)

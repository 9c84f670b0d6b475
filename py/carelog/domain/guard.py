"""The double-dose guard: before a dose is marked given, say what speaks against it.

``check_dose`` is pure over events, so it sees doses from every device whose
events have arrived. Cautions, most serious first:

``stop`` (ask the caregiver to confirm, naming who gave it and when):

- ``already_given``: the slot already has a dose given (by link, or an
  unlinked dose of the same medication in the slot's catchment);
- ``too_soon``: another dose of the same medication (any plan item, or none)
  was given less than half the spacing to the neighbouring slot away
  (12 hours for a once-a-day medication, 6 for twice a day);
- ``min_interval`` (as needed): a dose less than the minimum interval away;
- ``max_per_day`` (as needed): the dose would make more than the maximum in
  some 24 hours (a rolling 24 hours, not the calendar day).

``check``: ``not_due`` (no slot near this time, or the plan is not running
that day) and ``early`` (before the slot's window).
``info``: ``late`` (after the window) and ``already_recorded`` (the slot was
recorded as skipped or refused).

Records whose fold is in conflict count as given if any version says so.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Iterable

from .careplan import PlanItem
from .events import Event
from .records import CATCHMENT_CAP_MS, Record, SlotTable, records, same_medicine
from .schedule import AsNeeded, lookaround_days
from .zones import format_duration, format_when, local_date

STOP, CHECK, INFO = "stop", "check", "info"
ALREADY_GIVEN, TOO_SOON, MIN_INTERVAL, MAX_PER_DAY = "already_given", "too_soon", "min_interval", "max_per_day"
NOT_DUE, EARLY, LATE, ALREADY_RECORDED = "not_due", "early", "late", "already_recorded"
_RANK = {STOP: 0, CHECK: 1, INFO: 2}
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Caution:
    """One reason to think twice, with who and when where a dose is the reason."""

    code: str
    severity: str
    message: str
    by: str = ""
    device: str = ""
    at: int | None = None
    entry_id: str = ""


def _who(r: Record, tz: _dt.tzinfo, today: _dt.date) -> str:
    return f"at {format_when(r.at, tz, today)} by {r.by or 'someone'}"


def _given(r: Record) -> str:
    return "given" if r.status == "given" or not r.in_conflict else "given (in one version of a changed record)"


def check_dose(item: PlanItem, proposed: int, events: Iterable[Event], tz: _dt.tzinfo,
               slot: str | None = None, exclude: str | None = None) -> list[Caution]:
    """Cautions about giving ``item`` at instant ``proposed`` (for slot key
    ``slot`` if the caregiver chose one). ``events``: dose events from at least
    a day (for as-needed: 24 hours plus the minimum interval) either side.
    ``exclude``: the entry id of a dose being edited, so it is not its own double."""
    recs = [r for r in records(events) if r.entry_id != exclude]
    day = local_date(proposed, tz)
    if isinstance(item.schedule, AsNeeded):
        return _sorted(_check_prn(item, item.schedule, proposed, recs, tz, day))
    return _sorted(_check_scheduled(item, proposed, recs, tz, day, slot))


def _sorted(cautions: list[Caution]) -> list[Caution]:
    return sorted(cautions, key=lambda c: (_RANK[c.severity], -(c.at or 0), c.code))


def _inactive(item: PlanItem, day: _dt.date) -> Caution | None:
    if item.active_on(day):
        return None
    if day < item.start:
        return Caution(NOT_DUE, CHECK, f"{item.name} starts on {item.start:%a %d %b %Y}.")
    return Caution(NOT_DUE, CHECK, f"{item.name} was stopped after {item.end:%a %d %b %Y}.")


def _check_scheduled(item: PlanItem, proposed: int, recs: list[Record], tz, day, slot_key) -> list[Caution]:
    out: list[Caution] = []
    first = day - _dt.timedelta(days=1)
    last = day + _dt.timedelta(days=1)
    if slot_key and len(slot_key) >= 10:
        try:
            slot_day = _dt.date.fromisoformat(slot_key[:10])
            first, last = min(first, slot_day - _dt.timedelta(days=1)), max(last, slot_day + _dt.timedelta(days=1))
        except ValueError:
            pass
    table = SlotTable(item, first, last, tz)
    grouped, _ = table.assign(recs)
    target = table.index_of_key(slot_key)
    if target is None:
        target = table.index_at(proposed)
    inactive = _inactive(item, day)
    if inactive:
        out.append(inactive)
    reported: set[str] = set()
    if target is None:
        given = [r for r in recs if same_medicine(r, item) and r.maybe_given and r.at <= proposed]
        ahead = item.slots(day, day + _dt.timedelta(days=lookaround_days(item.schedule) + 1), tz)
        upcoming = [s for s in ahead if s.at > proposed]
        text = f"{item.name} is not due around this time."
        if upcoming:
            text += f" Next due {format_when(upcoming[0].at, tz, day)}."
        if given:
            text += f" Last given {_who(given[-1], tz, day)}."
        if not inactive:
            out.append(Caution(NOT_DUE, CHECK, text))
        gap = CATCHMENT_CAP_MS
    else:
        c = table.all[target]
        due_at = format_when(c.slot.at, tz, day)
        for r in grouped.get(target, []):
            if r.maybe_given:
                reported.add(r.entry_id)
                out.append(Caution(ALREADY_GIVEN, STOP, f"The {due_at} dose of {item.name} was already "
                                   f"{_given(r)} {_who(r, tz, day)}.", r.by, r.device, r.at, r.entry_id))
            else:
                why = f": {r.reason}" if r.reason else ""
                out.append(Caution(ALREADY_RECORDED, INFO, f"The {due_at} dose was recorded as {r.status} "
                                   f"{_who(r, tz, day)}{why}.", r.by, r.device, r.at, r.entry_id))
        if proposed < c.win_lo:
            out.append(Caution(EARLY, CHECK, f"{item.name} is due {due_at}: that is "
                               f"{format_duration(c.slot.at - proposed)} early."))
        elif proposed > c.win_hi:
            out.append(Caution(LATE, INFO, f"{item.name} was due {due_at}: it will be marked late "
                               f"({format_duration(proposed - c.slot.at)})."))
        spacings = [abs(c.slot.at - table.all[j].slot.at) for j in (target - 1, target + 1)
                    if 0 <= j < len(table.all) and table.all[j].slot.at != c.slot.at]
        gap = min(min(spacings) // 2 if spacings else CATCHMENT_CAP_MS, CATCHMENT_CAP_MS * 2)
    for r in recs:
        if r.entry_id in reported or not (same_medicine(r, item) and r.maybe_given):
            continue
        if abs(r.at - proposed) < gap:
            when = "before" if r.at <= proposed else "after"
            out.append(Caution(TOO_SOON, STOP, f"{item.name} was {_given(r)} {_who(r, tz, day)}, only "
                               f"{format_duration(abs(proposed - r.at))} {when} this dose.",
                               r.by, r.device, r.at, r.entry_id))
    return out


def _check_prn(item: PlanItem, schedule: AsNeeded, proposed: int, recs: list[Record], tz, day) -> list[Caution]:
    out: list[Caution] = []
    inactive = _inactive(item, day)
    if inactive:
        out.append(inactive)
    given = [r for r in recs if same_medicine(r, item) and r.maybe_given]
    gap = schedule.min_interval_minutes * 60_000
    for r in given:
        if abs(r.at - proposed) < gap:
            nxt = format_when(r.at + gap, tz, day) if r.at <= proposed else None
            tail = f" The next dose is allowed from {nxt}." if nxt else ""
            out.append(Caution(MIN_INTERVAL, STOP, f"{item.name} was {_given(r)} {_who(r, tz, day)}. Doses must be "
                               f"at least {format_duration(gap)} apart.{tail}", r.by, r.device, r.at, r.entry_id))
    worst = prn_window_count(proposed, [r.at for r in given])
    if worst[0] + 1 > schedule.max_per_day:
        inside = [r for r in given if worst[1] - DAY_MS < r.at <= worst[1]]
        names = ", ".join(f"{format_when(r.at, tz, day)} ({r.by or 'someone'})" for r in inside[-6:])
        out.append(Caution(MAX_PER_DAY, STOP, f"{item.name}: {worst[0]} doses already given in 24 hours "
                           f"({names}); the most is {schedule.max_per_day}.",
                           inside[-1].by if inside else "", inside[-1].device if inside else "",
                           inside[-1].at if inside else None, inside[-1].entry_id if inside else ""))
    return out


def prn_window_count(proposed: int, given_at: list[int]) -> tuple[int, int]:
    """The most doses (other than the proposed one) in any 24 hours ``(end - 24h, end]``
    that also holds ``proposed``, and that window's end."""
    best = (-1, proposed)
    for end in [proposed] + [t for t in given_at if proposed <= t < proposed + DAY_MS]:
        count = sum(1 for t in given_at if end - DAY_MS < t <= end)
        if count > best[0]:
            best = (count, end)
    return best

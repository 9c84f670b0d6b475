"""What was done, matched to what was due.

``records`` turns dose events (kind ``medication``) and task events (kind
``task``) into ``Record``s, whichever device wrote them. ``SlotTable`` gives
each slot of a plan item its **catchment** (the stretch of time whose records
belong to it) and its **window** (when it counts as on time):

- the catchment runs from halfway to the previous slot to halfway to the next
  one, and at most 12 hours either side of the slot;
- the window is ``window_minutes`` (default 60) either side of the slot,
  clipped to the catchment, so neighbouring windows never overlap.

A record belongs to a plan item when it links to it (``plan_item``), or, when
it has no link (logged from the plain form), when its name is the item's
(case and spacing ignored). A linked record goes to the slot it names; any
other record goes to the slot whose catchment holds its time, or to none.
"""

from __future__ import annotations

import bisect
import datetime as _dt
from dataclasses import dataclass
from typing import Iterable

from .catalogue import GIVEN, REFUSED, SKIPPED
from .careplan import DONE, MED_PLAN, MEDICATION, TASK, PlanItem
from .events import DELETE, Event
from .fold import fold
from .hlc import Stamp
from .schedule import EveryHours, Slot
from .zones import day_bounds, resolve

RECORD_KINDS = (MEDICATION, TASK)
CATCHMENT_CAP_MS = 12 * 3_600_000
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Record:
    """A dose given, skipped or refused, or a task done or skipped."""

    entry_id: str
    kind: str            # "medication" or "task"
    name: str
    status: str          # given, skipped, refused (doses); done, skipped (tasks)
    at: int              # when it happened (ms)
    by: str              # the caregiver who recorded it
    device: str          # the device it was recorded on
    recorded: int        # when it was recorded (wall time of its clock stamp)
    plan_item: str = ""
    slot: str = ""
    reason: str = ""
    maybe_given: bool = False  # some version of it (even one in conflict) says given/done
    in_conflict: bool = False
    dose: float | None = None
    unit: str = ""
    norm: str = ""             # the name for matching (``norm_name``)

    @property
    def given(self) -> bool:
        """True for a dose given or a task done."""
        return self.status in (GIVEN, DONE)


def norm_name(name: str) -> str:
    """A medication or task name for matching: case and spacing ignored."""
    return " ".join(str(name).split()).casefold()


def records(events: Iterable[Event], recipient: str | None = None) -> list[Record]:
    """The current dose and task records among ``events`` (deleted ones left out), by time."""
    events = [e for e in events if e.kind in RECORD_KINDS and (recipient is None or e.recipient == recipient)]
    devices = {e.id: e.device for e in events}
    out = []
    for entry in fold(events).values():
        p = entry.payload
        versions = [h for h in entry.conflict if h.op != DELETE] or []
        maybe = p.get("status") in (GIVEN, DONE) or any(v.payload.get("status") in (GIVEN, DONE) for v in versions)
        dose = p.get("dose")
        out.append(Record(
            entry_id=entry.id, kind=entry.kind, name=str(p.get("name", "")),
            status=str(p.get("status", GIVEN if entry.kind == MEDICATION else DONE)), at=entry.at,
            by=entry.created_by, device=devices.get(entry.id, ""), recorded=Stamp.decode(entry.created_hlc).wall,
            plan_item=str(p.get("plan_item", "") or ""), slot=str(p.get("slot", "") or ""),
            reason=str(p.get("reason", "") or ""), maybe_given=maybe, in_conflict=entry.in_conflict,
            dose=dose if isinstance(dose, (int, float)) and not isinstance(dose, bool) else None,
            unit=str(p.get("unit", "") or ""), norm=norm_name(p.get("name", ""))))
    out.sort(key=lambda r: (r.at, r.entry_id))
    return out


def belongs(record: Record, item: PlanItem) -> bool:
    """True when a record is about this plan item (by link, or by name when unlinked)."""
    if record.kind != (MEDICATION if item.kind == MED_PLAN else TASK):
        return False
    if record.plan_item:
        return record.plan_item == item.id
    return record.norm == norm_name(item.name)


def same_medicine(record: Record, item: PlanItem) -> bool:
    """True when a dose record is of this item's medication, linked to any plan item or none."""
    return record.kind == MEDICATION and (record.plan_item == item.id or record.norm == norm_name(item.name))


@dataclass(frozen=True)
class Catchment:
    """A slot with the time its records are matched in (``lo <= t < hi``) and its on-time window."""

    slot: Slot
    lo: int
    hi: int
    win_lo: int
    win_hi: int


def catchments(slots: list[Slot], window_ms: int) -> list[Catchment]:
    """Catchments and windows of consecutive slots (see the module's rules)."""
    out = []
    for i, slot in enumerate(slots):
        lo = slot.at - CATCHMENT_CAP_MS
        hi = slot.at + CATCHMENT_CAP_MS
        if i > 0:
            lo = max(lo, slots[i - 1].at + (slot.at - slots[i - 1].at + 1) // 2)
        if i + 1 < len(slots):
            hi = min(hi, slot.at + (slots[i + 1].at - slot.at + 1) // 2)
        hi = max(hi, lo)
        win_lo = max(slot.at - window_ms, lo)
        win_hi = min(slot.at + window_ms, max(hi - 1, slot.at))
        out.append(Catchment(slot, lo, hi, win_lo, win_hi))
    return out


class SlotTable:
    """The slots of one plan item around a stretch of local days, with catchments,
    and the records that belong to each."""

    def __init__(self, item: PlanItem, first_day: _dt.date, last_day: _dt.date, tz: _dt.tzinfo):
        self.item = item
        self.tz = tz
        self.first_day, self.last_day = first_day, last_day
        # Neighbours more than a day away do not change a catchment (capped at 12 hours).
        pad = _dt.timedelta(days=2 if isinstance(item.schedule, EveryHours) else 1)
        padded = item.slots(first_day - pad, last_day + pad, tz)
        self.all = catchments(padded, item.window_ms)
        self.lo = day_bounds(first_day, tz)[0]
        self.hi = day_bounds(last_day, tz)[1]
        self._by_key = {c.slot.key: i for i, c in enumerate(self.all)}
        self._los = [c.lo for c in self.all]

    def index_of_key(self, key: str | None) -> int | None:
        """Index (in ``all``) of the slot with this key, if the table has it."""
        return self._by_key.get(key) if key else None

    def index_at(self, at: int) -> int | None:
        """Index (in ``all``) of the slot whose catchment holds ``at``."""
        i = bisect.bisect_right(self._los, at) - 1
        while i >= 0 and self.all[i].lo == self.all[i].hi:
            i -= 1  # empty catchment (two slots at one instant): look at the one before
        if 0 <= i < len(self.all) and self.all[i].lo <= at < self.all[i].hi:
            return i
        return None

    def index_of(self, record: Record) -> int | None:
        """The slot a record belongs to, or None."""
        if record.slot and record.plan_item == self.item.id:
            i = self._by_key.get(record.slot)
            if i is not None:
                return i
            try:  # a slot of a day outside the table, or a time the plan no longer has
                nominal = _dt.datetime.fromisoformat(record.slot[:16])
                at = resolve(nominal, self.tz)[0]
            except ValueError:
                at = None
            if at is not None and self.all and not self.all[0].lo <= at < self.all[-1].hi:
                return None
        return self.index_at(record.at)

    def assign(self, recs: Iterable[Record]) -> tuple[dict[int, list[Record]], list[Record]]:
        """Records of this item grouped by slot index (time order), and those of no slot."""
        grouped: dict[int, list[Record]] = {}
        loose = []
        for rec in recs:
            if not belongs(rec, self.item):
                continue
            i = self.index_of(rec)
            if i is None:
                loose.append(rec)
            else:
                grouped.setdefault(i, []).append(rec)
        return grouped, loose


def settle(recs: list[Record]) -> tuple[Record | None, tuple[Record, ...]]:
    """The record that settles a slot (the first given, else the latest skipped or
    refused) and any further given records (double doses)."""
    given = [r for r in recs if r.given]
    if given:
        return given[0], tuple(given[1:])
    others = [r for r in recs if r.status in (SKIPPED, REFUSED)]
    return (others[-1] if others else None), ()

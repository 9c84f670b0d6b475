"""The care plan: medications and routine tasks, each with a schedule.

A plan item is an entry like any other, built from events:

- kind ``med_plan``: name, strength, dose and unit, route, instructions,
  start and end dates (local, inclusive), schedule, matching window;
- kind ``task_plan``: name, instructions, dates, schedule, window.

Changing an item is an edit event; stopping it sets its end date. An edit
changes the item for every day, past ones included: to change a schedule
from a given day and keep the past as it was, end the item the day before
and add a new one (``end_payload`` gives the first half).

What was done is recorded as events too: a dose is the existing kind
``medication`` with two optional links, ``plan_item`` (the item's id) and
``slot`` (the slot key); a task done or skipped is the new kind ``task``.

    >>> p = parse_med_plan({"name": "Metformin", "strength": "500 mg", "dose": "1", "unit": "{tablet}",
    ...                     "start_date": "2024-01-01", "schedule": "daily", "times": "8:00, 20:00"})
    >>> p["schedule"]
    {'kind': 'daily', 'times': ['08:00', '20:00']}
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from . import validation
from .catalogue import MEDICATION_UNITS, ROUTES
from .events import Event
from .fold import Entry, fold
from .schedule import AsNeeded, Schedule, Slot, describe, parse_schedule, schedule_from_payload, slots_between
from .validation import FormErrors

MED_PLAN, TASK_PLAN, TASK = "med_plan", "task_plan", "task"
MEDICATION = "medication"
PLAN_KINDS = (MED_PLAN, TASK_PLAN)
DONE, SKIPPED = "done", "skipped"
TASK_OUTCOMES = {DONE: "Done", SKIPPED: "Skipped"}
DEFAULT_WINDOW_MINUTES = 60
WINDOW_RANGE = (5, 720)
SLOT_KEY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}([+-]\d{2}:\d{2})?")


@dataclass(frozen=True)
class PlanItem:
    """One medication or routine task of the care plan."""

    id: str
    kind: str  # MED_PLAN or TASK_PLAN
    name: str
    schedule: Schedule
    start: _dt.date
    end: _dt.date | None = None
    window_minutes: int = DEFAULT_WINDOW_MINUTES
    dose: float | None = None
    unit: str = ""
    route: str = ""
    strength: str = ""
    instructions: str = ""
    recipient: str = ""
    payload: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_medication(self) -> bool:
        return self.kind == MED_PLAN

    @property
    def prn(self) -> bool:
        """True for as-needed items (no slots)."""
        return isinstance(self.schedule, AsNeeded)

    @property
    def window_ms(self) -> int:
        return self.window_minutes * 60_000

    def active_on(self, day: _dt.date) -> bool:
        """True when the plan runs on that local date."""
        return self.start <= day and (self.end is None or day <= self.end)

    def slots(self, first_day: _dt.date, last_day: _dt.date, tz: _dt.tzinfo) -> list[Slot]:
        """The item's slots on local days ``first_day..last_day``, in time order."""
        return slots_between(self.schedule, self.start, self.end, first_day, last_day, tz)

    @property
    def label(self) -> str:
        """``Metformin 500 mg: 1 tablet(s), by mouth``."""
        if not self.is_medication:
            return self.name
        head = f"{self.name} {self.strength}".strip()
        amount = f"{validation._fmt(self.dose, 3)} {MEDICATION_UNITS.get(self.unit, self.unit)}" if self.dose else ""
        how = ROUTES.get(self.route, "").lower()
        tail = ", ".join(x for x in (amount, how) if x)
        return f"{head}: {tail}" if tail else head

    @property
    def when(self) -> str:
        """The schedule in plain words."""
        return describe(self.schedule)


# --- forms -------------------------------------------------------------------------

def _date(form: Mapping, key: str, label: str, errors: dict, required: bool) -> str:
    raw = validation._text(form, key)
    if not raw:
        if required:
            errors[key] = f"{label} is needed."
        return ""
    if not validation._is_iso_date(raw):
        errors[key] = f"Enter {label.lower()} as year-month-day, like 2024-05-30."
        return ""
    return raw


def _common(form: Mapping, errors: dict, allow_prn: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    start = _date(form, "start_date", "The start date", errors, required=True)
    end = _date(form, "end_date", "The end date", errors, required=False)
    payload["start_date"] = start
    if end:
        if start and end < start:
            errors["end_date"] = "The end date must be on or after the start date."
        payload["end_date"] = end
    instructions = validation._optional_text(form, "instructions", "The instructions", errors, limit=1000)
    if instructions:
        payload["instructions"] = instructions
    window = validation._text(form, "window_minutes")
    if window:
        value = validation.parse_number(window)
        low, high = WINDOW_RANGE
        if value is None or value != int(value) or not low <= value <= high:
            errors["window_minutes"] = f"The window must be a whole number of minutes from {low} to {high}."
        else:
            payload["window_minutes"] = int(value)
    payload["schedule"] = parse_schedule(form, errors, allow_prn=allow_prn)
    return payload


def parse_med_plan(form: Mapping[str, Any]) -> dict:
    """A medication of the plan, from form text; raises FormErrors."""
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {"name": validation._required_text(form, "name", "The medication name", errors)}
    strength = validation._optional_text(form, "strength", "The strength", errors, limit=60)
    if strength:
        payload["strength"] = strength
    dose = validation._number_in_range(form, "dose", "The dose", "", 0.001, 100_000, 3, errors)
    if dose is not None:
        payload["dose"] = dose
    payload["unit"] = validation._choice(form, "unit", "The unit", MEDICATION_UNITS, errors)
    payload["route"] = validation._choice(form, "route", "How it is given", ROUTES, errors, default="oral")
    rxnorm = validation._text(form, "rxnorm")
    if rxnorm:
        if not rxnorm.isdigit() or len(rxnorm) > 12:
            errors["rxnorm"] = "An RxNorm code is a number, like 860975. Leave it empty if unsure."
        else:
            payload["rxnorm"] = rxnorm
    payload.update(_common(form, errors, allow_prn=True))
    if errors:
        raise FormErrors(errors)
    return _order(payload)


def parse_task_plan(form: Mapping[str, Any]) -> dict:
    """A routine task of the plan ("Reposition", every 2 hours); raises FormErrors."""
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {"name": validation._required_text(form, "name", "The task", errors)}
    payload.update(_common(form, errors, allow_prn=False))
    if errors:
        raise FormErrors(errors)
    return _order(payload)


def _order(payload: dict) -> dict:
    return {k: payload[k] for k in sorted(payload, key=lambda k: (k != "name", k))}


def end_payload(item: PlanItem, last_day: _dt.date) -> dict:
    """The item's payload with its last day set (to stop it, or before replacing it)."""
    payload = dict(item.payload)
    payload["end_date"] = max(last_day, item.start).isoformat()
    return payload


# --- from events --------------------------------------------------------------------

def item_from_entry(entry: Entry) -> PlanItem:
    """The plan item an entry holds; ValueError if its payload is malformed."""
    p = entry.payload
    if entry.kind not in PLAN_KINDS:
        raise ValueError("not a plan item")
    name = p.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a plan item needs a name")
    start = _dt.date.fromisoformat(str(p.get("start_date", "")))
    end = _dt.date.fromisoformat(p["end_date"]) if p.get("end_date") else None
    schedule = schedule_from_payload(p.get("schedule"))
    if entry.kind == TASK_PLAN and isinstance(schedule, AsNeeded):
        raise ValueError("a task cannot be as needed")
    window = p.get("window_minutes", DEFAULT_WINDOW_MINUTES)
    if not isinstance(window, int) or isinstance(window, bool) or not WINDOW_RANGE[0] <= window <= WINDOW_RANGE[1]:
        raise ValueError("bad window")
    dose = p.get("dose")
    if dose is not None and (isinstance(dose, bool) or not isinstance(dose, (int, float)) or dose <= 0):
        raise ValueError("bad dose")
    return PlanItem(id=entry.id, kind=entry.kind, name=name.strip(), schedule=schedule, start=start, end=end,
                    window_minutes=window, dose=dose, unit=str(p.get("unit", "")), route=str(p.get("route", "")),
                    strength=str(p.get("strength", "")), instructions=str(p.get("instructions", "")),
                    recipient=entry.recipient, payload=p)


def plan_items(events: Iterable[Event], recipient: str | None = None) -> list[PlanItem]:
    """The current plan items among ``events`` (deleted and malformed ones left out), by name."""
    items = []
    for entry in fold(e for e in events if e.kind in PLAN_KINDS).values():
        if recipient is not None and entry.recipient != recipient:
            continue
        try:
            items.append(item_from_entry(entry))
        except (ValueError, TypeError):
            continue  # kept in the store, shown in the timeline, but not scheduled
    items.sort(key=lambda i: (i.name.lower(), i.id))
    return items


# --- recording what was done ---------------------------------------------------------

def _slot_key(slot: str | None, item: PlanItem, errors: dict) -> str:
    slot = (slot or "").strip()
    if slot and not SLOT_KEY.fullmatch(slot):
        errors["slot"] = "That dose time is not one of the plan's."
    if not slot and not item.prn:
        errors["slot"] = "Choose which dose this is."
    return slot


def parse_planned_dose(item: PlanItem, slot: str | None, form: Mapping[str, Any]) -> dict:
    """A dose of a plan medication given, skipped or refused: the ``medication``
    payload (validated like any dose) plus ``plan_item`` and ``slot``.
    Name, dose, unit and route default to the plan's."""
    if not item.is_medication:
        raise FormErrors({"plan_item": "That plan item is not a medication."})
    errors: dict[str, str] = {}
    key = _slot_key(slot, item, errors)
    merged = {"name": item.name, "dose": "" if item.dose is None else str(item.dose), "unit": item.unit,
              "route": item.route}
    merged.update({k: v for k, v in form.items() if v not in (None, "")})
    try:
        payload = validation.parse_medication(merged)
    except FormErrors as exc:
        errors.update(exc.errors)
        payload = {}
    if errors:
        raise FormErrors(errors)
    payload["plan_item"] = item.id
    if key:
        payload["slot"] = key
    return payload


def parse_task_record(item: PlanItem, slot: str | None, form: Mapping[str, Any]) -> dict:
    """A task of the plan done or skipped (skipping needs a reason): the ``task`` payload."""
    errors: dict[str, str] = {}
    key = _slot_key(slot, item, errors)
    status = validation._choice(form, "status", "What happened", TASK_OUTCOMES, errors, default=DONE)
    payload: dict[str, Any] = {"name": item.name, "plan_item": item.id, "status": status}
    if key:
        payload["slot"] = key
    return _with_outcome_details(form, payload, status, errors)


def parse_task_edit(current: Mapping[str, Any], form: Mapping[str, Any]) -> dict:
    """A change to a task record: status, reason and note from the form; the name,
    plan link and slot stay as recorded (the plan item may have changed since)."""
    errors: dict[str, str] = {}
    status = validation._choice(form, "status", "What happened", TASK_OUTCOMES, errors, default=DONE)
    payload: dict[str, Any] = {k: current[k] for k in ("name", "plan_item", "slot") if k in current}
    payload["status"] = status
    return _with_outcome_details(form, payload, status, errors)


def _with_outcome_details(form: Mapping[str, Any], payload: dict[str, Any], status: str,
                          errors: dict[str, str]) -> dict:
    """A task record's reason (required when skipped) and note from the form, added to
    ``payload``; raises ``FormErrors`` with everything wrong in the form."""
    reason = validation._optional_text(form, "reason", "The reason", errors, limit=500)
    if status == SKIPPED and not reason and "reason" not in errors:
        errors["reason"] = "Say why the task was skipped."
    if reason:
        payload["reason"] = reason
    note = validation._optional_text(form, "note", "The note", errors)
    if note:
        payload["note"] = note
    if errors:
        raise FormErrors(errors)
    return payload

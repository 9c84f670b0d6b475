"""Schedules: when a medication or a task is due, in the recipient's local time.

Four kinds, stored as a small dict inside a plan item's payload:

- ``daily``: fixed times of day, every day (or every N days from the start date);
- ``weekdays``: fixed times of day on chosen weekdays;
- ``interval``: every N hours, anchored at the first time on the start date,
  spaced in **real elapsed time** (a 6-hourly dose stays 6 hours apart across a
  clock change, so its wall times shift by the change);
- ``prn``: as needed, with a minimum interval and a maximum in any 24 hours
  (no slots; the double-dose guard enforces the limits).

Fixed times are wall times in the recipient's zone: 08:00 is 08:00 local on
both sides of a daylight saving change. A time that does not exist that day
moves to the end of the gap; a time that happens twice is due once, at its
first pass (see ``zones``).

Each due time is a ``Slot``; its ``key`` (the nominal local wall time,
``2024-03-10T08:00``) is what a dose record stores to say which slot it was for.

    >>> import datetime as dt
    >>> from carelog.domain.zones import zone
    >>> s = schedule_from_payload({"kind": "daily", "times": ["08:00", "20:00"]})
    >>> tz = zone("Europe/London")
    >>> [x.key for x in slots_between(s, dt.date(2024, 3, 31), None, dt.date(2024, 3, 31), dt.date(2024, 3, 31), tz)]
    ['2024-03-31T08:00', '2024-03-31T20:00']
    >>> describe(s)
    'Every day at 08:00 and 20:00'
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, Mapping, Union

from .validation import parse_number
from .zones import day_bounds, local_date, resolve, wall_key

DAY = _dt.timedelta(days=1)
HOUR_MS = 3_600_000
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
KINDS = {"daily": "At set times every day", "weekdays": "At set times on chosen days",
         "interval": "Every few hours", "prn": "Only when needed"}
MAX_TIMES = 48
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"(\d{1,2})(?:[:.h]?(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?", re.IGNORECASE)


@dataclass(frozen=True)
class TimesOfDay:
    """Fixed local times, on chosen weekdays (0 = Monday), every ``every_days`` days."""

    times: tuple[_dt.time, ...]
    weekdays: frozenset[int] = frozenset(range(7))
    every_days: int = 1
    kind: str = "daily"

    def on(self, day: _dt.date, start: _dt.date) -> bool:
        """True when the schedule has doses on ``day`` (``start`` anchors every N days)."""
        return day.weekday() in self.weekdays and (day - start).days % self.every_days == 0


@dataclass(frozen=True)
class EveryHours:
    """Every ``hours`` hours of real time from ``first`` on the plan's start date."""

    hours: int
    first: _dt.time
    kind: str = "interval"


@dataclass(frozen=True)
class AsNeeded:
    """PRN: at least ``min_interval_minutes`` apart and at most ``max_per_day`` in any 24 hours."""

    min_interval_minutes: int
    max_per_day: int
    kind: str = "prn"


Schedule = Union[TimesOfDay, EveryHours, AsNeeded]


@dataclass(frozen=True)
class Slot:
    """One due time. ``key`` is the nominal local wall time (what dose records
    link to); ``at`` the instant; ``moved`` is True when the nominal time fell
    in a daylight-saving gap and ``at`` is the end of the gap."""

    key: str
    at: int
    moved: bool = False

    @property
    def day(self) -> _dt.date:
        """The local date the slot belongs to."""
        return _dt.date.fromisoformat(self.key[:10])


# --- reading and writing ------------------------------------------------------

def parse_clock(text: str) -> _dt.time | None:
    """``8``, ``8:30``, ``0830``, ``20.15``, ``8pm``, ``8:30 a.m.`` -> time; None if not a time."""
    match = _CLOCK.fullmatch(str(text).strip())
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    suffix = (match[3] or "").lower().replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return _dt.time(hour, minute)


def parse_times(value: Any) -> list[_dt.time] | None:
    """A list of times from text ("8am, 2 pm; 20:00") or a list; None if any part is not a time."""
    parts = value if isinstance(value, (list, tuple)) else re.split(r"[,;\n/]+", str(value or ""))
    times = []
    for part in (str(p).strip() for p in parts):
        if not part:
            continue
        one = parse_clock(part)
        if one is not None:
            times.append(one)
            continue
        for word in part.split():
            one = parse_clock(word)
            if one is None:
                return None
            times.append(one)
    return sorted(set(times))


def parse_weekdays(value: Any) -> frozenset[int] | None:
    """Weekdays from ``["mon", "wed"]`` or "Mon, Wed, Friday"; None if a name is unknown."""
    parts = value if isinstance(value, (list, tuple)) else re.split(r"[\s,;/]+", str(value or ""))
    days = set()
    for part in (str(p).strip().lower() for p in parts):
        if not part:
            continue
        day = next((i for i, name in enumerate(_DAY_NAMES) if len(part) >= 3 and name.startswith(part)), None)
        if day is None:
            return None
        days.add(day)
    return frozenset(days)


def _int_field(form: Mapping, key: str, label: str, low: int, high: int, errors: dict,
               default: int | None = None) -> int | None:
    raw = str(form.get(key, "") if form.get(key) is not None else "").strip()
    if not raw:
        if default is None:
            errors[key] = f"{label} is needed."
        return default
    value = parse_number(raw)
    if value is None or value != int(value) or not low <= value <= high:
        errors[key] = f"{label} must be a whole number from {low} to {high}."
        return None
    return int(value)


def parse_schedule(form: Mapping[str, Any], errors: dict, allow_prn: bool = True) -> dict:
    """The schedule fields of a plan form -> the stored schedule dict (errors added to ``errors``)."""
    kind = str(form.get("schedule", "") or "").strip() or "daily"
    if kind not in KINDS or (kind == "prn" and not allow_prn):
        errors["schedule"] = "Choose how often from the list."
        return {}
    if kind in ("daily", "weekdays"):
        times = parse_times(form.get("times", ""))
        if times is None:
            errors["times"] = "Enter times like 08:00, 14:00 or 8pm."
        elif not times:
            errors["times"] = "Enter at least one time of day, like 08:00."
        elif len(times) > MAX_TIMES:
            errors["times"] = f"That is more than {MAX_TIMES} times a day. Use 'every few hours' instead."
        out: dict[str, Any] = {"kind": kind, "times": [t.strftime("%H:%M") for t in times or ()]}
        if kind == "weekdays":
            days = parse_weekdays(form.get("weekdays", ""))
            if days is None:
                errors["weekdays"] = "Choose the days of the week from the list."
            elif not days:
                errors["weekdays"] = "Choose at least one day of the week."
            out["weekdays"] = [WEEKDAYS[d] for d in sorted(days or ())]
        else:
            every = _int_field(form, "every_days", "Every how many days", 1, 366, errors, default=1)
            if every and every != 1:
                out["every_days"] = every
        return out
    if kind == "interval":
        hours = _int_field(form, "every_hours", "Every how many hours", 1, 72, errors)
        first_text = str(form.get("first_time", "") or "").strip()
        first = parse_clock(first_text) if first_text else None
        if first is None:
            errors["first_time"] = "Enter the time of the first dose on the start date, like 06:00."
        return {"kind": kind, "every_hours": hours, "first_time": first.strftime("%H:%M") if first else ""}
    # prn
    out = {"kind": kind}
    raw = str(form.get("min_interval_hours", "") or "").strip()
    hours_f = parse_number(raw) if raw else None
    if not raw:
        errors["min_interval_hours"] = "Enter the least time between doses, in hours (like 4)."
    elif hours_f is None or not 0.25 <= hours_f <= 72:
        errors["min_interval_hours"] = "The time between doses must be from 0.25 to 72 hours."
    else:
        out["min_interval_minutes"] = int(round(hours_f * 60))
    maximum = _int_field(form, "max_per_day", "The most doses in 24 hours", 1, 48, errors)
    if maximum is not None:
        out["max_per_day"] = maximum
    return out


def schedule_from_payload(data: Any) -> Schedule:
    """The schedule a stored dict describes; ValueError if it is malformed."""
    if not isinstance(data, dict):
        raise ValueError("a schedule must be an object")
    kind = data.get("kind")
    if kind in ("daily", "weekdays"):
        times = parse_times(data.get("times", []))
        if not times:
            raise ValueError("a schedule needs times")
        days = parse_weekdays(data.get("weekdays", list(WEEKDAYS)) if kind == "weekdays" else list(WEEKDAYS))
        if not days:
            raise ValueError("a schedule needs weekdays")
        every = data.get("every_days", 1)
        if not isinstance(every, int) or isinstance(every, bool) or not 1 <= every <= 366:
            raise ValueError("bad every_days")
        return TimesOfDay(tuple(times), days, every, kind)
    if kind == "interval":
        hours, first = data.get("every_hours"), parse_clock(str(data.get("first_time", "")))
        if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 72 or first is None:
            raise ValueError("bad interval schedule")
        return EveryHours(hours, first)
    if kind == "prn":
        gap, most = data.get("min_interval_minutes"), data.get("max_per_day")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (gap, most)):
            raise ValueError("bad as-needed schedule")
        return AsNeeded(gap, most)
    raise ValueError(f"unknown schedule kind {kind!r}")


def describe(schedule: Schedule) -> str:
    """The schedule in plain words."""
    if isinstance(schedule, TimesOfDay):
        times = [t.strftime("%H:%M") for t in schedule.times]
        at = ", ".join(times[:-1]) + " and " + times[-1] if len(times) > 1 else times[0]
        if len(schedule.weekdays) == 7:
            days = "Every day" if schedule.every_days == 1 else f"Every {schedule.every_days} days"
        else:
            days = ", ".join(WEEKDAY_LABELS[d] for d in sorted(schedule.weekdays))
        return f"{days} at {at}"
    if isinstance(schedule, EveryHours):
        unit = "hour" if schedule.hours == 1 else f"{schedule.hours} hours"
        return f"Every {unit} from {schedule.first.strftime('%H:%M')}"
    gap = schedule.min_interval_minutes
    gap_text = f"{gap // 60} h" + (f" {gap % 60:02d} min" if gap % 60 else "") if gap >= 60 else f"{gap} min"
    return f"When needed: at least {gap_text} apart, at most {schedule.max_per_day} in 24 hours"


# --- occurrences ----------------------------------------------------------------

def slots_in(schedule: Schedule, start: _dt.date, end: _dt.date | None, from_ms: int, to_ms: int,
             tz: _dt.tzinfo) -> list[Slot]:
    """Every slot with ``from_ms <= at < to_ms`` of a plan running from ``start``
    to ``end`` (local dates, inclusive; None = open), in time order."""
    if to_ms <= from_ms or isinstance(schedule, AsNeeded):
        return []
    last_ms = day_bounds(end, tz)[1] if end is not None else to_ms
    to_ms = min(to_ms, last_ms)
    if isinstance(schedule, EveryHours):
        anchor, _ = resolve(_dt.datetime.combine(start, schedule.first), tz)
        step = schedule.hours * HOUR_MS
        k = max(0, -(-(from_ms - anchor) // step))
        out = []
        at = anchor + k * step
        while at < to_ms:
            out.append(Slot(wall_key(at, tz), at))
            at += step
        return out
    wide = _fixed(schedule, start, end, local_date(from_ms, tz) - DAY, local_date(to_ms - 1, tz) + DAY, tz)
    return [s for s in wide if from_ms <= s.at < to_ms]


def _fixed(schedule: TimesOfDay, start: _dt.date, end: _dt.date | None, first_day: _dt.date, last_day: _dt.date,
           tz: _dt.tzinfo) -> list[Slot]:
    """Fixed-time slots by nominal local date ``first_day..last_day``, in time order."""
    first_day = max(start, first_day)
    if end is not None:
        last_day = min(last_day, end)
    out = []
    day = first_day
    while day <= last_day:
        if schedule.on(day, start):
            for t in schedule.times:
                wall = _dt.datetime.combine(day, t)
                at, moved = resolve(wall, tz)
                out.append(Slot(wall.isoformat(timespec="minutes"), at, moved))
        day += DAY
    out.sort(key=lambda s: (s.at, s.key))
    return out


def slots_between(schedule: Schedule, start: _dt.date, end: _dt.date | None, first_day: _dt.date,
                  last_day: _dt.date, tz: _dt.tzinfo) -> list[Slot]:
    """The slots of the local days ``first_day..last_day`` (inclusive), in time order.

    Fixed-time slots belong to their nominal date; interval slots to the day
    their instant falls in."""
    if isinstance(schedule, TimesOfDay):  # by nominal date, even if a gap moved one past midnight
        return _fixed(schedule, start, end, first_day, last_day, tz)
    if isinstance(schedule, AsNeeded):
        return []
    return slots_in(schedule, start, end, day_bounds(first_day, tz)[0], day_bounds(last_day, tz)[1], tz)


def lookaround_days(schedule: Schedule) -> int:
    """How many days either side of a day hold its neighbouring slots, at most."""
    if isinstance(schedule, TimesOfDay):
        return 7 if len(schedule.weekdays) < 7 else schedule.every_days
    if isinstance(schedule, EveryHours):
        return -(-schedule.hours // 24)
    return 0

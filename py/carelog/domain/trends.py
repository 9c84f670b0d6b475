"""Trend rules over several readings, missed doses, and all alerts together.

Days are the recipient's local calendar days. A rule is evaluated on each
day that has a reading of its kind; it **raises an alert on the first such
day its condition holds** (not again while it keeps holding; again after a
day with readings where it did not hold). The alert's id is derived from the
rule, recipient and day, so devices agree on it.

Rules (``TrendRules`` holds the numbers):

- ``weight_gain_3d``: a weight on day D is at least 2.0 kg above the lowest
  weight recorded earlier on days D-3..D (fluid retention in heart failure);
- ``weight_gain_7d``: the same with 2.5 kg over days D-7..D (left out on a day
  the 3-day rule fires);
- ``bp_rising``: the mean systolic of days D-6..D is at least 10 mmHg above the
  mean of days D-13..D-7, each mean over at least 3 readings;
- ``glucose_high_repeated`` / ``glucose_low_repeated``: at least 3 readings
  beyond the recipient's blood-sugar limit on days D-6..D;
- ``missed_dose``: a scheduled dose whose catchment ended with nothing
  recorded (one alert per slot).
"""

from __future__ import annotations

import bisect
import datetime as _dt
from dataclasses import dataclass
from typing import Iterable, Mapping

from .alerts import DEFAULT_LIMITS, HIGH, LOW, VITAL, Alert, Limit, alert_id, to_canonical, vital_alerts
from .careplan import PlanItem
from .events import Event
from .fold import Entry, fold
from .hlc import Stamp
from .records import records
from .today import MISSED, item_rows
from .validation import _fmt
from .zones import day_bounds, format_clock, local_date


@dataclass(frozen=True)
class TrendRules:
    """The numbers of the trend rules (see the module)."""

    weight_short_days: int = 3
    weight_short_kg: float = 2.0
    weight_long_days: int = 7
    weight_long_kg: float = 2.5
    bp_days: int = 7
    bp_rise_mmhg: float = 10.0
    bp_min_readings: int = 3
    glucose_days: int = 7
    glucose_count: int = 3


DEFAULT_RULES = TrendRules()


@dataclass(frozen=True)
class Reading:
    """One number of one vital reading, in the canonical unit, with its local day."""

    at: int
    day: _dt.date
    value: float
    entry_id: str
    recipient: str
    by: str
    recorded: int


def readings(events: Iterable[Event], vital: str, component: str, tz: _dt.tzinfo,
             entries: Iterable[Entry] | None = None) -> list[Reading]:
    """Readings of one vital component, oldest first (deleted entries left out);
    ``entries``: the vitals of ``events`` folded already (one fold for every rule)."""
    out = []
    for entry in (fold(e for e in events if e.kind == VITAL).values() if entries is None else entries):
        p = entry.payload
        raw = p.get(component)
        if p.get("type") != vital or isinstance(raw, bool) or not isinstance(raw, (int, float)):
            continue
        out.append(Reading(entry.at, local_date(entry.at, tz), to_canonical(vital, str(p.get("unit", "")), float(raw)),
                           entry.id, entry.recipient, entry.created_by, Stamp.decode(entry.created_hlc).wall))
    out.sort(key=lambda r: (r.at, r.entry_id))
    return out


def _by_recipient(rows: list[Reading]) -> dict[str, list[Reading]]:
    out: dict[str, list[Reading]] = {}
    for r in rows:
        out.setdefault(r.recipient, []).append(r)
    return out


def _edges(conditions: list[tuple[_dt.date, object]]) -> list[tuple[_dt.date, object]]:
    """The days (in order) whose condition holds after a day where it did not."""
    out, before = [], False
    for day, found in conditions:
        if found and not before:
            out.append((day, found))
        before = bool(found)
    return out


def _days(rows: list[Reading]) -> list[_dt.date]:
    return sorted({r.day for r in rows})


def _weight_condition(rows: list[Reading], row_days: list[_dt.date], day: _dt.date, span: int, gain: float):
    """The biggest gain on ``day`` over the lowest earlier weight on days day-span..day, if >= gain."""
    best = None
    start = bisect.bisect_left(row_days, day - _dt.timedelta(days=span))
    first = bisect.bisect_left(row_days, day)
    last = bisect.bisect_right(row_days, day)
    low = min(rows[start:first], key=lambda x: (x.value, x.at)) if first > start else None
    for i in range(first, last):
        r = rows[i]
        if low is not None:
            up = round(r.value - low.value, 2)
            if up >= gain - 1e-9 and (best is None or up >= best[0]):
                best = (up, r, low)
        if low is None or (r.value, r.at) < (low.value, low.at):
            low = r
    return best


def weight_alerts(events: Iterable[Event], tz: _dt.tzinfo, rules: TrendRules = DEFAULT_RULES,
                  entries: Iterable[Entry] | None = None) -> list[Alert]:
    """Weight gain alerts (3-day and 7-day rules)."""
    out = []
    for recipient, rows in _by_recipient(readings(events, "weight", "value", tz, entries)).items():
        rows = sorted(rows, key=lambda r: (r.day, r.at, r.entry_id))
        row_days = [r.day for r in rows]
        days = _days(rows)
        short = [(d, _weight_condition(rows, row_days, d, rules.weight_short_days, rules.weight_short_kg))
                 for d in days]
        long = [(d, _weight_condition(rows, row_days, d, rules.weight_long_days, rules.weight_long_kg))
                for d in days]
        fired_short = {d for d, _ in _edges(short)}
        for rule, span, edges in (("weight_gain_3d", rules.weight_short_days, _edges(short)),
                                  ("weight_gain_7d", rules.weight_long_days, _edges(long))):
            for day, (up, r, low) in edges:
                if rule == "weight_gain_7d" and day in fired_short:
                    continue
                out.append(Alert(
                    alert_id(rule, recipient, day.isoformat()), rule, recipient, r.at, r.recorded,
                    f"Weight up {_fmt(up, 1)} kg in {span} days",
                    f"{r.value:g} kg on {r.day:%a %d %b}, from {low.value:g} kg on {low.day:%a %d %b}. "
                    f"Sudden weight gain can mean fluid building up: tell the care team.",
                    (low.entry_id, r.entry_id), r.by))
    return sorted(out, key=lambda a: (a.at, a.id))


def _mean(rows: list[Reading], days: list[_dt.date], first: _dt.date, last: _dt.date) -> tuple[int, float]:
    lo = bisect.bisect_left(days, first)
    hi = bisect.bisect_right(days, last)
    chosen = rows[lo:hi]
    return len(chosen), (sum(r.value for r in chosen) / len(chosen) if chosen else 0.0)


def bp_alerts(events: Iterable[Event], tz: _dt.tzinfo, rules: TrendRules = DEFAULT_RULES,
              entries: Iterable[Entry] | None = None) -> list[Alert]:
    """Rising 7-day average systolic pressure."""
    out = []
    span = _dt.timedelta(days=rules.bp_days)
    for recipient, rows in _by_recipient(readings(events, "blood_pressure", "systolic", tz, entries)).items():
        rows = sorted(rows, key=lambda r: (r.day, r.at, r.entry_id))
        row_days = [r.day for r in rows]
        conditions = []
        for day in _days(rows):
            n_now, now_mean = _mean(rows, row_days, day - span + _dt.timedelta(days=1), day)
            n_before, before_mean = _mean(rows, row_days, day - 2 * span + _dt.timedelta(days=1), day - span)
            found = None
            if (n_now >= rules.bp_min_readings and n_before >= rules.bp_min_readings
                    and now_mean - before_mean >= rules.bp_rise_mmhg - 1e-9):
                found = (now_mean, before_mean)
            conditions.append((day, found))
        for day, (now_mean, before_mean) in _edges(conditions):
            last = [r for r in rows if r.day == day][-1]
            out.append(Alert(
                alert_id("bp_rising", recipient, day.isoformat()), "bp_rising", recipient, last.at, last.recorded,
                f"Blood pressure rising: {rules.bp_days}-day average {now_mean:.0f} mmHg",
                f"Up {now_mean - before_mean:.0f} mmHg from {before_mean:.0f} mmHg the {rules.bp_days} days before.",
                (last.entry_id,), last.by))
    return out


def glucose_alerts(events: Iterable[Event], tz: _dt.tzinfo, limits: Mapping[str, Limit] | None = None,
                   rules: TrendRules = DEFAULT_RULES, entries: Iterable[Entry] | None = None) -> list[Alert]:
    """Repeated high or low blood sugar."""
    limit = (limits or DEFAULT_LIMITS)["blood_glucose"]
    out = []
    span = _dt.timedelta(days=rules.glucose_days - 1)
    for recipient, rows in _by_recipient(readings(events, "blood_glucose", "value", tz, entries)).items():
        for side in (HIGH, LOW):
            hits = [r for r in rows if limit.breach(r.value) == side]
            hit_days = [r.day for r in hits]
            conditions = []
            for day in _days(rows):
                lo = bisect.bisect_left(hit_days, day - span)
                hi = bisect.bisect_right(hit_days, day)
                conditions.append((day, hits[lo:hi] if hi - lo >= rules.glucose_count else None))
            rule = f"glucose_{side}_repeated"
            for day, found in _edges(conditions):
                last = found[-1]
                out.append(Alert(
                    alert_id(rule, recipient, day.isoformat()), rule, recipient, last.at, last.recorded,
                    f"Blood sugar {side} {len(found)} times in {rules.glucose_days} days",
                    ", ".join(f"{r.value:g} mg/dL ({r.day:%a %d %b})" for r in found[-5:]) + ".",
                    tuple(r.entry_id for r in found), last.by))
    return sorted(out, key=lambda a: (a.at, a.id))


def missed_dose_alerts(items: Iterable[PlanItem], events: Iterable[Event], first_day: _dt.date,
                       last_day: _dt.date, tz: _dt.tzinfo, now: int, recs: list | None = None) -> list[Alert]:
    """One alert per scheduled medication slot missed on local days ``first_day..last_day``.
    ``recs``: ``records(events)`` when the caller already built them."""
    recs = records(events) if recs is None else recs
    out = []
    for item in items:
        if not item.is_medication or item.prn:
            continue
        rows, _ = item_rows(item, recs, first_day, last_day, tz, now)
        for row in rows:
            if row.state != MISSED:
                continue
            out.append(Alert(
                alert_id("missed_dose", item.recipient, item.id, row.slot.key), "missed_dose", item.recipient,
                row.catchment[1], row.catchment[1],
                f"Missed dose: {item.name} due {row.slot.day:%a %d %b} {format_clock(row.slot.at, tz)}",
                "Nothing was recorded for this dose. If it was given, record it; if not, ask the care team "
                "whether to give it late or skip it.", (item.id,), ""))
    return out


def collect_alerts(events: Iterable[Event], tz: _dt.tzinfo, now: int, first_day: _dt.date, last_day: _dt.date,
                   items: Iterable[PlanItem] = (), limits: Mapping[str, Limit] | None = None,
                   rules: TrendRules = DEFAULT_RULES, recs: list | None = None) -> list[Alert]:
    """Every alert whose cause is on local days ``first_day..last_day``, newest first.

    ``events``: vitals from two weeks before ``first_day`` (trend rules look
    back 14 days), dose events from a day either side, plan items; ``recs``:
    ``records(events)`` when the caller already built them (the visit report)."""
    events = list(events)
    limits = limits or DEFAULT_LIMITS
    lo, hi = day_bounds(first_day, tz)[0], day_bounds(last_day, tz)[1]
    found = [a for a in vital_alerts(events, limits, tz) if lo <= a.at < hi]
    vitals = list(fold(e for e in events if e.kind == VITAL).values())  # folded once for the three rules
    trend = (weight_alerts(events, tz, rules, vitals) + bp_alerts(events, tz, rules, vitals)
             + glucose_alerts(events, tz, limits, rules, vitals))
    found += [a for a in trend if first_day <= local_date(a.at, tz) <= last_day]
    found += missed_dose_alerts(items, events, first_day, last_day, tz, now, recs)
    unique = {a.id: a for a in found}
    return sorted(unique.values(), key=lambda a: (-a.at, a.id))

"""Vital-sign series for charts and reports: readings over a span of local days,
downsampled when there are many, with the recipient's alert limits as a band.

A chart of one vital over ``first_day..last_day`` has one ``Series`` per
number (blood pressure has two: systolic and diastolic). Values are in the
vital's canonical unit (the one its alert limits use: mmHg, °C, mg/dL, kg...).
With more than ``max_points`` readings a series becomes one ``Point`` per local
day holding that day's lowest, highest and mean value, so a year of readings
draws as at most 366 marks.

    >>> import datetime as dt
    >>> from carelog.domain.trends import Reading
    >>> day = dt.date(2025, 1, 1)
    >>> rows = [Reading(i * 3_600_000, day, v, f"e{i}", "r", "Ann", 0) for i, v in enumerate([120, 140, 130])]
    >>> [(p.low, p.high, p.value, p.count) for p in daily_points(rows)]
    [(120, 140, 130.0, 3)]
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .alerts import DEFAULT_LIMITS, Limit, canonical_converter, to_canonical
from .catalogue import VITALS
from .events import Event
from .fold import Entry, fold
from .trends import Reading
from .zones import day_bounds, local_date, to_instant

RANGES = (7, 30, 90, 365)
_ONE_DAY = _dt.timedelta(days=1)
MAX_POINTS = 200  # more readings than this draw as daily low/high/mean
_CANONICAL_LABEL = {"temperature": "°C", "blood_glucose": "mg/dL", "weight": "kg", "height": "cm"}


@dataclass(frozen=True)
class Point:
    """One mark: a reading (``count`` 1) or one day's readings (low, high, mean)."""

    at: int               # the reading's time, or the day's start
    value: float          # the reading, or the day's mean
    low: float
    high: float
    count: int = 1
    by: str = ""          # who recorded it (a single reading)
    entry_id: str = ""
    day: _dt.date | None = None


@dataclass(frozen=True)
class Series:
    """One number of a vital over the span, oldest first."""

    key: str              # component: "value", "systolic", "diastolic"
    label: str
    points: tuple[Point, ...]
    daily: bool           # points are per-day aggregates
    limit: Limit | None   # the recipient's alert limit for it (the band), if any
    readings: int         # how many readings the points stand for

    def out_of_range(self) -> int:
        """How many readings (raw series) or days (daily: low or high beyond) crossed a limit."""
        if self.limit is None:
            return 0
        return sum(1 for p in self.points if self.limit.breach(p.high) or self.limit.breach(p.low))


@dataclass(frozen=True)
class VitalChart:
    """What a chart and its table show for one vital over ``first_day..last_day``."""

    vital: str
    label: str
    unit_label: str
    first_day: _dt.date
    last_day: _dt.date
    series: tuple[Series, ...]

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)

    @property
    def daily(self) -> bool:
        return any(s.daily for s in self.series)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def span(last_day: _dt.date, days: int) -> tuple[_dt.date, _dt.date]:
    """``(first_day, last_day)`` of the ``days`` local days ending on ``last_day``."""
    return last_day - _dt.timedelta(days=max(1, int(days)) - 1), last_day


def daily_points(rows: Sequence[Reading]) -> list[Point]:
    """One point per local day: the day's lowest, highest and mean reading."""
    out: list[Point] = []
    bucket: list[Reading] = []

    def flush() -> None:
        values = [r.value for r in bucket]
        mean = round(sum(values) / len(values), 2)
        out.append(Point(bucket[0].at, mean, min(values), max(values), len(values), day=bucket[0].day))

    for row in rows:
        if bucket and row.day != bucket[0].day:
            flush()
            bucket = []
        bucket.append(row)
    if bucket:
        flush()
    return out


def downsample(rows: Sequence[Reading], max_points: int = MAX_POINTS) -> tuple[list[Point], bool]:
    """``(points, daily)``: the readings as they are, or per day when over ``max_points``."""
    if len(rows) <= max_points:
        return [Point(r.at, r.value, r.value, r.value, 1, r.by, r.entry_id, r.day) for r in rows], False
    return daily_points(rows), True


def unit_label(vital: str) -> str:
    """The canonical unit's label (the unit charts and limits use)."""
    if vital in _CANONICAL_LABEL:
        return _CANONICAL_LABEL[vital]
    kind = VITALS.get(vital)
    return kind.default_unit.label if kind else ""


def vital_chart(events: Iterable[Event], vital: str, tz: _dt.tzinfo, first_day: _dt.date, last_day: _dt.date,
                limits: Mapping[str, Limit] | None = None, max_points: int = MAX_POINTS) -> VitalChart:
    """The chart of ``vital`` over local days ``first_day..last_day``.

    ``events``: vital events of the recipient (whole histories of the entries
    in the span; others are ignored); ``limits``: the recipient's alert limits."""
    events = [e for e in events if e.kind == "vital"]
    # Only the entries with a version of this vital are folded (a year of every vital is thousands).
    wanted = {e.entry for e in events if e.payload.get("type") == vital}
    entries = list(fold(e for e in events if e.entry in wanted).values())
    return chart_of_entries(entries, vital, tz, first_day, last_day, limits, max_points)


def chart_of_entries(entries: Iterable[Entry], vital: str, tz: _dt.tzinfo, first_day: _dt.date,
                     last_day: _dt.date, limits: Mapping[str, Limit] | None = None,
                     max_points: int = MAX_POINTS) -> VitalChart:
    """The chart of ``vital`` over local days ``first_day..last_day`` from current
    (folded) entries: those of other vitals or outside the span are left out.
    ``vital_chart`` folds events into them; the charts screen reads them from the
    vital days cache (``vitaldays``)."""
    limits = DEFAULT_LIMITS if limits is None else limits
    kind = VITALS[vital]
    lo, hi = day_bounds(first_day, tz)[0], day_bounds(last_day, tz)[1]
    entries = [e for e in entries if e.payload.get("type") == vital and lo <= e.at < hi]
    entries.sort(key=lambda e: (e.at, e.id))
    days = _local_days([e.at for e in entries], tz)
    by_component = {lim.component: lim for lim in limits.values() if lim.vital == vital}
    series = []
    for component in kind.components:
        rows = _readings(entries, vital, component.key, tz, days)
        points, daily = downsample(rows, max_points)
        label = component.label if len(kind.components) > 1 else kind.label
        series.append(Series(component.key, label, tuple(points), daily, by_component.get(component.key), len(rows)))
    return VitalChart(vital, kind.label, unit_label(vital), first_day, last_day, tuple(series))


def _at_id(row: list) -> tuple:
    return row[1], row[0]


def chart_of_rows(rows: Sequence, vital: str, tz: _dt.tzinfo, first_day: _dt.date, last_day: _dt.date,
                  limits: Mapping[str, Limit] | None = None, max_points: int = MAX_POINTS) -> VitalChart:
    """The chart ``chart_of_entries`` draws from ``vitaldays.entries_of(rows, vital, ...)``, straight
    from the vital days cache's rows (``[entry id, at, recorded by, {"unit": ..., <numbers>}]``)
    without making an entry or a reading object per row: the charts screen's path (a year of
    blood pressure is about 1,500 rows). Rows not of that shape are left out, as ``entries_of`` does."""
    limits = DEFAULT_LIMITS if limits is None else limits
    kind = VITALS[vital]
    lo, hi = day_bounds(first_day, tz)[0], day_bounds(last_day, tz)[1]
    kept = [r for r in rows
            if isinstance(r, list) and len(r) == 4 and type(r[1]) is int and lo <= r[1] < hi
            and isinstance(r[0], str) and isinstance(r[2], str) and isinstance(r[3], dict)
            and r[3].get("type", vital) == vital]
    kept.sort(key=_at_id)  # the cache's order already (one pass), but a row is never trusted to be
    days = _local_days([r[1] for r in kept], tz)
    by_component = {lim.component: lim for lim in limits.values() if lim.vital == vital}
    keys = [component.key for component in kind.components]
    found: dict[str, tuple[list, list]] = {key: ([], []) for key in keys}  # row indexes, canonical values
    converters: dict[str, Any] = {}
    for i, r in enumerate(kept):
        numbers = r[3]
        unit = str(numbers.get("unit", ""))
        if unit not in converters:
            converters[unit] = canonical_converter(vital, unit)
        convert = converters[unit]  # what to_canonical(vital, unit, value) applies
        for key in keys:
            raw = numbers.get(key)
            if raw is None or isinstance(raw, bool) or not isinstance(raw, (int, float)):
                continue
            where, values = found[key]
            where.append(i)
            values.append(convert(float(raw)) if convert is not None else float(raw))
    series = []
    for component in kind.components:
        key = component.key
        where, values = found[key]
        if len(values) <= max_points:
            points = [Point(kept[i][1], v, v, v, 1, kept[i][2], kept[i][0], days[i]) for i, v in zip(where, values)]
            daily = False
        else:
            points, daily = _day_points(kept, days, where, values), True
        label = component.label if len(kind.components) > 1 else kind.label
        series.append(Series(key, label, tuple(points), daily, by_component.get(key), len(values)))
    return VitalChart(vital, kind.label, unit_label(vital), first_day, last_day, tuple(series))


def _day_points(kept: Sequence[list], days: Sequence[_dt.date], where: Sequence[int],
                values: Sequence[float]) -> list[Point]:
    """``daily_points`` over rows: one point per run of readings of the same local day."""
    out: list[Point] = []
    start, n = 0, len(where)
    while start < n:
        day = days[where[start]]
        stop = start + 1
        while stop < n and days[where[stop]] == day:
            stop += 1
        group = values[start:stop]
        out.append(Point(kept[where[start]][1], round(sum(group) / len(group), 2), min(group), max(group),
                         len(group), day=day))
        start = stop
    return out


def _local_days(times: Sequence[int], tz: _dt.tzinfo) -> list[_dt.date]:
    """The local date of each instant of a sorted list: one zone lookup per day, not per instant."""
    out: list[_dt.date] = []
    day, lo, hi = None, 0, -1
    for at in times:
        if not lo <= at < hi:
            before, day = day, local_date(at, tz)
            if before is not None and day == before + _ONE_DAY:  # the next day starts where this one ended
                lo, hi = hi, to_instant(_dt.datetime.combine(day + _ONE_DAY, _dt.time()), tz)
            else:
                lo, hi = day_bounds(day, tz)
        out.append(day)
    return out


def _readings(entries: Sequence[Entry], vital: str, component: str, tz: _dt.tzinfo,
              days: Sequence[_dt.date] | None = None) -> list[Reading]:
    """One number of each entry (oldest first) in the canonical unit; entries without it left out.
    ``days``: each entry's local date, when already known."""
    out = []
    for i, entry in enumerate(entries):
        raw = entry.payload.get(component)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            continue
        value = to_canonical(vital, str(entry.payload.get("unit", "")), float(raw))
        out.append(Reading(entry.at, days[i] if days is not None else local_date(entry.at, tz), value, entry.id,
                           entry.recipient, entry.created_by, 0))
    return out


def vitals_present(events: Iterable[Event]) -> list[str]:
    """The catalogue keys of the vitals that have a reading among ``events``, in catalogue order."""
    seen = {e.payload.get("type") for e in events if e.kind == "vital"}
    return [key for key in VITALS if key in seen]

"""Vital days: each UTC day's current vital readings, a derived cache for charts.

A *bucket* holds the folded (current) vital entries whose time falls in one
UTC day ``at // DAY_MS``, per vital type, compactly::

    {"v": 2, "t": {"blood_pressure": [[entry id, at, recorded by, {"unit": ..., "systolic": ...}], ...]}}

(IndexedDB keeps each type's list as JSON text, format 2: public/js/vitaldays.js.)

Buckets are keyed by UTC day, not by the recipient's local day, and keep the
readings themselves (not aggregates), so a chart regroups them exactly by any
zone's local days (``vitalseries.chart_of_entries``). The store drops a bucket
whenever an event that can change it is written, and the chart rebuilds
missing buckets from the events (``build``): a bucket is never trusted over
the events, and building from the events gives the same chart as folding
them directly (``vitalseries.vital_chart``).

    >>> from carelog.domain.events import Event
    >>> e = Event.create(id="a", recipient="r", kind="vital", at=DAY_MS + 5,
    ...                  payload={"type": "heart_rate", "value": 70, "unit": "/min", "note": "calm"},
    ...                  author="Ann", device="d", hlc="0000000000001-000000-d")
    >>> build([e], range(1, 2))
    {1: {'v': 2, 't': {'heart_rate': [['a', 86400005, 'Ann', {'unit': '/min', 'value': 70}]]}}}
    >>> [(x.id, x.payload) for x in entries_of(build([e], range(1, 2))[1]["t"]["heart_rate"], "heart_rate", "r")]
    [('a', {'type': 'heart_rate', 'unit': '/min', 'value': 70})]
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from .catalogue import VITALS
from .events import Event
from .fold import Entry, fold

DAY_MS = 86_400_000
VERSION = 2  # 2: stored as one JSON text per type (a row of format 1 reads as missing)


def utc_day(at: int) -> int:
    """The UTC day number of an instant (milliseconds since the epoch)."""
    return at // DAY_MS


def utc_days(lo: int, hi: int) -> range:
    """The UTC days that instants ``lo <= at < hi`` fall in."""
    return range(utc_day(lo), utc_day(max(lo, hi - 1)) + 1)


def runs(days: Iterable[int]) -> list[range]:
    """Sorted days as runs of consecutive days: ``[3, 4, 5, 9]`` -> ``[range(3, 6), range(9, 10)]``."""
    out: list[range] = []
    for day in sorted(set(days)):
        if out and out[-1].stop == day:
            out[-1] = range(out[-1].start, day + 1)
        else:
            out.append(range(day, day + 1))
    return out


def _compact(vital: str, payload: dict) -> dict:
    """What a chart reads of a reading: its unit and its numbers (no notes: less to store and seal)."""
    kept: dict[str, Any] = {}
    if "unit" in payload:
        kept["unit"] = payload["unit"]
    for component in VITALS[vital].components:
        value = payload.get(component.key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            kept[component.key] = value
    return kept


def build(events: Iterable[Event], days: range) -> dict[int, dict]:
    """The buckets of ``days`` (empty ones too: a day without readings is known) from
    vital ``events`` holding the whole history of every entry with a version in those days."""
    out: dict[int, dict] = {day: {"v": VERSION, "t": {}} for day in days}
    entries = fold(e for e in events if e.kind == "vital").values()
    for entry in sorted(entries, key=lambda e: (e.at, e.id)):
        bucket = out.get(utc_day(entry.at))
        vital = entry.payload.get("type")
        if bucket is None or not isinstance(vital, str) or vital not in VITALS:
            continue
        bucket["t"].setdefault(vital, []).append([entry.id, entry.at, entry.created_by,
                                                  _compact(vital, entry.payload)])
    return out


def entries_of(rows: Sequence[Any], vital: str, recipient: str) -> list[Entry]:
    """Readings of one vital from buckets, as the fold's entries (what ``chart_of_entries`` reads).
    Rows not of the bucket's shape are left out (a damaged bucket is caught earlier and rebuilt)."""
    out = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 4 and isinstance(row[0], str) and type(row[1]) is int
                and isinstance(row[2], str) and isinstance(row[3], dict)):
            continue
        ident, at, by, values = row
        out.append(Entry(ident, recipient, "vital", at, {"type": vital, **values}, by, "", by, "", (ident,), False))
    return out


def well_formed(bucket: Any) -> bool:
    """True for a bucket of this version's shape (a damaged or foreign one is rebuilt)."""
    if not isinstance(bucket, dict) or bucket.get("v") != VERSION or not isinstance(bucket.get("t"), dict):
        return False
    return all(isinstance(rows, list) and len(entries_of(rows, "x", "r")) == len(rows)
               for rows in bucket["t"].values())

"""Local date and time, as text a caregiver reads and as form values.

The offset (minutes east of UTC) comes from the Clock port, so this module
stays free of time-zone databases and works the same in CPython and Pyodide.

    >>> format_clock(0, 60)
    '01:00'
    >>> parse_local("1970-01-01T01:00", lambda ms: 60)
    0
"""

from __future__ import annotations

import datetime as _dt
from typing import Callable

_UTC = _dt.timezone.utc


def to_local(ms: int, offset_minutes: int) -> _dt.datetime:
    """A naive local datetime for an instant."""
    return (_dt.datetime.fromtimestamp(ms / 1000, _UTC) + _dt.timedelta(minutes=offset_minutes)).replace(tzinfo=None)


def format_input(ms: int, offset_minutes: int) -> str:
    """The value of an ``<input type=datetime-local>``: ``2026-11-23T14:05``."""
    return to_local(ms, offset_minutes).strftime("%Y-%m-%dT%H:%M")


def format_clock(ms: int, offset_minutes: int) -> str:
    """``14:05``."""
    return to_local(ms, offset_minutes).strftime("%H:%M")


def format_day(ms: int, offset_minutes: int, today_ms: int, today_offset: int) -> str:
    """``Today``, ``Yesterday`` or ``Mon 23 Nov 2026``."""
    day = to_local(ms, offset_minutes).date()
    today = to_local(today_ms, today_offset).date()
    if day == today:
        return "Today"
    if day == today - _dt.timedelta(days=1):
        return "Yesterday"
    return day.strftime("%a %d %b %Y")


def format_full(ms: int, offset_minutes: int) -> str:
    """``Mon 23 Nov 2026, 14:05``."""
    return to_local(ms, offset_minutes).strftime("%a %d %b %Y, %H:%M")


def parse_local(text: str, offset_at: Callable[[int], int]) -> int:
    """Instant (ms) of a local ``YYYY-MM-DDTHH:MM`` value; ValueError if malformed."""
    text = str(text).strip()
    if len(text) > 25:
        raise ValueError("too long")
    naive = _dt.datetime.fromisoformat(text)
    if naive.tzinfo is not None or not 1900 <= naive.year <= 2200:
        raise ValueError("not a local date and time")
    as_utc = int(naive.replace(tzinfo=_UTC).timestamp() * 1000)
    guess = as_utc - offset_at(as_utc) * 60_000
    return as_utc - offset_at(guess) * 60_000

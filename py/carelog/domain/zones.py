"""The care recipient's time zone: resolve an IANA name, and move between
local wall times and instants (ms since the epoch, UTC).

Schedules live in the recipient's zone, never the device's: a tablet that
travels keeps showing the 08:00 dose at 08:00 where the recipient lives.

Where the zone rules come from is injectable: by default ``zoneinfo`` (on
CPython the system tz database; in the browser the vendored ``tzdata`` wheel),
or any function ``name -> tzinfo`` given to ``set_zone_lookup`` or ``zone``
(its tzinfo must honour PEP 495's ``fold``, as ``zoneinfo`` does).

Wall time to instant (``to_instant``) follows two rules:

- a wall time that happens twice (clocks go back) is its **first** instant,
  so a repeated hour gives one dose, not two;
- a wall time that does not exist (clocks go forward) moves to the **next
  valid instant**, the moment the clocks jumped (02:30 in a 02:00 -> 03:00
  gap is 03:00).

    >>> import datetime as dt
    >>> ny = zone("America/New_York")
    >>> to_instant(dt.datetime(2024, 3, 10, 2, 30), ny) == to_instant(dt.datetime(2024, 3, 10, 3, 0), ny)
    True
    >>> wall_key(to_instant(dt.datetime(2024, 11, 3, 1, 30), ny), ny)
    '2024-11-03T01:30'
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Callable

UTC = _dt.timezone.utc
ZoneLookup = Callable[[str], _dt.tzinfo]
_NAME = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+){0,3}")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
_lookup: ZoneLookup | None = None


class UnknownZone(ValueError):
    """The time zone name is not one the zone rules know."""


def set_zone_lookup(lookup: ZoneLookup | None) -> None:
    """Use ``lookup`` (name -> tzinfo) for every ``zone`` call; None restores zoneinfo."""
    global _lookup
    _lookup = lookup


def _zoneinfo(name: str) -> _dt.tzinfo:
    import zoneinfo  # stdlib; imported lazily so a browser can inject its own rules first
    return zoneinfo.ZoneInfo(name)


def zone(name: str, lookup: ZoneLookup | None = None) -> _dt.tzinfo:
    """The tzinfo of an IANA zone name ("Europe/London"); raises UnknownZone."""
    if not isinstance(name, str) or len(name) > 64 or not _NAME.fullmatch(name) or ".." in name:
        raise UnknownZone(f"not a time zone name: {str(name)[:64]!r}")
    if name == "UTC":
        return UTC
    try:
        return (lookup or _lookup or _zoneinfo)(name)
    except (KeyError, ValueError, OSError, ImportError) as exc:
        raise UnknownZone(f"unknown time zone: {name}") from exc


def _ms(aware: _dt.datetime) -> int:
    delta = aware - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def to_wall(ms: int, tz: _dt.tzinfo) -> _dt.datetime:
    """The aware local datetime of an instant (``fold=1`` marks a repeated wall time's second pass)."""
    return (_EPOCH + _dt.timedelta(milliseconds=ms)).astimezone(tz)


def local_date(ms: int, tz: _dt.tzinfo) -> _dt.date:
    """The recipient's calendar date at an instant."""
    return to_wall(ms, tz).date()


def _naive(ms: int, tz: _dt.tzinfo) -> _dt.datetime:
    return to_wall(ms, tz).replace(tzinfo=None, fold=0)


def resolve(wall: _dt.datetime, tz: _dt.tzinfo) -> tuple[int, bool]:
    """``(instant ms, moved)`` of a naive local wall time; ``moved`` is True when
    the time fell in a gap and was moved forward to the end of the gap."""
    wall = wall.replace(tzinfo=None, fold=0)
    offset = wall.replace(tzinfo=tz).utcoffset()
    if offset == wall.replace(tzinfo=tz, fold=1).utcoffset():  # neither a gap nor a repeat (PEP 495)
        return _ms(wall.replace(tzinfo=UTC) - offset), False
    first = _ms(wall.replace(tzinfo=tz, fold=0))
    second = _ms(wall.replace(tzinfo=tz, fold=1))
    earliest = min(first, second)
    if _naive(earliest, tz) == wall:
        return earliest, False
    latest = max(first, second)
    if _naive(latest, tz) == wall:  # a tzinfo that orders folds the other way
        return latest, False
    # A gap: the first instant whose wall time is past ``wall``. Search in whole
    # seconds between the two readings (zone transitions fall on whole seconds).
    lo, hi = earliest // 1000, -(-latest // 1000)
    if _naive(hi * 1000, tz) < wall:  # not a gap as PEP 495 describes one: widen
        hi = lo + 2 * 86_400
    while lo < hi:
        mid = (lo + hi) // 2
        if _naive(mid * 1000, tz) >= wall:
            hi = mid
        else:
            lo = mid + 1
    return lo * 1000, True


def to_instant(wall: _dt.datetime, tz: _dt.tzinfo) -> int:
    """The instant (ms) of a naive local wall time, by the rules above."""
    return resolve(wall, tz)[0]


def day_bounds(day: _dt.date, tz: _dt.tzinfo) -> tuple[int, int]:
    """``[start, end)`` in ms of a local calendar day (23, 24 or 25 hours long)."""
    start = to_instant(_dt.datetime.combine(day, _dt.time()), tz)
    end = to_instant(_dt.datetime.combine(day + _dt.timedelta(days=1), _dt.time()), tz)
    return start, end


def wall_key(ms: int, tz: _dt.tzinfo) -> str:
    """``YYYY-MM-DDTHH:MM`` local wall time of an instant; the second pass of a
    repeated wall time gets its UTC offset appended so the two stay distinct."""
    local = to_wall(ms, tz)
    text = local.replace(tzinfo=None, fold=0).isoformat(timespec="minutes")
    if local.fold and _ms(local.replace(fold=0)) != ms:
        offset = local.strftime("%z")
        text += f"{offset[:3]}:{offset[3:5]}"
    return text


def format_clock(ms: int, tz: _dt.tzinfo) -> str:
    """``14:05`` in the recipient's zone."""
    return to_wall(ms, tz).strftime("%H:%M")


def format_when(ms: int, tz: _dt.tzinfo, today: _dt.date | None = None) -> str:
    """``14:05`` when on ``today``, ``yesterday 14:05``, else ``Mon 23 Nov 14:05``."""
    local = to_wall(ms, tz)
    if today is not None:
        if local.date() == today:
            return local.strftime("%H:%M")
        if local.date() == today - _dt.timedelta(days=1):
            return "yesterday " + local.strftime("%H:%M")
    return local.strftime("%a %d %b %H:%M")


def format_duration(ms: int) -> str:
    """``2 h 05 min``, ``45 min``, ``3 days 2 h``."""
    minutes = abs(int(ms)) // 60_000
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {mins:02d} min" if mins else "")
    return f"{mins} min"

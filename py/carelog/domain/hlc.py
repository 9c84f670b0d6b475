"""Hybrid logical clock stamps.

A stamp orders events across devices even when a tablet's wall clock jumps:
it is the larger of the physical time and the last stamp seen, plus a counter
that breaks ties, plus the device id that makes every stamp unique.

    >>> clock = HybridClock("dev-a", wall_ms=lambda: 1_000)
    >>> a = clock.now(); b = clock.now()
    >>> a < b and a.wall == b.wall == 1_000 and b.counter == 1
    True

Stamps encode to strings that sort in the same order as the stamps
(``Stamp.encode``), so stores can index them as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

_WALL_DIGITS = 13
_COUNTER_DIGITS = 6
MAX_COUNTER = 16**_COUNTER_DIGITS - 1
# ASCII digits and lowercase hex only: exactly what ``encode`` writes.
_STAMP_TEXT = re.compile(r"([0-9]{13})-([0-9a-f]{6})-(.+)", re.DOTALL)


@dataclass(frozen=True, order=True)
class Stamp:
    """One hybrid logical clock reading: (wall ms, counter, device)."""

    wall: int
    counter: int
    device: str

    def encode(self) -> str:
        """Text form that sorts like the stamp: ``0001700000000000-00002a-dev``."""
        return f"{self.wall:0{_WALL_DIGITS}d}-{self.counter:0{_COUNTER_DIGITS}x}-{self.device}"

    @classmethod
    def decode(cls, text: str) -> "Stamp":
        """Parse ``encode``'s output; raise ValueError on anything else."""
        if not isinstance(text, str):
            raise ValueError("a clock stamp must be text")
        match = _STAMP_TEXT.fullmatch(text)
        if match is None:
            raise ValueError(f"not a clock stamp: {text[:60]!r}")
        return cls(int(match[1]), int(match[2], 16), match[3])


class HybridClock:
    """Issues monotonic stamps for one device and absorbs stamps seen from others."""

    def __init__(self, device: str, wall_ms: Callable[[], int], last: Stamp | None = None):
        if not device:
            raise ValueError("a device id is required")
        self.device = device
        self._wall_ms = wall_ms
        self._last = last or Stamp(0, 0, device)

    @property
    def last(self) -> Stamp:
        """The latest stamp issued or observed."""
        return self._last

    def now(self) -> Stamp:
        """A new stamp, greater than every stamp issued or observed before."""
        physical = int(self._wall_ms())
        if physical > self._last.wall:
            stamp = Stamp(physical, 0, self.device)
        else:
            stamp = self._next_after(self._last.wall, self._last.counter)
        self._last = stamp
        return stamp

    def observe(self, seen: Stamp) -> None:
        """Move the clock past a stamp that arrived from another device."""
        if (seen.wall, seen.counter) > (self._last.wall, self._last.counter):
            self._last = Stamp(seen.wall, seen.counter, self.device)

    def _next_after(self, wall: int, counter: int) -> Stamp:
        if counter >= MAX_COUNTER:
            return Stamp(wall + 1, 0, self.device)
        return Stamp(wall, counter + 1, self.device)

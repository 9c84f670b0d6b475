"""What a caregiver has to choose between: entries with two versions.

Two caregivers changed the same entry at the same time (or one changed and one
deleted it): the entry is in conflict until someone keeps one version. The
profile is chosen on its own screen and has two versions in two ways: its
entry is in conflict, or two devices each made a profile entry. The conflicts
screen (``#/conflicts``) lists the entries and the profile's notice; the sync
status line's "N entries have two versions" counts the same things, here, so
the two always agree (the profile counts once).

    >>> import asyncio
    >>> from carelog.bootstrap import build_for_tests
    >>> log = build_for_tests()
    >>> async def demo():
    ...     await log.set_caregiver("Ann")
    ...     mum = await log.add_recipient({"name": "Mum"})
    ...     found = await to_choose(log, mum.id)
    ...     return found.entries, found.count
    >>> asyncio.run(demo())
    ([], 0)
"""

from __future__ import annotations

from dataclasses import dataclass

from .domain.fold import Entry

SCAN = 2000  # the newest entries looked at


@dataclass(frozen=True)
class Choices:
    """The entries in conflict (newest first) and the profile's versions."""

    entries: list[Entry]
    profile_versions: list

    @property
    def profile(self) -> bool:
        """True when the profile has two versions or more to choose from."""
        return len(self.profile_versions) >= 2

    @property
    def count(self) -> int:
        """How many things to choose: each entry in conflict, and the profile once."""
        return len(self.entries) + (1 if self.profile else 0)


async def to_choose(log, recipient: str, scan: int = SCAN) -> Choices:
    """The choices of ``recipient`` among its ``scan`` newest entries (``log``: a ``CareLog``)."""
    entries = await log.timeline(recipient, limit=scan)
    return Choices([e for e in entries if e.in_conflict], await log.profile_versions(recipient))

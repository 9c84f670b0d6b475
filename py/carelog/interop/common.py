"""Shared pieces of the exports: one recipient's current entries, times with
their offset in the recipient's zone, and stable ids.

    >>> import datetime as dt
    >>> iso_time(0, dt.timezone(dt.timedelta(hours=1)))
    '1970-01-01T01:00:00+01:00'
    >>> stable_uuid("vital", "e1") == stable_uuid("vital", "e1")
    True
"""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass, field
from typing import Iterable

from ..domain.events import RECIPIENT, Event
from ..domain.fold import Entry, fold
from ..domain.profile import PROFILE, current_profile, profile_zone
from ..domain.zones import to_wall

# Namespace of every uuid5 carelog derives (so the same entry always gets the same id).
NAMESPACE = uuid.UUID("7b1e4a52-2f0c-5b8e-9c3d-6a1f0e2d4c58")
# carelog's own identifier systems and extensions (URIs that name, not locate).
CARELOG = "urn:carelog"
ENTRY_SYSTEM = f"{CARELOG}:entry"
RECIPIENT_SYSTEM = f"{CARELOG}:recipient"


def stable_uuid(*parts: str) -> str:
    """A uuid5 from the parts: the same entry always gets the same resource id."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


def iso_time(ms: int, tz: _dt.tzinfo) -> str:
    """An instant as ISO 8601 with the recipient's UTC offset, to the second."""
    return to_wall(ms, tz).isoformat(timespec="seconds")


@dataclass
class RecipientData:
    """One recipient's current (folded, not deleted) entries, by kind, oldest first."""

    recipient: str
    name: str
    birth_date: str
    profile: dict
    profile_entry: Entry | None
    recipient_entry: Entry | None
    tz: _dt.tzinfo
    by_kind: dict = field(default_factory=dict)
    devices: dict = field(default_factory=dict)  # event id -> device

    def entries(self, *kinds: str) -> list[Entry]:
        out = [e for k in kinds for e in self.by_kind.get(k, [])]
        out.sort(key=lambda e: (e.at, e.created_hlc, e.id))
        return out


def gather(events: Iterable[Event], recipient: str) -> RecipientData:
    """Fold the events of one recipient (the recipient entry itself included)."""
    mine = [e for e in events if e.recipient == recipient]
    entries = fold(mine)
    profile_entry, _others = current_profile(mine, recipient)
    profile = dict(profile_entry.payload) if profile_entry else {}
    recipient_entry = entries.get(recipient)
    if recipient_entry is not None and recipient_entry.kind != RECIPIENT:
        recipient_entry = None
    base = recipient_entry.payload if recipient_entry else {}
    name = str(profile.get("name") or base.get("name") or "")
    birth = str(profile.get("birth_date") or base.get("birth_date") or "")
    by_kind: dict[str, list[Entry]] = {}
    for entry in entries.values():
        if entry.kind in (RECIPIENT, PROFILE):
            continue
        by_kind.setdefault(entry.kind, []).append(entry)
    for group in by_kind.values():
        group.sort(key=lambda e: (e.at, e.created_hlc, e.id))
    return RecipientData(recipient=recipient, name=name, birth_date=birth, profile=profile,
                         profile_entry=profile_entry, recipient_entry=recipient_entry,
                         tz=profile_zone(profile), by_kind=by_kind,
                         devices={e.id: e.device for e in mine})


def recipient_names(events: Iterable[Event]) -> dict[str, list[str]]:
    """Every recipient with a recipient or profile entry -> their names, the profile's first."""
    events = list(events)
    names: dict[str, list[str]] = {}
    for entry in sorted(fold(e for e in events if e.kind == PROFILE).values(), key=lambda e: (e.created_hlc, e.id)):
        names.setdefault(entry.recipient, []).append(str(entry.payload.get("name", "")))
    for entry in fold(e for e in events if e.kind == RECIPIENT).values():
        names.setdefault(entry.recipient, []).append(str(entry.payload.get("name", "")))
    return {rid: [n for n in dict.fromkeys(found) if n] or [""] for rid, found in names.items()}


def recipients(events: Iterable[Event]) -> list[tuple[str, str]]:
    """``(id, name)`` of every recipient (the profile's name when there is one), by name."""
    found = [(rid, names[0]) for rid, names in recipient_names(events).items()]
    return sorted(found, key=lambda item: (item[1].lower(), item[0]))

"""The fold: the current state of entries, computed from their events.

The fold is deterministic: the same set of events gives the same entries
whatever order they arrive in. Each entry's events form a revision graph; its
*heads* are the events no other event revises. One head is the current
version (or a deletion). Two or more heads are a **conflict**: edits that did
not see each other. A conflict keeps every version; the entry shows the head
with the greatest clock stamp until a caregiver chooses, which adds an event
revising all heads.

    >>> from carelog.domain.events import Event
    >>> a = Event.create(id="a", recipient="r", kind="note", at=1, payload={"text": "x"},
    ...                  author="Ann", device="d1", hlc="0000000000001-000000-d1")
    >>> [e.payload["text"] for e in fold([a]).values()]
    ['x']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .events import CREATE, DELETE, Event


@dataclass(frozen=True)
class Entry:
    """The current state of one entry, with enough history to explain it."""

    id: str
    recipient: str
    kind: str
    at: int
    payload: dict
    created_by: str
    created_hlc: str
    updated_by: str
    updated_hlc: str
    head_ids: tuple[str, ...]
    deleted: bool
    conflict: tuple[Event, ...] = ()

    @property
    def edited(self) -> bool:
        """True when the entry has been changed since it was created."""
        return self.updated_hlc != self.created_hlc

    @property
    def in_conflict(self) -> bool:
        """True when versions exist that no caregiver has reconciled yet."""
        return len(self.conflict) > 1


def fold(events: Iterable[Event], include_deleted: bool = False) -> dict[str, Entry]:
    """Fold events into entries keyed by entry id.

    Duplicates (same event id) count once. An entry whose create event has
    not arrived yet is still shown from its newest event, so nothing synced is
    hidden. Deleted entries are left out unless ``include_deleted``; a delete
    that conflicts with an edit keeps the entry visible, in conflict.
    """
    by_entry: dict[str, dict[str, Event]] = {}
    for event in events:
        by_entry.setdefault(event.entry, {})[event.id] = event
    entries = {}
    for entry_id, group in by_entry.items():
        if len(group) == 1:  # most entries are never edited: one create, its own head
            (event,) = group.values()
            if event.op == CREATE and event.id == entry_id:
                entries[entry_id] = Entry(entry_id, event.recipient, event.kind, event.at, event.payload,
                                          event.author, event.hlc, event.author, event.hlc, (event.id,), False)
                continue
        entry = _fold_entry(entry_id, group)
        if entry is not None and (include_deleted or not entry.deleted):
            entries[entry_id] = entry
    return entries


def heads_of(group: dict[str, Event]) -> list[Event]:
    """The events of one entry that no other event of it revises, newest first."""
    revised = {rid for event in group.values() for rid in event.revises}
    heads = [event for eid, event in group.items() if eid not in revised]
    heads.sort(key=lambda e: (e.hlc, e.id), reverse=True)
    return heads


def _fold_entry(entry_id: str, group: dict[str, Event]) -> Entry | None:
    if len(group) == 1:  # most entries: one event, not a deletion; the same Entry as below, built directly
        (only,) = group.values()
        if only.op != DELETE:
            return Entry(id=entry_id, recipient=only.recipient, kind=only.kind, at=only.at, payload=only.payload,
                         created_by=only.author, created_hlc=only.hlc, updated_by=only.author,
                         updated_hlc=only.hlc, head_ids=(only.id,), deleted=False)
    heads = heads_of(group)
    if not heads:  # a revision cycle cannot be made by honest devices; show newest
        heads = sorted(group.values(), key=lambda e: (e.hlc, e.id), reverse=True)[:1]
    live_heads = [h for h in heads if h.op != DELETE]
    winner = live_heads[0] if live_heads else heads[0]
    deleted = not live_heads
    if winner.op == DELETE:
        winner = _latest_content(group) or winner
    origin = group.get(entry_id)
    if origin is None or origin.op != CREATE:
        origin = min(group.values(), key=lambda e: (e.hlc, e.id))
    newest = heads[0]
    return Entry(
        id=entry_id, recipient=winner.recipient, kind=winner.kind, at=winner.at,
        payload=winner.payload, created_by=origin.author, created_hlc=origin.hlc,
        updated_by=newest.author, updated_hlc=newest.hlc,
        head_ids=tuple(h.id for h in heads), deleted=deleted,
        conflict=tuple(heads) if len(heads) > 1 and live_heads else (),
    )


def _latest_content(group: dict[str, Event]) -> Event | None:
    content = [e for e in group.values() if e.op != DELETE]
    return max(content, key=lambda e: (e.hlc, e.id)) if content else None


def history(events: Iterable[Event], entry_id: str) -> list[Event]:
    """Every event of one entry, oldest first: the audit trail (duplicates once)."""
    unique = {e.id: e for e in events if e.entry == entry_id}
    return sorted(unique.values(), key=lambda e: (e.hlc, e.id))

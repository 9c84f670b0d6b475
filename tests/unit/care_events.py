"""Events as devices write them, for the daily-care tests (shared helper)."""

from __future__ import annotations

from carelog.domain.events import CREATE, DELETE, EDIT, Event
from carelog.domain.fold import fold


class EventLog:
    """A list of events built like devices build them.

    ``recorded`` is the wall time of the clock stamp (when it was typed),
    ``at`` when it happened."""

    def __init__(self, recipient: str = "r1"):
        self.recipient = recipient
        self.events: list[Event] = []

    def _stamp(self, wall: int, device: str) -> str:
        return f"{wall:013d}-{len(self.events):06x}-{device}"

    def add(self, kind: str, payload: dict, at: int = 1_700_000_000_000, by: str = "Ann", device: str = "d1",
            recorded: int | None = None) -> Event:
        ident = f"{kind}-{len(self.events)}"
        event = Event(id=ident, recipient=self.recipient, kind=kind, entry=ident, op=CREATE, revises=(), at=at,
                      payload=payload, author=by, device=device, hlc=self._stamp(recorded or at, device))
        self.events.append(event)
        return event

    def change(self, entry: str, payload: dict | None, at: int | None = None, by: str = "Ann", device: str = "d1",
               recorded: int | None = None) -> Event:
        """An edit (or, with ``payload=None``, a delete) revising the entry's heads."""
        current = fold(self.events, include_deleted=True)[entry]
        event = Event(id=f"{entry}-v{len(self.events)}", recipient=self.recipient, kind=current.kind, entry=entry,
                      op=DELETE if payload is None else EDIT, revises=current.head_ids,
                      at=current.at if at is None else at, payload=payload or {}, author=by, device=device,
                      hlc=self._stamp(recorded or max(current.at, 1_700_000_000_000) + 1, device))
        self.events.append(event)
        return event

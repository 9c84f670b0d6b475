"""Use cases: what a caregiver does, independent of any screen or storage.

``CareLog`` turns validated forms into events, stores them in one batch each,
and reads entries back by folding their events. It knows the caregiver and
the device, and owns the hybrid logical clock.

    >>> import asyncio
    >>> from carelog.bootstrap import build_for_tests
    >>> log = build_for_tests()
    >>> async def demo():
    ...     await log.set_caregiver("Ann")
    ...     mum = await log.add_recipient({"name": "Mum"})
    ...     await log.log(mum.id, "note", {"text": "Ate well"})
    ...     return [e.payload["text"] for e in await log.timeline(mum.id)]
    >>> asyncio.run(demo())
    ['Ate well']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .domain import validation
from .domain.events import CREATE, DELETE, EDIT, LOG_KINDS, RECIPIENT, Event
from .domain.fold import Entry, fold, history
from .domain.hlc import HybridClock, Stamp
from .care import CareUseCases
from .ports import Clock, EntryStore, IdSource, Settings

DEVICE_ID_KEY = "device_id"
CAREGIVER_KEY = "caregiver_name"
CURRENT_RECIPIENT_KEY = "current_recipient"


class NotFound(LookupError):
    """No entry with that id."""


@dataclass(frozen=True)
class Saved:
    """What a write returns: the entry as now stored and the event that did it."""

    entry: Entry | None
    event: Event


class CareLog(CareUseCases):
    """The application's use cases over one store (daily care: ``care.CareUseCases``)."""

    def __init__(self, store: EntryStore, settings: Settings, clock: Clock, ids: IdSource):
        self.store = store
        self.settings = settings
        self.clock = clock
        self.ids = ids
        self.device_id = ""
        self.caregiver = ""
        self._hlc: HybridClock | None = None

    async def start(self) -> None:
        """Load or create this device's identity and set the clock past every stored stamp."""
        device = await self.settings.get(DEVICE_ID_KEY)
        if not device:
            device = self.ids.new_id()
            await self.settings.put(DEVICE_ID_KEY, device)
        self.device_id = device
        self.caregiver = await self.settings.get(CAREGIVER_KEY, "") or ""
        self._hlc = HybridClock(device, self.clock.now_ms)
        latest = await self.store.latest_hlc()
        if latest:
            self._hlc.observe(Stamp.decode(latest))

    def observe_stamp(self, stamp: str | None) -> None:
        """Move the clock past a stamp seen elsewhere (after a sync pull)."""
        if stamp and self._hlc is not None:
            self._hlc.observe(Stamp.decode(stamp))

    def next_stamp(self) -> str:
        """A new clock stamp, above every stamp this device has made or seen (for a batch of events)."""
        if self._hlc is None:
            raise RuntimeError("CareLog.start() must run first")
        return self._hlc.now().encode()

    # --- this device -------------------------------------------------------

    async def set_caregiver(self, name: str) -> str:
        """Set the name of the caregiver using this device."""
        if self._hlc is None:
            await self.start()
        self.caregiver = validation.parse_caregiver_name(name)
        await self.settings.put(CAREGIVER_KEY, self.caregiver)
        return self.caregiver

    async def current_recipient(self) -> str | None:
        """The care recipient chosen last on this device."""
        return await self.settings.get(CURRENT_RECIPIENT_KEY)

    async def choose_recipient(self, recipient_id: str) -> None:
        """Remember the chosen care recipient on this device."""
        await self.settings.put(CURRENT_RECIPIENT_KEY, recipient_id)

    # --- recipients --------------------------------------------------------

    async def recipients(self) -> list[Entry]:
        """Care recipients, by name."""
        entries = fold(await self.store.events_of_kind(RECIPIENT)).values()
        return sorted(entries, key=lambda e: (str(e.payload.get("name", "")).lower(), e.id))

    async def add_recipient(self, form: dict) -> Entry:
        """Add a care recipient from a form (validated)."""
        payload = validation.parse_recipient(form)
        rid = self.ids.new_id()
        event = self._new_event(id=rid, recipient=rid, kind=RECIPIENT, entry=rid, op=CREATE,
                                revises=(), at=self.clock.now_ms(), payload=payload)
        saved = await self._save(event)
        await self.choose_recipient(rid)
        return saved.entry

    # --- log entries -------------------------------------------------------

    async def log(self, recipient: str, kind: str, form: dict) -> Entry:
        """Record a new entry of a log kind for a recipient."""
        if kind not in LOG_KINDS:
            raise validation.FormErrors({"kind": "That kind of entry is not known."})
        payload = validation.parse_entry(kind, form)
        at = validation.parse_time(form, self.clock.now_ms())
        eid = self.ids.new_id()
        event = self._new_event(id=eid, recipient=recipient, kind=kind, entry=eid, op=CREATE,
                                revises=(), at=at, payload=payload)
        return (await self._save(event)).entry

    async def edit(self, entry_id: str, form: dict) -> Saved:
        """Change an entry: a new event revising its current head(s)."""
        current = await self.entry(entry_id)
        care_fields = self._care_edit(current, form)  # daily living, appointments, tasks (care.py)
        if care_fields is not None:
            payload, at = care_fields
        else:
            payload = validation.parse_entry(current.kind, form)
            if current.kind == "medication":  # a dose of the care plan keeps its link (care.record_dose)
                payload.update({k: current.payload[k] for k in ("plan_item", "slot") if k in current.payload})
            at = validation.parse_time(form, self.clock.now_ms()) if current.kind != RECIPIENT else current.at
        event = self._new_event(id=self.ids.new_id(), recipient=current.recipient, kind=current.kind,
                                entry=entry_id, op=EDIT, revises=current.head_ids, at=at,
                                payload=payload)
        return await self._save(event)

    async def delete(self, entry_id: str) -> Saved:
        """Delete an entry: a new event that hides it (and can be undone)."""
        current = await self.entry(entry_id)
        event = self._new_event(id=self.ids.new_id(), recipient=current.recipient, kind=current.kind,
                                entry=entry_id, op=DELETE, revises=current.head_ids, at=current.at,
                                payload={})
        return await self._save(event)

    async def undo(self, event: Event, previous: Entry) -> Saved:
        """Undo a change: bring back ``previous`` (the entry as it was before ``event``)."""
        undo_event = self._new_event(id=self.ids.new_id(), recipient=previous.recipient,
                                     kind=previous.kind, entry=previous.id, op=EDIT,
                                     revises=(event.id,), at=previous.at, payload=previous.payload)
        return await self._save(undo_event)

    async def resolve(self, entry_id: str, keep_event_id: str) -> Saved:
        """End a conflict by keeping one version: an event revising every head."""
        current = await self.entry(entry_id)
        keep = next((e for e in current.conflict if e.id == keep_event_id), None)
        if keep is None:
            raise NotFound(keep_event_id)
        op = DELETE if keep.op == DELETE else EDIT
        event = self._new_event(id=self.ids.new_id(), recipient=current.recipient, kind=current.kind,
                                entry=entry_id, op=op, revises=current.head_ids, at=keep.at,
                                payload=keep.payload if op == EDIT else {})
        return await self._save(event)

    # --- reading -----------------------------------------------------------

    async def entry(self, entry_id: str, include_deleted: bool = False) -> Entry:
        """One entry's current state; raises NotFound."""
        entries = fold(await self.store.events_of_entries([entry_id]), include_deleted=include_deleted)
        if entry_id not in entries:
            raise NotFound(entry_id)
        return entries[entry_id]

    async def entry_history(self, entry_id: str) -> list[Event]:
        """Every event of one entry, oldest first (who, where, when, what)."""
        return history(await self.store.events_of_entries([entry_id]), entry_id)

    async def timeline(self, recipient: str, limit: int = 50, before_at: int | None = None,
                       kinds: Sequence[str] | None = None) -> list[Entry]:
        """The newest entries of a recipient, newest first."""
        kinds = tuple(kinds) if kinds else LOG_KINDS
        recent = await self.store.events_in_range(recipient, end_at=before_at, kinds=kinds,
                                                  limit=limit * 3 + 10)
        ids = list(dict.fromkeys(e.entry for e in recent))
        entries = fold(await self.store.events_of_entries(ids)).values()
        ordered = sorted((e for e in entries if before_at is None or e.at < before_at),
                         key=lambda e: (e.at, e.created_hlc), reverse=True)
        return ordered[:limit]

    # --- internals ---------------------------------------------------------

    def _new_event(self, **fields) -> Event:
        if self._hlc is None:
            raise RuntimeError("CareLog.start() must run first")
        return Event(author=self.caregiver or "Unnamed caregiver", device=self.device_id,
                     hlc=self._hlc.now().encode(), **fields)

    async def _save(self, event: Event) -> Saved:
        await self.store.put_events([event])
        entries = fold(await self.store.events_of_entries([event.entry]))
        return Saved(entries.get(event.entry), event)

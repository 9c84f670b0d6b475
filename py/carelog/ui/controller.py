"""The controller: routes and user actions in, a new ``State`` out.

Pure of the DOM (the glue in ``dom`` feeds it strings and dicts), so a whole
caregiver session can be driven in a unit test:

    >>> import asyncio
    >>> from carelog.bootstrap import build_for_tests
    >>> async def demo():
    ...     c = Controller(build_for_tests())
    ...     await c.start()
    ...     await c.submit("caregiver", {"name": "Ann"})
    ...     await c.submit("recipient", {"name": "Mum"})
    ...     await c.submit("log:note", {"text": "Slept well"})
    ...     return c.state.screen, c.state.toast.message
    >>> asyncio.run(demo())
    ('home', 'Saved: Slept well')
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from ..conflicts import Choices, to_choose
from ..domain import timefmt
from ..domain.catalogue import VITALS
from ..domain.events import LOG_KINDS
from ..domain.timeline_filter import TimelineFilter
from ..domain.validation import FormErrors
from ..ports import StorageFull, StorageUnavailable, StoreError
from ..services import CareLog, NotFound
from ..timeline import find_entries
from .care_controller import CareScreens
from .report_controller import ReportScreens
from .profile_choice import ProfileChoiceScreen
from .timeline_screen import TimelineScreen, is_timeline
from .describe import describe_payload
from .safety_controller import SafetyScreens
from .state import State, Toast

FULL_MESSAGE = ("The tablet's storage is full, so this was NOT saved. What you typed is still here. "
                "Free some space (delete old photos, videos or apps), then tap Save again.")
STORE_MESSAGE = "This could not be saved: {detail}. What you typed is still here; try Save again."


class Controller:
    """Owns the State; every method leaves it ready to render."""

    def __init__(self, log: CareLog, build: str = ""):
        self.log = log
        self.state = State(build=build)
        self._undo: Callable[[], Awaitable[Any]] | None = None  # what "Undo" does now
        self.care = CareScreens(self)  # daily care: today, plan, profile, alerts...
        self.safety = SafetyScreens(self)  # storage health and backups (#/storage)
        self.reports = ReportScreens(self)  # charts, visit report, export/import, handoff share
        self.timeline = TimelineScreen(self)  # #/timeline: filters and search
        self.profile_choice = ProfileChoiceScreen(self)  # #/profile/choose: two versions of the profile
        # the screen groups asked in turn for a route, a form or a button (before care: #/profile/choose)
        self.groups = (self.timeline, self.profile_choice, self.care, self.reports)

    async def start(self) -> None:
        """Load this device's identity and data, then show the right first screen."""
        await self.log.start()
        self.state.caregiver = self.log.caregiver
        self.state.device_id = self.log.device_id
        await self._load_recipients()
        await self.navigate(self.state.route)

    # --- navigation --------------------------------------------------------

    async def navigate(self, route: str) -> None:
        """Show the screen of a ``#/...`` route (unknown routes go home)."""
        s = self.state
        self._tick()
        s.route, previous = route or "#/", s.route
        s.form_values, s.form_errors, s.form_problem = {}, {}, ""
        if s.route.startswith("#/entry/") and not previous.startswith("#/entry/"):  # (its history keeps it)
            s.back_route = previous if is_timeline(previous) else "#/"
        parts = [p for p in s.route.lstrip("#").split("/") if p]
        if not s.caregiver:
            s.screen = "welcome"
            return
        if await self.safety.navigate(parts):  # reachable before the first person: restore a backup
            return
        if parts[:2] == ["recipients", "new"] or not s.recipients:
            s.screen = "add_recipient"
            return
        if parts[:1] == ["recipients"]:
            s.screen = "recipients"
            return
        if parts[:1] == ["settings"]:
            s.screen = "settings"
            return
        if parts[:1] == ["log"] and len(parts) >= 2 and parts[1] in LOG_KINDS:
            s.screen, s.log_kind = "log", parts[1]
            s.vital_type = parts[2] if len(parts) > 2 and parts[2] in VITALS else None
            return
        if parts[:1] == ["conflicts"]:
            s.screen = "conflicts"
            await self._load_conflicts()
            return
        if parts[:1] == ["entry"] and len(parts) >= 2:
            await self._show_entry(parts[1], history=parts[2:3] == ["history"])
            return
        for group in self.groups:
            if await group.navigate(parts):
                return
        s.screen, s.route = "home", "#/"
        await self._load_timeline()
        await self.care.load_home()

    async def refresh(self) -> None:
        """Re-read data (e.g. another tab wrote); keeps forms as they are."""
        await self._load_recipients()
        s = self.state
        if s.screen == "add_recipient" and s.recipients and not s.route.startswith("#/recipients/new"):
            await self.navigate("#/")  # sync brought the circle's people: "Who do you care for?" is answered
        if self.state.screen == "home":
            self._tick()
            await self._load_timeline()
            await self.care.load_home()

    # --- forms -------------------------------------------------------------

    async def submit(self, form: str, values: dict[str, Any]) -> None:
        """Handle a submitted form; on a problem keep what was typed and say why."""
        s = self.state
        self._tick()
        s.form_values = {k: v for k, v in values.items() if isinstance(v, str)}
        s.form_errors, s.form_problem = {}, ""
        try:
            await self._submit(form, dict(s.form_values))
        except FormErrors as problem:
            s.form_errors = problem.errors
            if "at" in s.form_errors:  # the time is typed in the "at_local" field
                s.form_errors["at_local"] = s.form_errors.pop("at")
            s.form_problem = "Please check: " + " ".join(problem.errors.values())
        except StorageFull:
            s.form_problem = FULL_MESSAGE
        except (StoreError, StorageUnavailable) as error:
            s.form_problem = STORE_MESSAGE.format(detail=str(error) or "the storage did not answer")
        except NotFound:
            s.form_problem = "This entry no longer exists."

    async def _submit(self, form: str, values: dict[str, Any]) -> None:
        s = self.state
        if form == "caregiver":
            s.caregiver = await self.log.set_caregiver(values.get("name", ""))
            s.toast = Toast(f"Hello, {s.caregiver}.")
            await self.navigate("#/")
            return
        if form == "recipient":
            entry = await self.log.add_recipient(values)
            await self._load_recipients()
            s.toast = Toast(f"Added {entry.payload['name']}.")
            await self.navigate("#/")
            return
        for group in self.groups:
            if await group.submit(form, values):
                return
        self._convert_time(values)
        if form.startswith("log:"):
            kind = form.split(":", 1)[1]
            if s.recipient is None:
                raise FormErrors({"kind": "Choose a person first."})
            entry = await self.log.log(s.recipient.id, kind, values)
            self._undo = lambda: self.log.delete(entry.id)
            s.toast = Toast(f"Saved: {describe_payload(entry.kind, entry.payload)}", undo=True)
            await self.navigate("#/")
            return
        if form.startswith("edit:"):
            entry_id = form.split(":", 1)[1]
            before = await self.log.entry(entry_id)
            saved = await self.log.edit(entry_id, values)
            self._undo = lambda: self.log.undo(saved.event, before)
            s.toast = Toast("Changes saved.", undo=True)
            await self._back_from_entry(before)
            return
        raise FormErrors({"form": "Unknown form."})

    def _convert_time(self, values: dict[str, Any]) -> None:
        local = str(values.pop("at_local", "") or "").strip()
        if not local:
            return
        try:
            values["at"] = str(timefmt.parse_local(local, self.log.clock.local_offset_minutes))
        except ValueError:
            raise FormErrors({"at_local": "Enter the date and time, or leave it as it is for now."}) from None

    # --- buttons -----------------------------------------------------------

    async def action(self, name: str, data: dict[str, Any]) -> None:
        """Handle a ``data-action`` button."""
        s = self.state
        self._tick()
        try:
            if name == "choose-recipient":
                await self.log.choose_recipient(data.get("id", ""))
                await self._load_recipients()
                await self.navigate("#/")
            elif name == "delete":
                before = await self.log.entry(data.get("id", ""))
                saved = await self.log.delete(before.id)
                self._undo = lambda: self.log.undo(saved.event, before)
                s.toast = Toast(f"Deleted: {describe_payload(before.kind, before.payload)}", undo=True)
                await self._back_from_entry(before)
            elif name == "undo" and self._undo is not None:
                undo, self._undo = self._undo, None
                await undo()
                s.toast = Toast("Undone.")
                await self.navigate(s.route)
            elif name == "resolve" and s.screen == "conflicts":
                version = data.get("id", "")
                entry = next((e for e in s.conflicts if any(v.id == version for v in e.conflict)), None)
                if entry is not None:
                    await self.log.resolve(entry.id, version)
                    s.toast = Toast("Version kept.")
                await self.navigate("#/conflicts")
            elif name == "resolve" and s.entry is not None:
                await self.log.resolve(s.entry.id, data.get("id", ""))
                s.toast = Toast("Version kept.")
                await self.navigate(f"#/entry/{s.entry.id}")
            else:
                for group in (self.safety, *self.groups):
                    if await group.action(name, data):
                        break
        except StorageFull:
            s.toast = Toast(FULL_MESSAGE, tone="error")
        except (StoreError, StorageUnavailable) as error:
            s.toast = Toast(STORE_MESSAGE.format(detail=str(error)), tone="error")
        except NotFound:
            s.toast = Toast("That entry no longer exists.", tone="warn")

    async def _back_from_entry(self, entry) -> None:
        """After an edit or delete: back where the entry was opened from (a filtered timeline
        keeps its filters), scrolled to the entry, or to the next older one if it is gone."""
        await self.navigate(self.state.back_route)
        s = self.state
        if s.screen == "timeline" and s.timeline:
            here = next((e for e in s.timeline if e.id == entry.id), None) or \
                next((e for e in s.timeline if (e.at, e.created_hlc) <= (entry.at, entry.created_hlc)), s.timeline[-1])
            s.scroll_to = here.id

    # --- loading -----------------------------------------------------------

    def _tick(self) -> None:
        now = self.log.clock.now_ms()
        self.state.now_ms = now
        self.state.offset_minutes = self.log.clock.local_offset_minutes(now)

    async def _load_recipients(self) -> None:
        s = self.state
        s.recipients = await self.log.recipients()
        chosen = await self.log.current_recipient()
        s.recipient = next((r for r in s.recipients if r.id == chosen), s.recipients[0] if s.recipients else None)

    async def _load_timeline(self) -> None:
        s = self.state
        # the newest entries as #/timeline finds them (one call: a day's rows, not each kind's 160)
        s.timeline = (await find_entries(self.log, s.recipient.id, TimelineFilter())).entries if s.recipient else []
        s.offsets = {e.at: self.log.clock.local_offset_minutes(e.at) for e in s.timeline}

    async def _load_conflicts(self) -> None:
        s = self.state
        found = await to_choose(self.log, s.recipient.id, CONFLICT_SCAN) if s.recipient else Choices([], [])
        s.conflicts, s.care.profile_versions = found.entries, found.profile_versions
        s.offsets = {e.at: self.log.clock.local_offset_minutes(e.at) for e in s.conflicts}

    async def _show_entry(self, entry_id: str, history: bool) -> None:
        s = self.state
        try:
            s.entry = await self.log.entry(entry_id)
        except NotFound:
            s.entry, s.screen = None, "entry"
            return
        s.offsets = {s.entry.at: self.log.clock.local_offset_minutes(s.entry.at)}
        if history:
            s.history, s.screen = await self.log.entry_history(entry_id), "history"
            return
        s.screen = "entry"
        values = {k: _as_text(v) for k, v in s.entry.payload.items() if k not in ("loinc",)}
        values["at_local"] = timefmt.format_input(s.entry.at, s.offset_at(s.entry.at))
        s.form_values = values


CONFLICT_SCAN = 2000  # the conflicts screen looks at this many newest entries


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)

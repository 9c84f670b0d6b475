"""Daily-care routes, forms and buttons for the ``Controller`` (pure of the DOM).

The Controller hands over what it does not know itself: ``navigate`` (routes
``#/today``, ``#/plan``, ``#/profile``, ``#/alerts``, ``#/daily``,
``#/appointments``), ``submit`` (their forms) and ``action`` (their buttons);
each returns True when it handled the call. Everything it shows lands in
``state.care`` (``CareState``) and is rendered by ``care_views``.

Schedules live in the recipient's time zone (the profile's; the device's zone,
handed over by the DOM glue from ``Intl``, until a profile says otherwise).

Buttons name a slot of a plan item as ``<item id>@<slot key>`` in ``data-id``.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from ..care import NeedsConfirmation
from ..domain import careplan, logbook
from ..domain import profile as _profile
from ..domain.validation import FormErrors
from ..domain.zones import UnknownZone, format_clock, local_date, zone
from .state import Toast

if TYPE_CHECKING:
    from .controller import Controller

DAY_MS = 86_400_000
SCREENS = frozenset({"today", "dose_reason", "dose_confirm", "plan", "plan_form", "profile", "profile_form",
                     "alerts", "limits", "limit_form", "daily", "daily_form", "appointments", "appointment_form"})
FORM_SCREENS = frozenset({"dose_reason", "plan_form", "profile_form", "limit_form", "daily_form",
                          "appointment_form"})


def split_target(value: str) -> tuple[str, str]:
    """``"<item>@<slot>"`` -> ``(item, slot)``; the slot may be empty (as needed)."""
    item, _, slot = str(value or "").partition("@")
    return item, slot


class CareScreens:
    """The daily-care part of the controller; it writes ``controller.state``."""

    def __init__(self, controller: "Controller"):
        self.c = controller

    @property
    def log(self):
        return self.c.log

    @property
    def state(self):
        return self.c.state

    # --- zone --------------------------------------------------------------

    def set_device_zone(self, name: str) -> None:
        """The device's IANA zone (from ``Intl``): the default for a new profile."""
        try:
            zone(str(name))
            self.state.care.device_zone = str(name)
        except UnknownZone:
            self.state.care.device_zone = "UTC"

    async def _load_zone(self) -> None:
        care, rid = self.state.care, self.state.recipient.id
        entry = await self.log.profile(rid)
        care.profile = entry
        care.has_profile = entry is not None
        name = (entry.payload.get("timezone") if entry else None) or care.device_zone
        try:
            care.tz, care.tz_name = zone(str(name)), str(name)
        except UnknownZone:
            care.tz, care.tz_name = zone("UTC"), "UTC"

    def _today(self) -> _dt.date:
        return local_date(self.state.now_ms, self.state.care.tz)

    # --- routes ------------------------------------------------------------

    async def navigate(self, parts: list[str]) -> bool:
        s = self.state
        if not parts or parts[0] not in ("today", "plan", "profile", "alerts", "daily", "appointments"):
            return False
        if s.recipient is None:
            return False
        await self._load_zone()
        care, rid = s.care, s.recipient.id
        head, rest = parts[0], parts[1:]
        if head == "today":
            if rest[:1] in (["not-given"], ["skip"]) and len(rest) >= 3:
                from urllib.parse import unquote  # noqa: PLC0415 - urllib.parse imports ipaddress: ~100 ms a cold start does not need

                slot = "" if rest[2] == "-" else unquote(rest[2])
                care.target = ("dose" if rest[0] == "not-given" else "task", rest[1], slot)
                care.item = await self._item(rest[1])
                s.screen = "dose_reason" if care.item is not None else "today"
                if care.item is not None:
                    return True
            s.route, s.screen = "#/today", "today"
            care.board = await self.log.today_board(rid, care.tz, s.now_ms)
            return True
        if head == "plan":
            if rest[:1] == ["new"] and rest[1:2] and rest[1] in careplan.PLAN_KINDS:
                care.plan_kind, care.item, s.screen = rest[1], None, "plan_form"
                s.form_values = {"start_date": self._today().isoformat(), "schedule": "daily"}
                return True
            if rest:
                item = await self._item(rest[0])
                if item is not None:
                    care.item, care.plan_kind, s.screen = item, item.kind, "plan_form"
                    s.form_values = _plan_values(item)
                    return True
            s.route, s.screen = "#/plan", "plan"
            care.plan = await self.log.plan(rid)
            care.adherence = await self.log.adherence(rid, care.tz, s.now_ms)
            return True
        if head == "profile":
            if rest[:1] == ["edit"]:
                s.screen = "profile_form"
                s.form_values = _profile_values(care.profile.payload if care.profile else
                                                {"name": s.recipient.payload.get("name", ""),
                                                 "birth_date": s.recipient.payload.get("birth_date", ""),
                                                 "timezone": care.device_zone})
                return True
            s.route, s.screen = "#/profile", "profile"
            care.profile_versions = await self.log.profile_versions(rid)  # two: the notice to choose
            plan = await self.log.plan(rid)
            care.sheet = _profile.emergency_sheet(care.profile.payload, self._today(), plan) if care.profile else []
            return True
        if head == "alerts":
            care.limits = await self.log.limits(rid)
            if rest[:1] == ["limits"]:
                if rest[1:2] and rest[1] in care.limits:
                    care.limit_key, s.screen = rest[1], "limit_form"
                    lim = care.limits[rest[1]]
                    s.form_values = {"low": _num(lim.low), "high": _num(lim.high)}
                    return True
                s.route, s.screen = "#/alerts/limits", "limits"
                return True
            s.route, s.screen = "#/alerts", "alerts"
            care.alerts = await self.log.alerts(rid, care.tz, now=s.now_ms)
            care.open_alerts = sum(1 for a in care.alerts if a.open)
            return True
        if head == "daily":
            if rest[:1] and rest[0] in logbook.CATEGORIES:
                care.daily_category, s.screen = rest[0], "daily_form"
                return True
            s.route, s.screen, care.daily_category = "#/daily", "daily", None
            care.recent_daily = await self.log.recent(rid, logbook.DAILY_LIVING)
            return True
        if head == "appointments":
            if rest[:1] == ["new"]:
                s.screen = "appointment_form"
                return True
            s.route, s.screen = "#/appointments", "appointments"
            care.upcoming, care.past = await self.log.appointment_lists(rid, care.tz, s.now_ms)
            return True
        return False

    async def _item(self, item_id: str):
        try:
            item = await self.log.plan_item(item_id)
        except (LookupError, ValueError, FormErrors):
            return None
        return item if item.recipient == self.state.recipient.id else None

    async def load_home(self) -> None:
        """Home's daily-care parts: since you last looked, open alerts, today's count."""
        s = self.state
        if s.recipient is None:
            return
        await self._load_zone()
        care, rid = s.care, s.recipient.id
        if rid not in care.since:  # once per session: the last look before this one
            last = await self.log.last_looked(rid)
            care.since[rid] = last if last is not None else s.now_ms - DAY_MS
            await self.log.mark_looked(rid, s.now_ms)
        items, limits = await self.log.plan(rid), await self.log.limits(rid)  # read once for all three
        care.handoff, care.alerts, care.board = await self.log.home_summary(  # one set of reads for the three
            rid, care.since[rid], care.tz, s.now_ms, items=items, limits=limits)
        care.open_alerts = sum(1 for a in care.alerts if a.open)

    # --- forms -------------------------------------------------------------

    async def submit(self, form: str, values: dict[str, Any]) -> bool:
        s = self.state
        name, _, arg = form.partition(":")
        if name not in ("profile", "plan", "plan-edit", "dose-not", "task-skip", "limit", "daily", "appointment"):
            return False
        if s.recipient is None:
            raise FormErrors({"kind": "Choose a person first."})
        await self._load_zone()
        rid, care = s.recipient.id, s.care
        if name == "profile":
            saved = await self.log.save_profile(rid, values)
            s.toast = Toast("Profile saved.")
            await self.c.navigate("#/profile")
        elif name in ("plan", "plan-edit"):
            if name == "plan":
                saved = await self.log.save_plan_item(rid, arg, values)
                self.c._undo = lambda: self.log.delete(saved.entry.id)
            else:
                before = await self.log.entry(arg)
                saved = await self.log.save_plan_item(rid, before.kind, values, item_id=arg)
                self.c._undo = lambda: self.log.undo(saved.event, before)
            s.toast = Toast(f"Care plan saved: {saved.entry.payload.get('name', '')}.", undo=True)
            await self.c.navigate("#/plan")
        elif name == "dose-not":
            item_id, slot = split_target(arg)
            saved = await self.log.record_dose(rid, item_id, slot or None, values, care.tz)
            self.c._undo = lambda: self.log.delete(saved.entry.id)
            word = "Refused" if saved.entry.payload.get("status") == "refused" else "Skipped"
            s.toast = Toast(f"{word}: {saved.entry.payload.get('name', '')}.", undo=True)
            await self.c.navigate("#/today")
        elif name == "task-skip":
            item_id, slot = split_target(arg)
            saved = await self.log.record_task(rid, item_id, slot or None, {**values, "status": careplan.SKIPPED})
            self.c._undo = lambda: self.log.delete(saved.entry.id)
            s.toast = Toast(f"Skipped: {saved.entry.payload.get('name', '')}.", undo=True)
            await self.c.navigate("#/today")
        elif name == "limit":
            await self.log.save_threshold(rid, {**values, "limit": arg})
            s.toast = Toast("Alert limit saved.")
            await self.c.navigate("#/alerts/limits")
        elif name == "daily":
            self.c._convert_time(values)  # the "When" field: now, or an earlier time
            saved = await self.log.log_daily_living(rid, {**values, "category": arg})
            self.c._undo = lambda: self.log.delete(saved.entry.id)
            s.toast = Toast(f"Saved: {logbook.CATEGORIES.get(arg, arg)}.", undo=True)
            await self.c.navigate("#/")
        elif name == "appointment":
            saved = await self.log.add_appointment(rid, values)
            self.c._undo = lambda: self.log.delete(saved.entry.id)
            s.toast = Toast(f"Appointment saved: {saved.entry.payload.get('title', '')}.", undo=True)
            await self.c.navigate("#/appointments")
        return True

    # --- buttons -----------------------------------------------------------

    async def action(self, name: str, data: dict[str, Any]) -> bool:
        try:
            return await self._action(name, data)
        except FormErrors as problem:  # e.g. a plan item changed on another device
            self.state.toast = Toast("Not saved: " + " ".join(problem.errors.values()), tone="warn")
            return True

    async def _action(self, name: str, data: dict[str, Any]) -> bool:
        s = self.state
        if name not in ("dose-given", "dose-given-confirmed", "task-done", "plan-end", "ack", "limit-reset"):
            return False
        if s.recipient is None:
            return True
        await self._load_zone()
        rid, care, value = s.recipient.id, s.care, str(data.get("id", ""))
        if name in ("dose-given", "dose-given-confirmed"):
            item_id, slot = split_target(value)
            try:
                saved = await self.log.record_dose(rid, item_id, slot or None, {"status": "given"}, care.tz,
                                                   confirmed=name == "dose-given-confirmed")
            except NeedsConfirmation as stop:
                care.confirm = (item_id, slot, stop.cautions)
                care.item = await self._item(item_id)
                s.screen, s.route = "dose_confirm", "#/today/confirm"  # "Do not give" (#/today) changes the hash
                return True
            except FormErrors as problem:
                s.toast = Toast("Not saved: " + " ".join(problem.errors.values()), tone="warn")
                await self.c.navigate("#/today")
                return True
            care.confirm = None
            self.c._undo = lambda: self.log.delete(saved.entry.id)
            at = format_clock(saved.entry.at, care.tz)
            s.toast = Toast(f"Given: {saved.entry.payload.get('name', '')} at {at}.", undo=True)
            await self.c.navigate("#/today")
        elif name == "task-done":
            item_id, slot = split_target(value)
            saved = await self.log.record_task(rid, item_id, slot or None, {"status": careplan.DONE})
            self.c._undo = lambda: self.log.delete(saved.entry.id)
            s.toast = Toast(f"Done: {saved.entry.payload.get('name', '')}.", undo=True)
            await self.c.navigate("#/today")
        elif name == "plan-end":
            before = await self.log.entry(value)
            saved = await self.log.end_plan_item(value, self._today())
            self.c._undo = lambda: self.log.undo(saved.event, before)
            s.toast = Toast(f"Stopped after today: {before.payload.get('name', '')}.", undo=True)
            await self.c.navigate("#/plan")
        elif name == "ack":
            await self.log.acknowledge(rid, {"alert": value})
            s.toast = Toast(f"Alert acknowledged by {self.log.caregiver or 'you'}.")
            await self.c.navigate("#/alerts")
        elif name == "limit-reset":
            await self.log.save_threshold(rid, {"limit": value, "reset": "yes"})
            s.toast = Toast("Alert limit back to the usual value.")
            await self.c.navigate("#/alerts/limits")
        return True


def _num(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _plan_values(item: careplan.PlanItem) -> dict[str, str]:
    p = item.payload
    values = {k: _num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
              for k, v in p.items() if isinstance(v, (str, int, float)) and k != "schedule"}
    sched = p.get("schedule") or {}
    values["schedule"] = str(sched.get("kind", "daily"))
    if sched.get("times"):
        values["times"] = ", ".join(sched["times"])
    if sched.get("weekdays"):
        values["weekdays"] = ", ".join(str(d).capitalize() for d in sched["weekdays"])
    for key in ("every_days", "every_hours", "first_time", "max_per_day"):
        if key in sched:
            values[key] = str(sched[key])
    if sched.get("min_interval_minutes"):
        values["min_interval_hours"] = _num(sched["min_interval_minutes"] / 60)
    return values


def _profile_values(p: dict) -> dict[str, str]:
    values = {k: str(p.get(k, "") or "") for k in ("name", "birth_date", "timezone", "notes")}
    values["conditions"] = "\n".join(str(c) for c in p.get("conditions") or ())
    if p.get("no_known_allergies"):
        values["no_known_allergies"] = "yes"
    for group in ("allergies", "emergency_contacts", "care_team"):
        for i, row in enumerate(p.get(group) or ()):
            for k, v in (row or {}).items():
                values[f"{group}.{i}.{k}"] = str(v)
    return values

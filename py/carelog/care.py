"""Daily-care use cases: profile, care plan, doses and tasks against the plan,
thresholds, alert acknowledgements, daily living and appointments.

``CareUseCases`` is mixed into ``services.CareLog``: every write validates its
form with the pure domain parsers and goes through ``_new_event``/``_save``
(one event, one batch per save). Reads fold events of one recipient.

A dose of a plan medication goes through the double-dose guard first: when
the guard says ``stop`` (already given, too soon, over the as-needed limits)
``record_dose`` raises ``NeedsConfirmation`` naming who gave it and when, and
saves nothing, unless the caregiver confirmed (``confirmed=True``).

    >>> import asyncio
    >>> from carelog.bootstrap import build_for_tests
    >>> log = build_for_tests()
    >>> async def demo():
    ...     await log.set_caregiver("Ann")
    ...     mum = await log.add_recipient({"name": "Mum"})
    ...     await log.save_profile(mum.id, {"name": "Mum", "timezone": "Europe/London"})
    ...     await log.save_plan_item(mum.id, "med_plan", {"name": "Metformin", "dose": "1", "unit": "{tablet}",
    ...                              "start_date": "2025-11-01", "schedule": "daily", "times": "08:00, 20:00"})
    ...     return [i.when for i in await log.plan(mum.id)]
    >>> asyncio.run(demo())
    ['Every day at 08:00 and 20:00']
"""

from __future__ import annotations

import datetime as _dt
from typing import Sequence

from .domain import alerts as _alerts
from .domain import adherence as _adherence
from .domain import careplan, guard, logbook, profile as _profile, validation
from .domain.events import CREATE, DELETE, EDIT, Event
from .domain.fold import Entry, fold
from .domain.handoff import HANDOFF_MAX_MS, Handoff, handoff
from .domain.today import Today, today
from .domain.trends import collect_alerts
from .domain.validation import FormErrors
from .domain.zones import day_bounds, local_date

DAY_MS = 86_400_000
LAST_LOOKED_KEY = "last_looked:{recipient}"
RECORD_KINDS = (careplan.MEDICATION, careplan.TASK)
TREND_TYPES = ("weight", "blood_pressure", "blood_glucose")  # the vitals the trend rules read
CARE_KINDS = (_profile.PROFILE, careplan.MED_PLAN, careplan.TASK_PLAN, careplan.TASK, _alerts.THRESHOLD,
              _alerts.ALERT_ACK, logbook.DAILY_LIVING, logbook.APPOINTMENT)


class NeedsConfirmation(Exception):
    """The double-dose guard says stop: nothing was saved; ask the caregiver first."""

    def __init__(self, cautions: Sequence[guard.Caution]):
        super().__init__("; ".join(c.message for c in cautions))
        self.cautions = tuple(cautions)


class CareUseCases:
    """Mixed into ``CareLog`` (needs its store, settings, clock, ids, _new_event, _save)."""

    # --- helpers -----------------------------------------------------------

    async def entry_events(self, recipient: str, kinds: Sequence[str], start_at: int | None = None,
                           end_at: int | None = None, types: Sequence[str] | None = None) -> list[Event]:
        """Every event (whole histories) of the entries of ``kinds`` (empty: every kind) with an
        event in the range (with ``types``: of those payload types), each once: one store call
        (``EntryStore.histories_in_range``)."""
        if types:
            return await self.store.histories_in_range(recipient, start_at=start_at, end_at=end_at,
                                                       kinds=tuple(kinds), types=tuple(types))
        return await self.store.histories_in_range(recipient, start_at=start_at, end_at=end_at, kinds=tuple(kinds))


    async def _create(self, recipient: str, kind: str, payload: dict, at: int | None = None):
        eid = self.ids.new_id()
        event = self._new_event(id=eid, recipient=recipient, kind=kind, entry=eid, op=CREATE, revises=(),
                                at=self.clock.now_ms() if at is None else at, payload=payload)
        return await self._save(event)

    async def _revise(self, current: Entry, payload: dict):
        event = self._new_event(id=self.ids.new_id(), recipient=current.recipient, kind=current.kind,
                                entry=current.id, op=EDIT, revises=current.head_ids, at=current.at,
                                payload=payload)
        return await self._save(event)

    def _today(self) -> _dt.date:
        return _dt.datetime.fromtimestamp(self.clock.now_ms() / 1000, _dt.timezone.utc).date()

    # --- profile -----------------------------------------------------------

    async def profile(self, recipient: str) -> Entry | None:
        """The recipient's profile entry (the first made, if two devices each made one: then
        ``profile_versions`` has more than one version, for a caregiver to choose)."""
        first, _others = _profile.current_profile(await self.entry_events(recipient, (_profile.PROFILE,)), recipient)
        return first

    async def profile_versions(self, recipient: str) -> list[_profile.ProfileVersion]:
        """Every version of the profile a caregiver could keep (more than one: two devices each
        made a profile, or two caregivers changed it at the same time)."""
        return _profile.profile_versions(await self.entry_events(recipient, (_profile.PROFILE,)), recipient)

    async def merge_profile(self, recipient: str, choice: dict[str, int], token: str) -> list[Event]:
        """Keep one profile made of each field of the version ``choice`` names (``profile.merge_profiles``):
        one batch with an edit of the first-made profile revising every head of it, and a deletion of
        every other profile entry. ``token`` (``profile.versions_token``) is what the caregiver saw:
        raises FormErrors, saving nothing, when the versions changed since. Returns the events
        written (for ``undo_merge``)."""
        events = await self.entry_events(recipient, (_profile.PROFILE,))
        versions = _profile.profile_versions(events, recipient)
        if _profile.versions_token(versions) != token or len(versions) < 2:
            raise FormErrors({"profile": "The profile changed on another device while you were choosing. "
                                         "Look at the versions again."})
        try:
            payload = _profile.merge_profiles([v.payload for v in versions], choice)
        except ValueError:
            raise FormErrors({"profile": "Choose one version for each part of the profile."}) from None
        entries = fold(events, include_deleted=True)
        written = []
        for n, entry_id in enumerate(dict.fromkeys(v.entry_id for v in versions)):
            entry = entries[entry_id]
            written.append(self._new_event(
                id=self.ids.new_id(), recipient=recipient, kind=_profile.PROFILE, entry=entry_id,
                op=EDIT if n == 0 else DELETE, revises=entry.head_ids, at=entry.at, payload=payload if n == 0 else {}))
        await self.store.put_events(written)
        return written

    async def undo_merge(self, recipient: str, written: Sequence[Event], versions: Sequence) -> None:
        """Bring back every version a ``merge_profile`` replaced: per version an edit revising the
        merge's event of its entry, so the profile has its versions (and the choice) again."""
        by_entry = {e.entry: e for e in written}
        await self.store.put_events([self._new_event(
            id=self.ids.new_id(), recipient=recipient, kind=_profile.PROFILE, entry=v.entry_id, op=EDIT,
            revises=(by_entry[v.entry_id].id,), at=by_entry[v.entry_id].at, payload=dict(v.payload))
            for v in versions])

    async def zone_of(self, recipient: str, fallback: str = "UTC") -> _dt.tzinfo:
        """The recipient's time zone (the profile's; ``fallback`` when none is set)."""
        entry = await self.profile(recipient)
        return _profile.profile_zone(entry.payload if entry else None, fallback=fallback)

    async def save_profile(self, recipient: str, form: dict):
        """Create or change the recipient's profile (validated); returns ``Saved``."""
        payload = _profile.parse_profile(form, today=self._today() + _dt.timedelta(days=1))
        current = await self.profile(recipient)
        if current is None:
            return await self._create(recipient, _profile.PROFILE, payload)
        return await self._revise(current, payload)

    # --- care plan ---------------------------------------------------------

    async def plan(self, recipient: str, include_ended: bool = True) -> list[careplan.PlanItem]:
        """The recipient's plan items, by name."""
        items = careplan.plan_items(await self.entry_events(recipient, careplan.PLAN_KINDS), recipient)
        if not include_ended:
            today_ = self._today()
            items = [i for i in items if i.end is None or i.end >= today_]
        return items

    async def plan_item(self, item_id: str) -> careplan.PlanItem:
        """One plan item; raises NotFound when there is none, FormErrors when it is not one."""
        entry = await self.entry(item_id)
        if entry.kind not in careplan.PLAN_KINDS:
            raise FormErrors({"plan_item": "That is not an item of the care plan."})
        try:
            return careplan.item_from_entry(entry)
        except (ValueError, TypeError):
            raise FormErrors({"plan_item": "That plan item cannot be read by this version."}) from None

    async def save_plan_item(self, recipient: str, kind: str, form: dict, item_id: str | None = None):
        """Add (or, with ``item_id``, change) a medication or task of the plan."""
        if kind == careplan.MED_PLAN:
            payload = careplan.parse_med_plan(form)
        elif kind == careplan.TASK_PLAN:
            payload = careplan.parse_task_plan(form)
        else:
            raise FormErrors({"kind": "That kind of plan item is not known."})
        if item_id is None:
            return await self._create(recipient, kind, payload)
        current = await self.entry(item_id)
        if current.kind != kind:
            raise FormErrors({"kind": "That plan item is of another kind."})
        return await self._revise(current, payload)

    async def end_plan_item(self, item_id: str, last_day: _dt.date):
        """Stop a plan item after ``last_day`` (kept for the days it ran)."""
        current = await self.entry(item_id)
        item = careplan.item_from_entry(current)
        return await self._revise(current, careplan.end_payload(item, last_day))

    # --- today and the guard -------------------------------------------------

    async def _record_events(self, recipient: str, lo: int, hi: int) -> list[Event]:
        return await self.entry_events(recipient, RECORD_KINDS, lo, hi)

    async def today_board(self, recipient: str, tz: _dt.tzinfo, now: int | None = None,
                          day: _dt.date | None = None, items: list | None = None) -> Today:
        """What is due, overdue and done on the recipient's local day (``items``: the
        plan, when the caller has read it already)."""
        now = self.clock.now_ms() if now is None else now
        day = local_date(now, tz) if day is None else day
        lo, hi = day_bounds(day, tz)
        events = await self._record_events(recipient, lo - 2 * DAY_MS, hi + 2 * DAY_MS)
        return today(await self.plan(recipient) if items is None else items, events, day, tz, now)

    async def check_dose(self, recipient: str, item: careplan.PlanItem, tz: _dt.tzinfo, slot: str | None = None,
                         at: int | None = None) -> list[guard.Caution]:
        """What the double-dose guard says about giving ``item`` now (or at ``at``)."""
        at = self.clock.now_ms() if at is None else at
        events = await self._record_events(recipient, at - 3 * DAY_MS, at + 2 * DAY_MS)
        return guard.check_dose(item, at, events, tz, slot=slot)

    async def record_dose(self, recipient: str, item_id: str, slot: str | None, form: dict,
                          tz: _dt.tzinfo, confirmed: bool = False):
        """A plan medication given, skipped or refused (refused/skipped need a reason).

        Giving runs the guard first: a ``stop`` caution raises NeedsConfirmation
        unless ``confirmed``."""
        item = await self.plan_item(item_id)
        payload = careplan.parse_planned_dose(item, slot, form)
        if payload.get("status") in ("skipped", "refused") and not payload.get("reason"):
            raise FormErrors({"reason": "Say why the dose was not given."})
        at = self.clock.now_ms()
        if payload.get("status") == "given" and not confirmed:
            stops = [c for c in await self.check_dose(recipient, item, tz, payload.get("slot"), at)
                     if c.severity == guard.STOP]
            if stops:
                raise NeedsConfirmation(stops)
        return await self._create(recipient, careplan.MEDICATION, payload, at)

    async def record_task(self, recipient: str, item_id: str, slot: str | None, form: dict):
        """A plan task done or skipped (skipping needs a reason)."""
        item = await self.plan_item(item_id)
        return await self._create(recipient, careplan.TASK, careplan.parse_task_record(item, slot, form))

    async def adherence(self, recipient: str, tz: _dt.tzinfo, now: int | None = None) -> dict[str, tuple]:
        """Per plan item id: ``(today, this week)`` as ``adherence.Adherence`` (weeks run Monday to Sunday)."""
        now = self.clock.now_ms() if now is None else now
        day = local_date(now, tz)
        monday, sunday = _adherence.week_of(day)
        lo, hi = day_bounds(monday, tz)[0], day_bounds(sunday, tz)[1]
        events = await self._record_events(recipient, lo - 2 * DAY_MS, hi + 2 * DAY_MS)
        items = await self.plan(recipient)
        week = {a.item_id: a for a in _adherence.weekly(items, events, day, tz, now)}
        return {item.id: (_adherence.adherence(item, events, day, day, tz, now), week[item.id]) for item in items}

    # --- alerts ------------------------------------------------------------

    async def limits(self, recipient: str) -> dict[str, _alerts.Limit]:
        """The recipient's alert limits (defaults changed by thresholds)."""
        return _alerts.limits_from(await self.entry_events(recipient, (_alerts.THRESHOLD,)), recipient)

    async def save_threshold(self, recipient: str, form: dict):
        """Change (or reset to the default) one alert limit."""
        return await self._create(recipient, _alerts.THRESHOLD, _alerts.parse_threshold(form))

    async def _alert_inputs(self, recipient: str, lo: int, hi: int) -> list[Event]:
        events = await self.entry_events(recipient, ("vital",), lo - 15 * DAY_MS, hi)
        events += await self._record_events(recipient, lo - DAY_MS, hi + DAY_MS)
        events += await self.entry_events(recipient, (_alerts.ALERT_ACK,))
        return events

    async def alerts(self, recipient: str, tz: _dt.tzinfo, days: int = 7, now: int | None = None,
                     items: list | None = None, limits: dict | None = None) -> list[_alerts.AlertView]:
        """Alerts of the last ``days`` local days, open first, with who acknowledged them
        (``items``, ``limits``: the plan and limits, when the caller has read them already)."""
        now = self.clock.now_ms() if now is None else now
        last = local_date(now, tz)
        first = last - _dt.timedelta(days=days - 1)
        lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
        events = await self._alert_inputs(recipient, lo, hi)
        found = collect_alerts(events, tz, now, first, last,
                               await self.plan(recipient) if items is None else items,
                               await self.limits(recipient) if limits is None else limits)
        return _alerts.alert_list(found, events)

    async def acknowledge(self, recipient: str, form: dict):
        """Acknowledge an alert (who and when come with the event)."""
        return await self._create(recipient, _alerts.ALERT_ACK, _alerts.parse_ack(form))

    # --- more to log -------------------------------------------------------

    async def log_daily_living(self, recipient: str, form: dict, at: int | None = None):
        """Meals, drinks, sleep, bowel, bladder, mobility, falls, mood (at ``at``, else the
        form's ``at`` (ms, an earlier time), else now)."""
        payload = logbook.parse_daily_living(form)
        if at is None:
            at = validation.parse_time(form, self.clock.now_ms())
        return await self._create(recipient, logbook.DAILY_LIVING, payload, at)

    def _care_edit(self, current: Entry, form: dict) -> tuple[dict, int] | None:
        """``(payload, at)`` of an edit of a daily-living entry, an appointment or a plan
        task record; None for other kinds. An appointment keeps when it was recorded
        (its ``starts`` is in the form); a task keeps its plan link and slot."""
        now = self.clock.now_ms()
        if current.kind == logbook.DAILY_LIVING:
            payload = logbook.parse_daily_living({**form, "category": current.payload.get("category", "")})
            return payload, validation.parse_time(form, now)
        if current.kind == logbook.APPOINTMENT:
            return logbook.parse_appointment(form), current.at
        if current.kind == careplan.TASK:
            return careplan.parse_task_edit(current.payload, form), validation.parse_time(form, now)
        return None

    async def add_appointment(self, recipient: str, form: dict):
        """An appointment at a local wall time in the recipient's zone."""
        return await self._create(recipient, logbook.APPOINTMENT, logbook.parse_appointment(form))

    async def appointment_lists(self, recipient: str, tz: _dt.tzinfo, now: int | None = None):
        """``(upcoming soonest first, past newest first)``."""
        now = self.clock.now_ms() if now is None else now
        return logbook.appointments(await self.entry_events(recipient, (logbook.APPOINTMENT,)), tz, now)

    async def recent(self, recipient: str, kind: str, limit: int = 10) -> list[Entry]:
        """The newest entries of one kind, newest first."""
        entries = fold(await self.entry_events(recipient, (kind,))).values()
        return sorted(entries, key=lambda e: (e.at, e.created_hlc), reverse=True)[:limit]

    # --- handoff -----------------------------------------------------------

    async def last_looked(self, recipient: str) -> int | None:
        """When this device last showed the handoff for the recipient."""
        value = await self.settings.get(LAST_LOOKED_KEY.format(recipient=recipient))
        return int(value) if isinstance(value, (int, float)) else None

    async def mark_looked(self, recipient: str, at: int) -> None:
        await self.settings.put(LAST_LOOKED_KEY.format(recipient=recipient), int(at))

    async def home_summary(self, recipient: str, since: int, tz: _dt.tzinfo, now: int | None = None,
                           items: list | None = None, limits: dict | None = None,
                           days: int = 7) -> tuple[Handoff, list, Today]:
        """Home's three panels: ``(handoff since the last look, alerts of the last ``days``
        local days, today's board)``, each part read for what it needs, not days of every kind:

        - what was **recorded** after ``since`` (the ``by_hlc`` index, whatever its time),
          with the histories of those entries: the handoff's doses, notes and counts.
          ``since`` is at most ``HANDOFF_MAX_MS`` (3 days) back; the view says so;
        - the vitals of the alerts' days, and for the days' trend rules (14 days back)
          only the readings the rules use (weight, blood pressure, blood sugar);
        - doses and tasks from two days before the first alert day (missed doses, Today);
        - every acknowledgement.

        The same as the domain functions over the whole log (less vitals older than
        the trend rules' two weeks): tests/unit/test_home_summary.py checks it."""
        now = self.clock.now_ms() if now is None else now
        items = await self.plan(recipient) if items is None else items
        limits = await self.limits(recipient) if limits is None else limits
        since = max(since, now - HANDOFF_MAX_MS)
        last = local_date(now, tz)
        first = last - _dt.timedelta(days=days - 1)
        base = min(day_bounds(first, tz)[0], day_bounds(local_date(since, tz), tz)[0])
        events: dict[str, Event] = {}
        for part in (await self.entry_events(recipient, ("vital",), base - 15 * DAY_MS, base, types=TREND_TYPES),
                     await self.entry_events(recipient, ("vital",), base),
                     await self.entry_events(recipient, RECORD_KINDS, base - 2 * DAY_MS),
                     await self.entry_events(recipient, (_alerts.ALERT_ACK,))):
            for e in part:
                events.setdefault(e.id, e)
        alert_events = list(events.values())
        for e in await self.store.histories_recorded_since(recipient, f"{since:013d}-~"):  # after any stamp of `since`
            if not (e.kind == "vital" and e.at < base - 15 * DAY_MS):
                events.setdefault(e.id, e)
        hand = handoff(events.values(), since, now, tz, items, limits, leave_out_author=self.caregiver or None)
        found = collect_alerts(alert_events, tz, now, first, last, items, limits)
        alert_views = _alerts.alert_list(found, alert_events)
        board = today(items, [e for e in alert_events if e.kind in RECORD_KINDS], last, tz, now)
        return hand, alert_views, board

    async def since_last_looked(self, recipient: str, since: int, tz: _dt.tzinfo, now: int | None = None,
                                items: list | None = None, limits: dict | None = None) -> Handoff:
        """What others recorded since ``since``: doses, missed slots, alerts, notes
        (``items``, ``limits``: the plan and limits, when the caller has read them already)."""
        now = self.clock.now_ms() if now is None else now
        events = await self.entry_events(recipient, (), start_at=since - 15 * DAY_MS)  # every kind
        events += [e for e in await self.entry_events(recipient, (_alerts.ALERT_ACK,)) if e.at < since - 15 * DAY_MS]
        return handoff(events, since, now, tz, await self.plan(recipient) if items is None else items,
                       await self.limits(recipient) if limits is None else limits,
                       leave_out_author=self.caregiver or None)


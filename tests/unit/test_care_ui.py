"""Daily care through the Controller over in-memory adapters: profile with a
time zone, care plan, Today with one-tap recording, the double-dose guard's
confirmation, alerts with acknowledgement and limits, daily living,
appointments, and "since you last looked" on home."""

from __future__ import annotations

import asyncio

import pytest

from carelog.adapters.memory import CountingIds, FixedClock, MemoryEntryStore, MemorySettings
from carelog.bootstrap import TEST_EPOCH_MS, build_for_tests
from carelog.care import NeedsConfirmation
from carelog.domain.validation import FormErrors
from carelog.ui import views
from carelog.ui.controller import Controller

MINUTE = 60_000
HOUR = 60 * MINUTE
# 2025-11-24 13:00 UTC = 08:00 in New York (EST, UTC-5), a Monday
MORNING_NY = TEST_EPOCH_MS - 3 * HOUR
DAY = "2025-11-24"
ZONE = "America/New_York"


def run(coro):
    return asyncio.run(coro)


class Session:
    def __init__(self, store=None, name="Ann", prefix="id"):
        self.store = MemoryEntryStore() if store is None else store
        self.clock = FixedClock(MORNING_NY)
        self.log = build_for_tests(store=self.store, settings=MemorySettings(), clock=self.clock,
                                   ids=CountingIds(prefix))
        self.c = Controller(self.log, build="test")
        self.c.care.set_device_zone(ZONE)
        self.name = name

    @property
    def s(self):
        return self.c.state

    def html(self) -> str:
        return str(views.render(self.s))

    async def ready(self, recipient="Mum"):
        await self.c.start()
        await self.c.submit("caregiver", {"name": self.name})
        if not self.s.recipients:
            await self.c.submit("recipient", {"name": recipient})

    async def plan_med(self, name="Metformin", times="08:00, 20:00", **extra):
        await self.c.navigate("#/plan/new/med_plan")
        assert self.s.screen == "plan_form"
        values = {"name": name, "dose": "1", "unit": "{tablet}", "route": "oral", "schedule": "daily",
                  "times": times, "start_date": self.s.form_values["start_date"], **extra}
        await self.c.submit("plan:med_plan", values)
        assert self.s.form_problem == "", self.s.form_problem
        assert self.s.screen == "plan"
        return next(i for i in self.s.care.plan if i.name == name)

    async def today(self):
        await self.c.navigate("#/today")
        assert self.s.screen == "today"
        return self.s.care.board

    async def dose_events(self):
        return [e for e in await self.store.events_in_range(self.s.recipient.id) if e.kind == "medication"]


def test_profile_defaults_to_the_device_zone_and_reads_for_a_paramedic():
    async def go():
        x = Session()
        await x.ready()
        await x.c.navigate("#/profile")
        assert x.s.screen == "profile" and "Add the profile" in x.html()
        await x.c.navigate("#/profile/edit")
        assert x.s.screen == "profile_form"
        assert x.s.form_values["timezone"] == ZONE and x.s.form_values["name"] == "Mum"
        html = x.html()
        assert 'name="allergies.0.substance"' in html and 'data-form="profile"' in html
        await x.c.submit("profile", {"name": "Mum", "timezone": "Mars/Olympus"})
        assert "timezone" in x.s.form_errors and x.s.screen == "profile_form"
        await x.c.submit("profile", {
            "name": "Mum", "timezone": ZONE, "birth_date": "1941-05-30", "conditions": "Heart failure\nType 2 diabetes",
            "allergies.0.substance": "Penicillin", "allergies.0.reaction": "Rash", "allergies.0.severity": "severe",
            "emergency_contacts.0.name": "Tom", "emergency_contacts.0.relationship": "Son",
            "emergency_contacts.0.phone": "+1 212 555 0100",
            "care_team.0.role": "GP", "care_team.0.name": "Dr Lee", "care_team.0.phone": "212 555 0199"})
        assert x.s.form_problem == "", x.s.form_problem
        assert x.s.screen == "profile" and x.s.toast.message == "Profile saved."
        html = x.html()
        for text in ("Penicillin: severe (Rash)", "Heart failure", "Tom (Son): +1 212 555 0100", "GP: Dr Lee",
                     "Time zone: America/New_York", "Born 30 May 1941 (age 84)"):
            assert text in html, text
        # editing keeps one profile (an edit event) and shows the rows again
        await x.c.navigate("#/profile/edit")
        assert x.s.form_values["allergies.0.substance"] == "Penicillin"
        await x.c.submit("profile", {**x.s.form_values, "notes": "DNACPR form on the fridge"})
        assert "DNACPR form on the fridge" in x.html()
        profiles = [e for e in await x.store.events_in_range(x.s.recipient.id) if e.kind == "profile"]
        assert [e.op for e in sorted(profiles, key=lambda e: e.hlc)] == ["create", "edit"]
    run(go())


def test_plan_today_give_guard_and_not_given():
    async def go():
        x = Session()
        await x.ready()
        await x.c.submit("profile", {"name": "Mum", "timezone": ZONE})
        item = await x.plan_med()
        assert "Every day at 08:00 and 20:00" in x.html()
        board = await x.today()
        assert [(r.slot.key, r.state) for r in board.rows] == [(f"{DAY}T08:00", "due"), (f"{DAY}T20:00", "upcoming")]
        html = x.html()
        assert html.index("08:00") < html.index("20:00")
        assert f'data-id="{item.id}@{DAY}T08:00"' in html and "times in America/New_York" in html

        # one tap: given
        x.clock.advance(5 * MINUTE)
        await x.c.action("dose-given", {"id": f"{item.id}@{DAY}T08:00"})
        assert x.s.toast.message == "Given: Metformin at 08:05." and x.s.toast.undo
        assert x.s.care.board.rows[0].state == "done" and x.s.care.board.rows[0].record.by == "Ann"
        assert len(await x.dose_events()) == 1

        # a second give of the same slot: the guard stops and names who and when; nothing saved
        x.clock.advance(10 * MINUTE)
        await x.c.action("dose-given", {"id": f"{item.id}@{DAY}T08:00"})
        assert x.s.screen == "dose_confirm"
        html = x.html()
        assert "Nothing has been saved yet." in html and "by Ann" in html and "08:05" in html
        assert 'data-action="dose-given-confirmed"' in html
        assert len(await x.dose_events()) == 1
        await x.c.navigate("#/today")  # "Do not give"
        assert len(await x.dose_events()) == 1
        # confirmed: saved, and Today shows the double dose
        await x.c.action("dose-given", {"id": f"{item.id}@{DAY}T08:00"})
        await x.c.action("dose-given-confirmed", {"id": f"{item.id}@{DAY}T08:00"})
        assert x.s.screen == "today" and len(await x.dose_events()) == 2
        assert "Given 2 times" in x.html()
        await x.c.navigate("#/plan")
        assert "Today: 1 of 1 due given · This week: 1 of 1 (100%)" in x.html()
        await x.c.navigate("#/today")

        # not given: needs a reason
        await x.c.navigate(f"#/today/not-given/{item.id}/{DAY}T20%3A00")
        assert x.s.screen == "dose_reason" and x.s.care.target == ("dose", item.id, f"{DAY}T20:00")
        assert f'data-form="dose-not:{item.id}@{DAY}T20:00"' in x.html()
        await x.c.submit(f"dose-not:{item.id}@{DAY}T20:00", {"status": "refused", "reason": ""})
        assert "reason" in x.s.form_errors and len(await x.dose_events()) == 2
        await x.c.submit(f"dose-not:{item.id}@{DAY}T20:00", {"status": "refused", "reason": "Felt sick"})
        assert x.s.toast.message == "Refused: Metformin."
        assert [r.state for r in x.s.care.board.rows] == ["done", "refused"]
        assert "Felt sick" in x.html()
        # Undo removes the refusal
        await x.c.action("undo", {})
        board = await x.today()
        assert [r.state for r in board.rows] == ["done", "upcoming"]
    run(go())


def test_late_dose_is_marked_late():
    async def go():
        x = Session()
        await x.ready()
        item = await x.plan_med(times="08:00")
        x.clock.advance(90 * MINUTE)  # window is 60 minutes either side
        board = await x.today()
        assert board.rows[0].state == "overdue"
        await x.c.action("dose-given", {"id": f"{item.id}@{DAY}T08:00"})
        row = x.s.care.board.rows[0]
        assert row.state == "done" and row.late
        assert '<span class="flag late">Late</span>' in x.html()
    run(go())


def test_as_needed_guard_and_service_level_confirmation():
    async def go():
        x = Session()
        await x.ready()
        await x.c.navigate("#/plan/new/med_plan")
        await x.c.submit("plan:med_plan", {"name": "Paracetamol", "dose": "1", "unit": "{tablet}",
                                           "schedule": "prn", "min_interval_hours": "4", "max_per_day": "4",
                                           "start_date": DAY})
        assert x.s.form_problem == "", x.s.form_problem
        item = x.s.care.plan[0]
        board = await x.today()
        assert board.prn and "Can be given now." in x.html()
        await x.c.action("dose-given", {"id": f"{item.id}@"})
        assert x.s.toast.message.startswith("Given: Paracetamol")
        x.clock.advance(HOUR)
        await x.c.action("dose-given", {"id": f"{item.id}@"})
        assert x.s.screen == "dose_confirm" and "Nothing has been saved yet." in x.html()
        with pytest.raises(NeedsConfirmation) as stop:
            await x.log.record_dose(x.s.recipient.id, item.id, None, {"status": "given"}, x.s.care.tz)
        assert stop.value.cautions[0].by == "Ann"
    run(go())


def test_edit_and_stop_a_plan_item():
    async def go():
        x = Session()
        await x.ready()
        item = await x.plan_med()
        await x.c.navigate(f"#/plan/{item.id}")
        assert x.s.screen == "plan_form" and x.s.form_values["times"] == "08:00, 20:00"
        await x.c.submit(f"plan-edit:{item.id}", {**x.s.form_values, "times": "09:00"})
        assert x.s.form_problem == "", x.s.form_problem
        assert "Every day at 09:00" in x.html()
        await x.c.action("plan-end", {"id": item.id})
        assert x.s.toast.message == "Stopped after today: Metformin."
        assert x.s.care.plan[0].end.isoformat() == DAY
        await x.c.action("undo", {})
        await x.c.navigate("#/plan")
        assert x.s.care.plan[0].end is None
        # bad schedule: errors next to the fields, nothing saved
        await x.c.navigate("#/plan/new/task_plan")
        await x.c.submit("plan:task_plan", {"name": "Reposition", "schedule": "prn", "start_date": DAY})
        assert "schedule" in x.s.form_errors
    run(go())


def test_tasks_done_and_skipped():
    async def go():
        x = Session()
        await x.ready()
        await x.c.navigate("#/plan/new/task_plan")
        await x.c.submit("plan:task_plan", {"name": "Reposition", "schedule": "interval", "every_hours": "2",
                                            "first_time": "06:00", "start_date": DAY})
        assert x.s.form_problem == "", x.s.form_problem
        item = x.s.care.plan[0]
        board = await x.today()
        assert board.rows[1].slot.key == f"{DAY}T08:00" and board.rows[1].state == "due"
        await x.c.action("task-done", {"id": f"{item.id}@{DAY}T08:00"})
        assert x.s.toast.message == "Done: Reposition."
        await x.c.navigate(f"#/today/skip/{item.id}/{DAY}T10%3A00")
        assert x.s.screen == "dose_reason"
        await x.c.submit(f"task-skip:{item.id}@{DAY}T10:00", {"reason": "Asleep"})
        states = {r.slot.key: r.state for r in x.s.care.board.rows}
        assert states[f"{DAY}T08:00"] == "done" and states[f"{DAY}T10:00"] == "skipped"
    run(go())


def test_high_blood_pressure_alert_acknowledged_and_limits():
    async def go():
        x = Session()
        await x.ready()
        await x.c.submit("log:vital", {"type": "blood_pressure", "systolic": "190", "diastolic": "95",
                                       "unit": "mm[Hg]"})
        assert x.s.screen == "home" and x.s.care.open_alerts == 1
        assert 'data-care="alerts"' in x.html() and "1 open" in x.html()
        await x.c.navigate("#/alerts")
        [alert] = x.s.care.alerts
        assert alert.open and "Systolic (top number) 190" in alert.alert.title
        await x.c.action("ack", {"id": alert.alert.id})
        assert x.s.toast.message == "Alert acknowledged by Ann."
        assert not x.s.care.alerts[0].open and "Acknowledged by Ann at 08:00" in x.html()

        await x.c.navigate("#/alerts/limits")
        assert x.s.screen == "limits" and 'href="#/alerts/limits/systolic"' in x.html()
        await x.c.navigate("#/alerts/limits/systolic")
        assert x.s.screen == "limit_form" and x.s.form_values == {"low": "90", "high": "180"}
        await x.c.submit("limit:systolic", {"low": "90", "high": "80"})
        assert "high" in x.s.form_errors
        await x.c.submit("limit:systolic", {"low": "90", "high": "200"})
        assert x.s.screen == "limits" and x.s.care.limits["systolic"].high == 200
        assert "(changed)" in x.html()
        x.clock.advance(MINUTE)
        await x.c.submit("log:vital", {"type": "blood_pressure", "systolic": "195", "diastolic": "95",
                                       "unit": "mm[Hg]"})
        assert x.s.care.open_alerts == 0
        await x.c.action("limit-reset", {"id": "systolic"})
        assert x.s.care.limits["systolic"].high == 180
    run(go())


def test_daily_living_and_appointments_from_home():
    async def go():
        x = Session()
        await x.ready()
        html = x.html()
        assert 'href="#/daily"' in html and 'href="#/appointments"' in html and 'href="#/today"' in html
        await x.c.navigate("#/daily")
        assert x.s.screen == "daily" and 'href="#/daily/fluids"' in x.html()
        await x.c.navigate("#/daily/fluids")
        assert x.s.screen == "daily_form"
        await x.c.submit("daily:fluids", {"amount_ml": "lots"})
        assert "amount_ml" in x.s.form_errors
        await x.c.submit("daily:fluids", {"amount_ml": "250", "drink": "Tea"})
        assert x.s.screen == "home" and x.s.toast.message == "Saved: Drinks."
        await x.c.navigate("#/daily")
        assert "Drinks — by Ann" in x.html()

        await x.c.navigate("#/appointments/new")
        assert x.s.screen == "appointment_form"
        await x.c.submit("appointment", {"title": "Heart clinic", "starts": "2025-11-26T14:30",
                                         "place": "St Mary's", "who_goes": "Tom"})
        assert x.s.form_problem == "", x.s.form_problem
        assert x.s.screen == "appointments" and [a.title for a in x.s.care.upcoming] == ["Heart clinic"]
        assert "Wed 26 Nov 14:30 Heart clinic" in x.html() and "Tom goes" in x.html()
    run(go())


def test_since_you_last_looked_on_home():
    async def go():
        store = MemoryEntryStore()
        ann = Session(store, "Ann", prefix="a")
        await ann.ready()
        item = await ann.plan_med(times="08:00")
        await ann.c.action("dose-given", {"id": f"{item.id}@{DAY}T08:00"})
        await ann.c.submit("log:note", {"text": "Ate all her breakfast"})
        bob = Session(store, "Bob", prefix="b")
        bob.clock.advance(HOUR)
        await bob.ready()
        assert bob.s.screen == "home"
        hand = bob.s.care.handoff
        assert hand is not None and not hand.empty
        html = bob.html()
        assert "Since you last looked" in html and "Metformin: given 08:00 by Ann" in html
        assert "Note by Ann: Ate all her breakfast" in html and "1 dose given" in html
        # Ann does not see her own entries as news
        await ann.c.navigate("#/")
        assert ann.s.care.handoff.empty
    run(go())


def test_care_screens_escape_hostile_names():
    async def go():
        bad = '<script type="py">import js</script>'
        x = Session(name=bad)
        await x.ready(recipient=bad)
        await x.c.submit("profile", {"name": bad, "timezone": ZONE, "conditions": bad,
                                     "allergies.0.substance": bad})
        item = await x.plan_med(name=bad, instructions=bad)
        await x.c.action("dose-given", {"id": f"{item.id}@{DAY}T08:00"})
        await x.c.action("dose-given", {"id": f"{item.id}@{DAY}T08:00"})
        assert x.s.screen == "dose_confirm" and "<script" not in x.html()
        for route in ("#/today", "#/plan", "#/profile", "#/alerts", f"#/plan/{item.id}", "#/profile/edit", "#/"):
            await x.c.navigate(route)
            assert "<script" not in x.html(), route
    run(go())


def test_unknown_care_ids_are_handled():
    async def go():
        x = Session()
        await x.ready()
        await x.c.navigate("#/today/not-given/nope/2025-11-24T08%3A00")
        assert x.s.screen == "today"
        await x.c.navigate("#/plan/nope")
        assert x.s.screen == "plan"
        await x.c.action("dose-given", {"id": "nope@2025-11-24T08:00"})
        assert x.s.toast is not None
        with pytest.raises(FormErrors):
            await x.log.save_plan_item(x.s.recipient.id, "odd", {})
    run(go())


def test_editing_a_planned_dose_keeps_its_link_to_the_plan():
    async def go():
        x = Session()
        await x.ready()
        item = await x.plan_med(times="08:00")
        await x.c.action("dose-given", {"id": f"{item.id}@{DAY}T08:00"})
        [dose] = await x.dose_events()
        await x.c.navigate(f"#/entry/{dose.entry}")
        assert x.s.screen == "entry"
        await x.c.submit(f"edit:{dose.entry}", {**x.s.form_values, "note": "With breakfast"})
        assert x.s.form_problem == "", x.s.form_problem
        entry = await x.log.entry(dose.entry)
        assert entry.payload["plan_item"] == item.id and entry.payload["slot"] == f"{DAY}T08:00"
        assert entry.payload["note"] == "With breakfast"
        board = await x.today()
        assert board.rows[0].state == "done"
    run(go())


def test_a_button_on_something_that_is_not_a_plan_item_says_so():
    async def go():
        x = Session()
        await x.ready()
        await x.c.submit("log:note", {"text": "hello"})
        note = x.s.timeline[0]
        await x.c.action("task-done", {"id": f"{note.id}@{DAY}T08:00"})
        assert x.s.toast.tone == "warn" and "not an item of the care plan" in x.s.toast.message
    run(go())

"""Daily living, appointments and plan tasks in the timeline: plain words,
edit and delete with Undo, and daily living at an earlier time."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, strategies as st

from carelog.adapters.memory import FixedClock
from carelog.bootstrap import TEST_EPOCH_MS, build_for_tests
from carelog.domain import logbook
from carelog.domain.validation import FormErrors
from carelog.ui import views
from carelog.ui.controller import Controller
from carelog.ui.describe import describe_payload
from carelog.ui.describe_care import describe_appointment, describe_daily_living, describe_task

MINUTE = 60_000


def run(coro):
    return asyncio.run(coro)


def test_plain_words_for_each_daily_living_category():
    cases = {
        "meals": ({"meal": "lunch", "portion": "half"}, "Meals: Lunch, About half eaten"),
        "sleep": ({"hours": 7.5, "quality": "poor"}, "Sleep: 7.5 hours, Poor"),
        "bowel": ({"stool_type": 4, "continence": "continent"}, "Bowel: type 4, Used the toilet"),
        "bladder": ({"continence": "incontinent"}, "Bladder: Accident"),
        "mobility": ({"level": "aid"}, "Mobility: With a walking aid"),
        "fall": ({"injury": "minor", "where": "bathroom"}, "Fall: Minor injury, where: bathroom"),
        "mood": ({"mood": "anxious", "note": "asked for Tom"}, "Mood: Anxious — asked for Tom"),
    }
    for cat, (fields, words) in cases.items():
        assert describe_payload("daily_living", {"category": cat, **fields}) == words
    assert describe_task({"name": "Reposition", "status": "done"}) == "Reposition: Done"
    assert describe_appointment({"title": "GP", "starts": "not a time"}) == "GP"


@given(st.dictionaries(st.text(max_size=10), st.none() | st.booleans() | st.integers() | st.text(max_size=20)
                       | st.lists(st.integers(), max_size=3), max_size=6))
def test_descriptions_never_fail_on_synced_payloads(payload):
    for kind in ("daily_living", "appointment", "task"):
        assert isinstance(describe_payload(kind, payload), str)
        assert isinstance(describe_payload(kind, {**payload, "category": "fluids"}), str)


class Session:
    def __init__(self):
        self.clock = FixedClock(TEST_EPOCH_MS)
        self.c = Controller(build_for_tests(clock=self.clock))

    async def ready(self):
        await self.c.start()
        await self.c.submit("caregiver", {"name": "Ann"})
        await self.c.submit("recipient", {"name": "Mum"})

    @property
    def s(self):
        return self.c.state

    def html(self):
        return str(views.render(self.s))


def test_daily_living_at_an_earlier_time_then_edited_and_deleted_with_undo():
    async def go():
        t = Session()
        await t.ready()
        await t.c.navigate("#/daily/fluids")
        assert 'name="at_local"' in t.html()  # "When": now unless changed
        await t.c.submit("daily:fluids", {"amount_ml": "250", "drink": "Tea", "at_local": "2025-11-24T15:30"})
        assert t.s.form_problem == "", t.s.form_problem
        entry = t.s.timeline[0]
        assert entry.kind == "daily_living" and entry.at == TEST_EPOCH_MS - 30 * MINUTE
        assert "Drinks: 250 mL of Tea" in t.html()
        await t.c.submit("daily:fluids", {"amount_ml": "250", "at_local": "2025-11-28T15:30"})
        assert "in the future" in t.s.form_problem  # nothing saved
        assert len([e for e in t.s.timeline if e.kind == "daily_living"]) == 1

        await t.c.navigate(f"#/entry/{entry.id}")
        html = t.html()
        assert f'data-form="edit:{entry.id}"' in html and 'value="Tea"' in html and "Drinks" in html
        await t.c.submit(f"edit:{entry.id}", {"amount_ml": "300", "drink": "Water",
                                              "at_local": "2025-11-24T15:00"})
        assert t.s.form_problem == ""
        changed = t.s.timeline[0]
        assert changed.payload == {"category": "fluids", "amount_ml": 300, "drink": "Water"}
        assert changed.at == TEST_EPOCH_MS - 60 * MINUTE
        await t.c.submit(f"edit:{entry.id}", {"amount_ml": "0"})
        assert "amount" in t.s.form_problem.lower()
        await t.c.action("delete", {"id": entry.id})
        assert t.s.toast.message == "Deleted: Drinks: 300 mL of Water" and t.s.toast.undo
        assert all(e.id != entry.id for e in t.s.timeline)
        await t.c.action("undo", {})
        assert t.s.timeline[0].payload["drink"] == "Water"
    run(go())


def test_an_appointment_edit_keeps_when_it_was_recorded():
    async def go():
        t = Session()
        await t.ready()
        await t.c.care.submit("appointment", {"title": "Heart clinic", "starts": "2025-12-01T14:30"})
        await t.c.navigate("#/")
        entry = next(e for e in t.s.timeline if e.kind == "appointment")
        assert "Heart clinic, Mon 01 Dec 2025 14:30" in t.html()
        t.clock.advance(60 * MINUTE)
        await t.c.navigate(f"#/entry/{entry.id}")
        assert 'value="2025-12-01T14:30"' in t.html()
        await t.c.submit(f"edit:{entry.id}", {"title": "Heart clinic", "starts": "2025-12-02T09:00",
                                              "place": "City Hospital"})
        assert t.s.form_problem == ""
        after = next(e for e in t.s.timeline if e.kind == "appointment")
        assert after.at == entry.at and after.payload["starts"] == "2025-12-02T09:00"
        assert "Heart clinic, Tue 02 Dec 2025 09:00, at City Hospital" in t.html()
    run(go())


def test_a_task_record_edit_keeps_its_plan_link_and_needs_a_reason_to_skip():
    async def go():
        t = Session()
        await t.ready()
        rid = t.s.recipient.id
        log = t.c.log
        item = (await log.save_plan_item(rid, "task_plan", {"name": "Reposition", "schedule": "daily", "times": "10:00",
                                                             "every_hours": "2", "first_time": "06:00",
                                                             "start_date": "2025-11-24"})).entry
        saved = await log.record_task(rid, item.id, "2025-11-24T10:00", {"status": "done"})
        await t.c.navigate(f"#/entry/{saved.entry.id}")
        html = t.html()
        assert ">Task</h1>" in html and 'name="status" value="done" checked' in html and 'name="at_local"' in html
        with pytest.raises(FormErrors):
            await log.edit(saved.entry.id, {"status": "skipped"})
        await t.c.submit(f"edit:{saved.entry.id}", {"status": "skipped", "reason": "asleep"})
        assert t.s.form_problem == ""
        after = await log.entry(saved.entry.id)
        assert after.payload["plan_item"] == item.id and after.payload["status"] == "skipped"
        assert "Reposition: Skipped (asleep)" in t.html()
    run(go())


def test_the_edit_form_of_a_category_from_a_newer_version_says_so():
    t = Session()
    t.s.form_values = {"category": "singing"}
    assert "newer version" in str(views.entry_fields(t.s, logbook.DAILY_LIVING, None)[0])

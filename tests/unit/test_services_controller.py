"""A whole caregiver session driven through the Controller over in-memory
adapters: first start, logging every kind, edit/delete with undo, history,
a full disk, invalid forms, and two devices editing at once."""

from __future__ import annotations

import asyncio

import pytest

from carelog.adapters.memory import CountingIds, FixedClock, MemoryEntryStore, MemorySettings
from carelog.bootstrap import TEST_EPOCH_MS, build_for_tests
from carelog.domain import timefmt
from carelog.domain.events import Event
from carelog.domain.validation import FormErrors
from carelog.services import CareLog, NotFound
from carelog.ui import views
from carelog.ui.controller import FULL_MESSAGE, Controller

MINUTE = 60_000


def run(coro):
    return asyncio.run(coro)


class Session:
    """A controller over fresh in-memory adapters, plus handles on them."""

    def __init__(self, quota: int | None = None, prefix: str = "id"):
        self.store = MemoryEntryStore(quota_events=quota)
        self.clock = FixedClock(TEST_EPOCH_MS)
        self.log = build_for_tests(store=self.store, clock=self.clock, ids=CountingIds(prefix))
        self.c = Controller(self.log, build="test")

    @property
    def state(self):
        return self.c.state

    def now_local(self) -> str:
        return timefmt.format_input(self.clock.now, 0)

    async def ready(self, name: str = "Ann", recipient: str = "Mum") -> None:
        await self.c.start()
        await self.c.submit("caregiver", {"name": name})
        await self.c.submit("recipient", {"name": recipient})

    async def log_entry(self, kind: str, values: dict, vital: str | None = None) -> None:
        self.clock.advance(MINUTE)
        await self.c.navigate(f"#/log/{kind}" + (f"/{vital}" if vital else ""))
        assert self.state.screen == "log"
        html = views.render(self.state)
        assert 'data-form="log:%s"' % kind in html
        await self.c.submit(f"log:{kind}", {**values, "at_local": self.now_local()})
        assert self.state.form_problem == "", self.state.form_problem
        assert self.state.screen == "home"


VITAL_FORMS = {
    "blood_pressure": {"systolic": "128", "diastolic": "82"},
    "heart_rate": {"value": "72"},
    "temperature": {"value": "37,5"},
    "spo2": {"value": "96"},
    "respiratory_rate": {"value": "16"},
    "blood_glucose": {"value": "6.2", "unit": "mmol/L"},
    "weight": {"value": "61.4"},
    "height": {"value": "158"},
    "pain": {"value": "3"},
}


def test_first_start_to_full_log_edit_delete_and_history():
    async def go():
        s = Session()
        await s.c.start()
        assert s.state.screen == "welcome" and "Your name" in views.render(s.state)

        await s.c.submit("caregiver", {"name": ""})
        assert s.state.screen == "welcome" and "name" in s.state.form_errors
        await s.c.submit("caregiver", {"name": " Ann "})
        assert s.state.caregiver == "Ann" and s.state.screen == "add_recipient"
        assert s.state.toast.message == "Hello, Ann."

        await s.c.submit("recipient", {"name": "Mum", "birth_date": "1941-05-30"})
        assert s.state.screen == "home" and s.state.recipient.payload == {"name": "Mum", "birth_date": "1941-05-30"}
        assert "Nothing recorded yet" in views.render(s.state)

        await s.log_entry("medication", {"name": "Metformin", "status": "given", "dose": "500", "unit": "mg",
                                         "route": "oral"})
        assert s.state.toast.message == "Saved: Metformin 500 mg, by mouth: Given"
        await s.log_entry("medication", {"name": "Aspirin", "status": "refused", "reason": "Felt sick",
                                         "route": "oral", "unit": "mg", "dose": ""})
        for vital, form in VITAL_FORMS.items():
            await s.log_entry("vital", {"type": vital, **form}, vital=vital)
        await s.log_entry("symptom", {"name": "Nausea", "severity": "4", "note": "after lunch"})
        await s.log_entry("note", {"text": "Slept well"})

        timeline = s.state.timeline
        kinds = [e.kind for e in timeline]
        assert kinds == ["note", "symptom"] + ["vital"] * 9 + ["medication"] * 2, "newest first"
        assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)
        assert timeline[-1].payload["name"] == "Metformin" and timeline[-2].payload["status"] == "refused"
        temperature = next(e for e in timeline if e.payload.get("type") == "temperature")
        assert temperature.payload["value"] == 37.5 and temperature.payload["loinc"] == "8310-5"
        html = views.render(s.state)
        assert html.count("by Ann") == len(timeline) == 13
        assert html.index("Slept well") < html.index("Nausea") < html.index("Metformin")
        assert "Temperature 37.5 °C" in html and "Blood pressure 128/82 mmHg" in html

        # another caregiver edits the note, then undoes it
        note = timeline[0]
        s.clock.advance(MINUTE)
        await s.c.submit("caregiver", {"name": "Bob"})
        await s.c.navigate(f"#/entry/{note.id}")
        assert s.state.screen == "entry" and s.state.form_values["text"] == "Slept well"
        assert "recorded by Ann" in views.render(s.state)
        values = dict(s.state.form_values, text="Slept badly")
        await s.c.submit(f"edit:{note.id}", values)
        assert s.state.toast.message == "Changes saved." and s.state.toast.undo
        edited = s.state.timeline[0]
        assert edited.payload == {"text": "Slept badly"} and edited.edited and edited.updated_by == "Bob"
        assert edited.at == note.at, "editing keeps the time shown in the form"
        assert "Edited" in views.render(s.state)
        await s.c.action("undo", {})
        assert s.state.toast.message == "Undone."
        assert s.state.timeline[0].payload == {"text": "Slept well"}

        # delete, then undo
        await s.c.action("delete", {"id": note.id})
        assert s.state.toast.message == "Deleted: Slept well" and s.state.toast.undo
        assert note.id not in [e.id for e in s.state.timeline]
        await s.c.action("undo", {})
        assert s.state.timeline[0].id == note.id and s.state.timeline[0].payload == {"text": "Slept well"}
        await s.c.action("undo", {})  # nothing more to undo: no change, no error
        assert s.state.timeline[0].id == note.id

        # the audit trail
        await s.c.navigate(f"#/entry/{note.id}/history")
        assert s.state.screen == "history"
        trail = [(e.op, e.author) for e in s.state.history]
        assert trail == [("create", "Ann"), ("edit", "Bob"), ("edit", "Bob"), ("delete", "Bob"), ("edit", "Bob")]
        html = views.render(s.state)
        assert "Recorded by Ann" in html and "Changed by Bob" in html and "Deleted by Bob" in html
        assert html.count("<li>") == 5
        assert len(s.store) == 1 + 13 + 4

    run(go())


def test_storage_full_keeps_what_was_typed_and_saves_nothing():
    async def go():
        s = Session(quota=1)
        await s.ready()
        assert len(s.store) == 1
        await s.c.navigate("#/log/vital/blood_pressure")
        typed = {"type": "blood_pressure", "systolic": "140", "diastolic": "90", "unit": "mm[Hg]",
                 "note": "after walk", "at_local": s.now_local()}
        await s.c.submit("log:vital", typed)
        assert "storage is full" in s.state.form_problem and s.state.form_problem == FULL_MESSAGE
        assert "NOT saved" in s.state.form_problem
        assert s.state.form_values == typed, "what was typed is still there"
        assert s.state.screen == "log" and s.state.form_errors == {}
        assert len(s.store) == 1, "nothing partial stored"
        html = views.render(s.state)
        assert "storage is full" in html and 'value="140"' in html and "after walk" in html

        s.store.quota_events = None  # the caregiver freed some space
        await s.c.submit("log:vital", dict(s.state.form_values))
        assert s.state.form_problem == "" and s.state.screen == "home"
        assert len(s.store) == 2
        assert s.state.timeline[0].payload["systolic"] == 140

    run(go())


def test_storage_full_on_edit_delete_and_first_recipient():
    async def go():
        s = Session(quota=2)
        await s.ready()
        await s.log_entry("note", {"text": "one"})
        note = s.state.timeline[0]
        await s.c.navigate(f"#/entry/{note.id}")
        await s.c.submit(f"edit:{note.id}", dict(s.state.form_values, text="two"))
        assert s.state.form_problem == FULL_MESSAGE and s.state.form_values["text"] == "two"
        await s.c.action("delete", {"id": note.id})
        assert s.state.toast.tone == "error" and "storage is full" in s.state.toast.message
        assert len(s.store) == 2

        t = Session(quota=0)
        await t.c.start()
        await t.c.submit("caregiver", {"name": "Ann"})
        await t.c.submit("recipient", {"name": "Mum"})
        assert t.state.form_problem == FULL_MESSAGE and t.state.screen == "add_recipient"
        assert t.state.form_values == {"name": "Mum"} and len(t.store) == 0

    run(go())


def test_invalid_form_stores_nothing_and_says_why_per_field():
    async def go():
        s = Session()
        await s.ready()
        await s.c.navigate("#/log/vital/blood_pressure")
        typed = {"type": "blood_pressure", "systolic": "900", "diastolic": "lots", "unit": "mm[Hg]"}
        await s.c.submit("log:vital", typed)
        errors = s.state.form_errors
        assert set(errors) == {"systolic", "diastolic"}
        assert "from 20 to 300" in errors["systolic"] and "must be a number" in errors["diastolic"]
        assert s.state.form_problem.startswith("Please check:") and s.state.form_values == typed
        assert len(s.store) == 1 and s.state.screen == "log"
        html = views.render(s.state)
        assert html.count('aria-invalid="true"') == 2 and 'id="err-systolic"' in html

        await s.c.navigate("#/log/medication")
        await s.c.submit("log:medication", {"name": "Aspirin", "status": "skipped", "unit": "mg"})
        assert s.state.form_errors == {"reason": "Say why the dose was skipped."}
        await s.c.submit("log:medication", {"name": "", "status": "given", "dose": "0", "unit": "mg"})
        assert {"name", "dose"} <= set(s.state.form_errors)

        await s.c.navigate("#/log/note")
        future = timefmt.format_input(s.clock.now + 3 * 24 * 3_600_000, 0)
        await s.c.submit("log:note", {"text": "later", "at_local": future})
        assert "in the future" in s.state.form_problem
        assert "at_local" in s.state.form_errors, "the time field itself shows the error"
        assert 'id="err-at_local"' in views.render(s.state)
        await s.c.submit("log:note", {"text": "x", "at_local": "next tuesday"})
        assert "at_local" in s.state.form_errors
        await s.c.submit("log:elephant", {"text": "x"})
        assert "kind" in s.state.form_errors
        await s.c.submit("mystery", {})
        assert s.state.form_errors == {"form": "Unknown form."}
        assert len(s.store) == 1

    run(go())


def test_logging_in_the_past_places_entry_by_its_time():
    async def go():
        s = Session()
        await s.ready()
        await s.log_entry("note", {"text": "now"})
        s.clock.advance(MINUTE)
        earlier = timefmt.format_input(s.clock.now - 3 * 3_600_000, 0)
        await s.c.navigate("#/log/note")
        await s.c.submit("log:note", {"text": "this morning", "at_local": earlier})
        assert [e.payload["text"] for e in s.state.timeline] == ["now", "this morning"]

    run(go())


def test_time_zone_offset_is_applied_to_form_times():
    async def go():
        s = Session()
        s.clock.offset = 120  # UTC+2
        await s.ready()
        await s.c.navigate("#/log/note")
        local = timefmt.format_input(s.clock.now, 120)
        await s.c.submit("log:note", {"text": "x", "at_local": local})
        assert s.state.timeline[0].at == s.clock.now

    run(go())


def test_routes_and_recipients():
    async def go():
        s = Session()
        await s.c.start()
        await s.c.navigate("#/settings")
        assert s.state.screen == "welcome", "no caregiver yet: always the welcome screen"
        await s.c.submit("caregiver", {"name": "Ann"})
        await s.c.navigate("#/")
        assert s.state.screen == "add_recipient", "no one to care for yet"
        await s.c.submit("recipient", {"name": "Mum"})
        await s.c.navigate("#/recipients/new")
        await s.c.submit("recipient", {"name": "Dad"})
        assert s.state.recipient.payload["name"] == "Dad", "a new person becomes the current one"
        await s.c.navigate("#/recipients")
        assert s.state.screen == "recipients" and [r.payload["name"] for r in s.state.recipients] == ["Dad", "Mum"]
        mum = next(r for r in s.state.recipients if r.payload["name"] == "Mum")
        await s.c.action("choose-recipient", {"id": mum.id})
        assert s.state.screen == "home" and s.state.recipient.id == mum.id
        await s.log_entry("note", {"text": "for Mum"})
        await s.c.action("choose-recipient", {"id": next(r.id for r in s.state.recipients if r.id != mum.id)})
        assert s.state.timeline == [], "each person has their own timeline"
        for route, screen in [("#/settings", "settings"), ("#/nowhere", "home"), ("", "home"),
                              ("#/log/elephant", "home"), ("#/entry/missing", "entry")]:
            await s.c.navigate(route)
            assert s.state.screen == screen, route
        assert s.state.entry is None and "Not found" in views.render(s.state)
        await s.c.navigate("#/log/vital")
        assert s.state.vital_type is None and "Which vital sign?" in views.render(s.state)
        await s.c.action("delete", {"id": "missing"})
        assert s.state.toast.tone == "warn"
        await s.c.submit("edit:missing", {"text": "x"})
        assert s.state.form_problem == "This entry no longer exists."

        # a restart on the same device remembers who and for whom
        again = Controller(CareLog(s.store, s.log.settings, s.clock, CountingIds("x")))
        await again.start()
        assert again.state.caregiver == "Ann" and again.state.screen == "home"
        assert again.state.device_id == s.state.device_id

    run(go())


# --- services directly ------------------------------------------------------

async def _all_events(store: MemoryEntryStore) -> list[Event]:
    people = await store.events_of_kind("recipient")
    return people + [e for r in {p.recipient for p in people} for e in await store.events_in_range(r)]


async def _sync(a: MemoryEntryStore, b: MemoryEntryStore) -> None:
    """What sync does in the end: each device gets the other's events."""
    ea, eb = await _all_events(a), await _all_events(b)
    await b.put_events(ea)
    await a.put_events(eb)


def test_two_devices_editing_at_once_conflict_and_resolve():
    async def go():
        clock = FixedClock(TEST_EPOCH_MS)
        ann = CareLog(MemoryEntryStore(), MemorySettings(), clock, CountingIds("id"))
        await ann.set_caregiver("Ann")
        mum = await ann.add_recipient({"name": "Mum"})
        note = await ann.log(mum.id, "note", {"text": "Ate lunch"})
        bob = CareLog(MemoryEntryStore(), MemorySettings(), clock, CountingIds("b"))
        await _sync(ann.store, bob.store)
        await bob.set_caregiver("Bob")
        assert (await bob.entry(note.id)).payload == {"text": "Ate lunch"}

        clock.advance(MINUTE)
        await ann.edit(note.id, {"text": "Ate half of lunch"})
        await bob.delete(note.id)  # neither saw the other's change
        await _sync(ann.store, bob.store)
        for log in (ann, bob):
            entry = await log.entry(note.id)
            assert entry.in_conflict and not entry.deleted, "delete vs edit keeps the entry visible"
            assert {(v.op, v.author) for v in entry.conflict} == {("edit", "Ann"), ("delete", "Bob")}
            assert entry.payload == {"text": "Ate half of lunch"}
            assert [e.id for e in await log.timeline(mum.id)] == [note.id]

        # Ann looks at it on her screen and keeps her version
        c = Controller(ann)
        await c.start()
        await c.navigate(f"#/entry/{note.id}")
        html = views.render(c.state)
        assert "Two caregivers changed this" in html and "by Bob" in html and "Deleted" in html
        keep = next(v for v in c.state.entry.conflict if v.author == "Ann")
        await c.action("resolve", {"id": keep.id})
        assert c.state.toast.message == "Version kept." and not c.state.entry.in_conflict
        await _sync(ann.store, bob.store)
        assert not (await bob.entry(note.id)).in_conflict
        assert (await bob.entry(note.id)).payload == {"text": "Ate half of lunch"}

        with pytest.raises(NotFound):
            await ann.resolve(note.id, "no-such-version")

    run(go())


def test_resolving_to_the_delete_hides_the_entry():
    async def go():
        clock = FixedClock(TEST_EPOCH_MS)
        ann = CareLog(MemoryEntryStore(), MemorySettings(), clock, CountingIds("id"))
        await ann.set_caregiver("Ann")
        mum = await ann.add_recipient({"name": "Mum"})
        note = await ann.log(mum.id, "note", {"text": "x"})
        bob = CareLog(MemoryEntryStore(), MemorySettings(), clock, CountingIds("b"))
        await _sync(ann.store, bob.store)
        await bob.start()
        await ann.edit(note.id, {"text": "y"})
        await bob.delete(note.id)
        await _sync(ann.store, bob.store)
        deletion = next(v for v in (await ann.entry(note.id)).conflict if v.op == "delete")
        await ann.resolve(note.id, deletion.id)
        assert await ann.timeline(mum.id) == []
        with pytest.raises(NotFound):
            await ann.entry(note.id)
        assert (await ann.entry(note.id, include_deleted=True)).deleted

    run(go())


def test_clock_set_back_still_orders_changes():
    async def go():
        s = Session()
        await s.ready()
        await s.log_entry("note", {"text": "first"})
        note = s.state.timeline[0]
        s.clock.advance(-3_600_000 * 5)  # the tablet's clock jumps back five hours
        await s.log.edit(note.id, {"text": "second"})
        trail = await s.log.entry_history(note.id)
        assert [e.payload["text"] for e in trail] == ["first", "second"]
        assert trail[0].stamp < trail[1].stamp
        # and a restart does not reuse stamps either
        log = CareLog(s.store, s.log.settings, s.clock, CountingIds("z"))
        await log.start()
        await log.edit(note.id, {"text": "third"})
        trail = await log.entry_history(note.id)
        assert [e.payload["text"] for e in trail] == ["first", "second", "third"]

    run(go())


def test_service_guards():
    async def go():
        log = build_for_tests()
        with pytest.raises(RuntimeError):
            log._new_event(id="x")
        await log.start()
        assert log.caregiver == "" and log.device_id == "id-1"
        mum = await log.add_recipient({"name": "Mum"})
        note = await log.log(mum.id, "note", {"text": "x"})
        assert note.created_by == "Unnamed caregiver"
        with pytest.raises(FormErrors):
            await log.log(mum.id, "recipient", {"name": "sneaky"})
        with pytest.raises(FormErrors):
            await log.add_recipient({"name": ""})
        with pytest.raises(NotFound):
            await log.edit("nope", {"text": "x"})
        with pytest.raises(NotFound):
            await log.delete("nope")
        edited = await log.edit(mum.id, {"name": "Mother"})
        assert edited.entry.payload == {"name": "Mother"} and edited.entry.at == mum.at

    run(go())


def test_odd_synced_recipient_does_not_break_start():
    async def go():
        s = Session()
        await s.ready()
        odd = Event.create(id="r-odd", recipient="r-odd", kind="recipient", at=TEST_EPOCH_MS,
                           payload={"name": 5}, author="?", device="d9", hlc="1764000000000-000000-d9")
        listy = Event.create(id="r-list", recipient="r-list", kind="recipient", at=TEST_EPOCH_MS,
                             payload={"name": ["a", "<b>"]}, author="?", device="d9",
                             hlc="1764000000000-000001-d9")
        await s.store.put_events([odd, listy])
        again = Controller(CareLog(s.store, s.log.settings, s.clock, CountingIds("x")))
        await again.start()
        assert len(again.state.recipients) == 3
        await again.navigate("#/recipients")
        assert "&lt;b&gt;" in views.render(again.state)

    run(go())


def test_undo_after_logging_removes_the_new_entry():
    session = Session()

    async def story():
        await session.ready()
        await session.log_entry("note", {"text": "Wrong person"})
        assert session.state.toast.undo is True
        assert [e.payload["text"] for e in session.state.timeline] == ["Wrong person"]
        await session.c.action("undo", {})
        assert session.state.timeline == []
        assert session.state.toast.message == "Undone."
        await session.c.action("undo", {})  # a second Undo does nothing
        assert session.state.timeline == []

    run(story())

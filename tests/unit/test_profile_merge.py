"""Two versions of the profile: which fields differ, the field-by-field merge
(Hypothesis: every merged field comes from the version chosen for it, and the
merge of valid profiles is a valid profile), the versions of two profile
entries and of one entry in conflict, and the use case and screen that keep
one profile with Undo."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings, strategies as st

from carelog.adapters.memory import CountingIds, MemoryEntryStore, MemorySettings
from carelog.bootstrap import build_for_tests
from carelog.domain.events import EDIT, Event
from carelog.domain.hlc import Stamp
from carelog.domain.profile import (MERGE_FIELDS, PROFILE, current_profile, differing_fields, field_value,
                                    merge_profiles, parse_profile, profile_versions)
from carelog.domain.validation import FormErrors
from carelog.ui.controller import Controller
from carelog.ui.views import render

ANN = {"name": "Mary Smith", "birth_date": "1941-05-30", "timezone": "Europe/London",
       "conditions": ["Heart failure"],
       "allergies": [{"substance": "Penicillin", "reaction": "Hives", "severity": "severe"}],
       "emergency_contacts": [{"name": "John", "relationship": "Son", "phone": "07700 900123"}],
       "care_team": [{"role": "GP", "name": "Dr Patel", "phone": "020 7946 0000"}]}
BOB = {"name": "Mary Smith", "timezone": "Europe/Paris", "conditions": ["Heart failure", "COPD"],
       "allergies": [], "no_known_allergies": True, "emergency_contacts": [], "care_team": [],
       "notes": "Key under the mat"}


def test_a_saved_profile_with_an_allergy_can_be_saved_again_from_its_form():
    """The edit form adds a spare allergy row whose severity list starts at "Not known":
    that row is blank, not an allergy with no substance."""
    from carelog.ui.care_controller import _profile_values
    values = _profile_values(parse_profile({**ANN, "allergies.0.substance": "Penicillin", "allergies": None}))
    values["allergies.1.severity"] = "unknown"  # what the browser sends for the spare row
    assert parse_profile(values)["allergies"] == [{"substance": "Penicillin", "severity": "unknown"}]
    with pytest.raises(FormErrors) as problem:
        parse_profile({**values, "allergies.1.severity": "severe"})
    assert "allergies.1.substance" in problem.value.errors


def test_differing_fields_in_screen_order():
    assert differing_fields([ANN, BOB]) == ["birth_date", "conditions", "allergies", "emergency_contacts",
                                            "care_team", "timezone", "notes"]
    assert differing_fields([ANN, dict(ANN)]) == []
    assert differing_fields([ANN]) == []
    # "not recorded" is the same however it is written
    assert differing_fields([{"name": "A", "conditions": [], "notes": ""}, {"name": "A"}]) == []


def test_merge_takes_each_field_from_the_version_chosen():
    merged = merge_profiles([ANN, BOB], {"timezone": 1, "conditions": 1, "notes": 1})
    assert merged["timezone"] == "Europe/Paris" and merged["conditions"] == ["Heart failure", "COPD"]
    assert merged["notes"] == "Key under the mat"
    assert merged["allergies"] == ANN["allergies"] and "no_known_allergies" not in merged
    assert merged["birth_date"] == "1941-05-30"
    # allergies and "no known allergies" travel together
    other = merge_profiles([ANN, BOB], {"allergies": 1})
    assert other["allergies"] == [] and other["no_known_allergies"] is True
    # a blank field chosen from the other version is blank in the result
    assert "birth_date" not in merge_profiles([ANN, BOB], {"birth_date": 1})
    assert "notes" not in merge_profiles([BOB, ANN], {"notes": 1})


def test_merge_keeps_keys_a_newer_version_added_and_refuses_bad_choices():
    newer = {**ANN, "blood_group": "O+"}
    assert merge_profiles([newer, BOB], {"name": 1})["blood_group"] == "O+"
    with pytest.raises(ValueError):
        merge_profiles([ANN, BOB], {"name": 2})
    with pytest.raises(ValueError):
        merge_profiles([ANN, BOB], {"shoe_size": 0})
    with pytest.raises(ValueError):
        merge_profiles([ANN, BOB], {"name": True})
    with pytest.raises(ValueError):
        merge_profiles([], {})


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
_form = st.fixed_dictionaries({
    "name": _text.filter(lambda t: t.strip()),
    "timezone": st.sampled_from(["UTC", "Europe/London", "America/New_York", "Asia/Tokyo"]),
}, optional={
    "birth_date": st.dates(min_value=__import__("datetime").date(1900, 1, 1),
                           max_value=__import__("datetime").date(2020, 1, 1)).map(str),
    "conditions": st.lists(_text, max_size=3).map("\n".join),
    "allergies": st.lists(st.fixed_dictionaries({"substance": _text.filter(lambda t: t.strip()),
                                                 "severity": st.sampled_from(["mild", "severe", "unknown"])}),
                          max_size=2),
    "emergency_contacts": st.lists(st.fixed_dictionaries({"name": _text.filter(lambda t: t.strip()),
                                                          "phone": st.sampled_from(["112", "+44 20 7946 0958"])}),
                                   max_size=2),
    "notes": _text,
})
_profiles = _form.map(parse_profile)


@settings(max_examples=150, deadline=None)
@given(st.lists(_profiles, min_size=1, max_size=4), st.data())
def test_merged_fields_come_from_their_chosen_version_and_the_result_parses(versions, data):
    choice = data.draw(st.dictionaries(st.sampled_from(list(MERGE_FIELDS)),
                                       st.integers(0, len(versions) - 1)))
    merged = merge_profiles(versions, choice)
    for name in MERGE_FIELDS:
        assert field_value(merged, name) == field_value(versions[choice.get(name, 0)], name)
    # a merge of valid profiles is a valid profile: it survives the form parser unchanged
    assert differing_fields([merged, merge_profiles([merged], {})]) == []
    # keeping one version whole gives that version back
    whole = data.draw(st.integers(0, len(versions) - 1))
    kept = merge_profiles(versions, {name: whole for name in MERGE_FIELDS})
    assert differing_fields([kept, versions[whole]]) == []
    # the fields that differ are exactly those on which a merge can change the result
    differ = set(differing_fields(versions))
    for name in MERGE_FIELDS:
        results = {repr(field_value(merge_profiles(versions, {name: i}), name)) for i in range(len(versions))}
        assert (len(results) > 1) == (name in differ)


def _event(eid, entry, payload, hlc_ms, device, author, op="create", revises=()):
    return Event(id=eid, recipient="r1", kind=PROFILE, entry=entry, op=op, revises=tuple(revises), at=1,
                 payload=payload, author=author, device=device, hlc=Stamp(hlc_ms, 0, device).encode())


def test_versions_of_two_profiles_and_of_one_profile_in_conflict():
    a = _event("a", "a", ANN, 10, "d1", "Ann")
    b = _event("b", "b", BOB, 20, "d2", "Bob")
    versions = profile_versions([b, a], "r1")
    assert [(v.entry_id, v.author) for v in versions] == [("a", "Ann"), ("b", "Bob")]
    assert profile_versions([a], "r1")[0].payload == ANN and len(profile_versions([a], "r1")) == 1
    assert profile_versions([], "r1") == []
    # one profile, two edits that did not see each other: both heads are versions
    e1 = _event("e1", "a", {**ANN, "notes": "one"}, 30, "d1", "Ann", EDIT, ["a"])
    e2 = _event("e2", "a", {**ANN, "notes": "two"}, 31, "d2", "Bob", EDIT, ["a"])
    versions = profile_versions([a, e1, e2], "r1")
    assert [(v.event_id, v.payload["notes"]) for v in versions] == [("e2", "two"), ("e1", "one")]
    # a deletion in conflict with an edit offers the edit only
    gone = _event("x", "a", {}, 32, "d2", "Bob", "delete", ["e1"])
    e3 = _event("e3", "a", {**ANN, "notes": "three"}, 33, "d1", "Ann", EDIT, ["e1"])
    assert [v.event_id for v in profile_versions([a, e1, gone, e3], "r1")] == ["e3"]


async def _two_devices():
    """A log on device A with a profile, and a second device's profile of the same person."""
    store = MemoryEntryStore()
    log = build_for_tests(store=store, settings=MemorySettings({"device_id": "dev-a"}), ids=CountingIds("a"))
    await log.start()
    await log.set_caregiver("Ann")
    mum = await log.add_recipient({"name": "Mum"})
    await log.save_profile(mum.id, {**{k: v for k, v in ANN.items() if k not in ("allergies", "conditions",
                                                                                 "emergency_contacts", "care_team")},
                                    "conditions": "Heart failure",
                                    "allergies.0.substance": "Penicillin", "allergies.0.severity": "severe"})
    other = Event.create(id="dev-b-p", recipient=mum.id, kind=PROFILE, at=1, payload=BOB, author="Bob",
                         device="dev-b", hlc=Stamp(log.clock.now_ms() + 5, 0, "dev-b").encode())
    await store.put_events([other])
    return log, mum, store


async def _shown(log, route: str) -> tuple[Controller, str]:
    """A controller on ``log`` showing ``route``, and the page it renders."""
    c = Controller(log)
    await c.start()
    await c.navigate(route)
    return c, str(render(c.state))


def test_merge_use_case_saves_one_profile_retires_the_duplicate_and_undo_brings_both_back():
    async def scenario():
        log, mum, store = await _two_devices()
        versions = await log.profile_versions(mum.id)
        assert len(versions) == 2
        token = ",".join(v.event_id for v in versions)
        with pytest.raises(FormErrors):  # what the caregiver saw is not what is there now
            await log.merge_profile(mum.id, {"timezone": 1}, token + ",x")
        assert len(await log.profile_versions(mum.id)) == 2  # nothing saved
        written = await log.merge_profile(mum.id, {"timezone": 1, "notes": 1}, token)
        assert [e.op for e in written] == ["edit", "delete"]
        after = await log.profile_versions(mum.id)
        assert len(after) == 1 and after[0].payload["timezone"] == "Europe/Paris"
        assert after[0].payload["allergies"][0]["substance"] == "Penicillin"
        assert (await log.profile(mum.id)).payload["notes"] == "Key under the mat"
        await log.undo_merge(mum.id, written, versions)
        again = await log.profile_versions(mum.id)
        assert sorted(v.author for v in again) == ["Ann", "Bob"]
        assert differing_fields([v.payload for v in again]) == differing_fields([v.payload for v in versions])
        # and the choice can be made again
        await log.merge_profile(mum.id, {}, ",".join(v.event_id for v in again))
        first, others = current_profile(await log.entry_events(mum.id, (PROFILE,)), mum.id)
        assert others == [] and first.payload["timezone"] == "Europe/London"
    asyncio.run(scenario())


def test_the_screens_offer_the_choice_and_save_a_field_by_field_merge_with_undo():
    async def scenario():
        log, mum, store = await _two_devices()
        c, page = await _shown(log, "#/profile")
        assert "Two caregivers changed the profile at the same time: choose" in page
        await c.navigate("#/conflicts")
        assert 'href="#/profile/choose"' in str(render(c.state))
        await c.navigate("#/profile/choose")
        page = str(render(c.state))
        assert c.state.screen == "profile_choice" and page.count("Keep this one") == 2
        assert 'data-field="timezone"' in page and "(different)" in page
        # a differing field left unchosen: nothing saved, the field says why
        values = {"token": ",".join(v.event_id for v in c.state.care.profile_versions),
                  **{f"use.{n}": "0" for n in differing_fields([v.payload for v in c.state.care.profile_versions])}}
        del values["use.timezone"]
        await c.submit("profile-merge", values)
        assert "use.timezone" in c.state.form_errors and len(await log.profile_versions(mum.id)) == 2
        await c.submit("profile-merge", {**values, "use.timezone": "1"})
        assert c.state.screen == "profile" and c.state.toast.undo
        assert (await log.profile(mum.id)).payload["timezone"] == "Europe/Paris"
        assert "#/profile/choose" not in str(render(c.state))  # one profile: no notice
        await c.action("undo", {})
        assert len(await log.profile_versions(mum.id)) == 2
        assert c.state.screen == "profile" and "#/profile/choose" in str(render(c.state))
        await c.navigate("#/profile/choose")
        await c.action("profile-keep", {"id": "1:" + ",".join(v.event_id for v in c.state.care.profile_versions)})
        assert (await log.profile(mum.id)).payload == BOB and len(await log.profile_versions(mum.id)) == 1
        assert "version 2, by Bob" in c.state.toast.message
        # a stale "Keep" (the versions changed since) saves nothing and says so
        await c.action("profile-keep", {"id": "0:stale"})
        assert c.state.screen == "profile_choice" and (await log.profile(mum.id)).payload == BOB
    asyncio.run(scenario())


def test_synced_text_in_a_version_stays_text():
    async def scenario():
        log, mum, store = await _two_devices()
        bad = Event.create(id="dev-c-p", recipient=mum.id, kind=PROFILE, at=1,
                           payload={**BOB, "name": '<script type="py">print(1)</script>'}, author="<b>Cy</b>",
                           device="dev-c", hlc=Stamp(log.clock.now_ms() + 9, 0, "dev-c").encode())
        await store.put_events([bad])
        c, page = await _shown(log, "#/profile/choose")
        assert "<script" not in page and "<b>Cy" not in page and "&lt;script" in page
    asyncio.run(scenario())

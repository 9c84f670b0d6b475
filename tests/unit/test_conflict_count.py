"""The sync status line's "N entries have two versions" counts what #/conflicts
offers to choose: every entry in conflict and the profile (once) when it has two
versions, whether two devices each made a profile or its entry is in conflict."""

from __future__ import annotations

import asyncio

from carelog.adapters.memory import CountingIds, MemoryEntryStore, MemorySettings
from carelog.bootstrap import build_for_tests
from carelog.conflicts import to_choose
from carelog.domain.events import EDIT, Event
from carelog.domain.hlc import Stamp
from carelog.domain.profile import PROFILE
from carelog.ui import sync_views
from carelog.ui.controller import Controller
from carelog.ui.views import render

BOB = {"name": "Mum", "timezone": "Europe/Paris", "conditions": ["COPD"], "allergies": [],
       "no_known_allergies": True, "emergency_contacts": [], "care_team": []}


async def _log():
    store = MemoryEntryStore()
    log = build_for_tests(store=store, settings=MemorySettings({"device_id": "dev-a"}), ids=CountingIds("a"))
    await log.start()
    await log.set_caregiver("Ann")
    mum = await log.add_recipient({"name": "Mum"})
    await log.choose_recipient(mum.id)
    await log.save_profile(mum.id, {"name": "Mum", "timezone": "Europe/London"})
    return log, store, mum


def _stamp(log, later: int, device: str = "dev-b") -> str:
    return Stamp(log.clock.now_ms() + later, 0, device).encode()


async def _shown_count(log) -> tuple[int, str]:
    """What #/conflicts shows: entries listed, plus one for the profile's notice."""
    c = Controller(log)
    await c.start()
    await c.navigate("#/conflicts")
    html = str(render(c.state))
    return len(c.state.conflicts) + html.count("profile-choice-notice"), html


def test_two_profiles_and_an_entry_in_conflict_count_as_on_the_conflicts_screen():
    async def scenario():
        log, store, mum = await _log()
        assert (await to_choose(log, mum.id)).count == 0
        # another tablet made its own profile of the same person
        await store.put_events([Event.create(id="dev-b-p", recipient=mum.id, kind=PROFILE, at=1, payload=BOB,
                                             author="Bob", device="dev-b", hlc=_stamp(log, 5))])
        found = await to_choose(log, mum.id)
        assert found.entries == [] and found.profile and found.count == 1
        assert (found.count, True) == ((await _shown_count(log))[0], True)
        line = str(sync_views.status_line("Synced.", configured=True, running=False, problem=False,
                                          conflicts=found.count))
        assert "1 entry has two versions" in line
        # and a note that two tablets changed at the same time
        saved = await log.log(mum.id, "note", {"text": "Slept well"})
        first = (await log.edit(saved.id, {"text": "Slept badly"})).event
        await store.put_events([Event(id="dev-b-e1", recipient=mum.id, kind="note", entry=saved.id, op=EDIT,
                                      revises=first.revises, at=first.at, payload={"text": "Slept 6 hours"},
                                      author="Bea", device="dev-b", hlc=_stamp(log, 6))])
        found = await to_choose(log, mum.id)
        shown, html = await _shown_count(log)
        assert len(found.entries) == 1 and found.count == shown == 2
        assert "The profile has two versions" in html and html.count("Keep this version") == 2
    asyncio.run(scenario())


def test_one_profile_entry_in_conflict_counts_once():
    async def scenario():
        log, store, mum = await _log()
        first = (await log.save_profile(mum.id, {"name": "Mum", "timezone": "Europe/Dublin"})).event
        await store.put_events([Event(id="dev-b-pe", recipient=mum.id, kind=PROFILE, entry=first.entry, op=EDIT,
                                      revises=first.revises, at=first.at, payload=BOB, author="Bob",
                                      device="dev-b", hlc=_stamp(log, 7))])
        found = await to_choose(log, mum.id)
        assert len(found.profile_versions) == 2 and found.entries == [] and found.count == 1
        assert (await _shown_count(log))[0] == 1
    asyncio.run(scenario())

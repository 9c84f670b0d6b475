"""The conflicts screen: every entry with two versions, side by side, each
with "Keep this version"; choosing one resolves the entry and the screen
stays, until nothing is left to choose. Synced text stays text."""

from __future__ import annotations

import asyncio

from carelog.adapters.memory import CountingIds, MemoryEntryStore, MemorySettings
from carelog.bootstrap import build_for_tests
from carelog.domain.events import EDIT, Event
from carelog.ui import sync_views
from carelog.ui.controller import Controller
from carelog.ui.views import render


async def _log_with_conflict():
    store = MemoryEntryStore()
    log = build_for_tests(store=store, settings=MemorySettings({"device_id": "dev-a"}), ids=CountingIds("a"))
    await log.start()
    await log.set_caregiver("Ann")
    mum = await log.add_recipient({"name": "Mum"})
    await log.choose_recipient(mum.id)
    saved = await log.log(mum.id, "note", {"text": "Slept well"})
    plain = await log.log(mum.id, "note", {"text": "No conflict here"})
    first = await log.edit(saved.id, {"text": "Slept badly <b>really</b>"})
    base = first.event
    # a second device's edit of the same head, made without seeing the first
    other = Event(id="dev-b-e1", recipient=mum.id, kind="note", entry=saved.id, op=EDIT,
                  revises=base.revises, at=base.at, payload={"text": "Slept 6 hours"}, author="Bea",
                  device="dev-b", hlc=base.hlc[:-5] + "dev-b")
    await store.put_events([other])
    return log, saved, plain


def test_conflicts_screen_lists_versions_and_keeps_the_chosen_one():
    async def scenario():
        log, saved, plain = await _log_with_conflict()
        c = Controller(log)
        await c.start()
        await c.navigate("#/conflicts")
        html = str(render(c.state))
        assert "Entries with two versions" in html
        assert html.count("Keep this version") == 2 and "No conflict here" not in html
        assert "Slept badly &lt;b&gt;really&lt;/b&gt;" in html and "Slept 6 hours" in html
        chosen = next(v for v in c.state.conflicts[0].conflict if v.payload.get("text") == "Slept 6 hours")
        await c.action("resolve", {"id": chosen.id})
        assert c.state.screen == "conflicts" and c.state.conflicts == []
        assert "Nothing to choose" in str(render(c.state))
        entry = await log.entry(saved.id)
        assert not entry.in_conflict and entry.payload["text"] == "Slept 6 hours"
    asyncio.run(scenario())


def test_status_line_links_to_the_screen_only_when_conflicts_exist():
    assert "#/conflicts" not in str(sync_views.status_line("Synced.", configured=True, running=False, problem=False))
    line = str(sync_views.status_line("Synced.", configured=True, running=False, problem=False, conflicts=2))
    assert 'href="#/conflicts"' in line and "2 entries have two versions" in line

"""The EntryStore contract: every implementation must pass every check.

Plain async functions with no test-framework imports, so the same file runs
under CPython against the in-memory store (``test_memory_contract.py``) and
inside Chromium under Pyodide against IndexedDB (``tests/browser``).

    results = await run_all(make_store)   # make_store: async () -> fresh empty store
"""

from __future__ import annotations

import traceback

from carelog.domain.events import CREATE, DELETE, EDIT, Event
from carelog.ports import StorageFull


def _event(n: int, recipient: str = "r1", kind: str = "note", at: int | None = None, entry: str | None = None,
           op: str = CREATE, revises: tuple = (), payload: dict | None = None) -> Event:
    ident = f"e{n:06d}"
    return Event(id=ident, recipient=recipient, kind=kind, entry=entry or ident, op=op, revises=revises,
                 at=1_700_000_000_000 + (n if at is None else at) * 1000,
                 payload=payload if payload is not None else {"text": f"entry {n} <b>&amp;</b> ünïcode"},
                 author="Ann", device="dev-1", hlc=f"{1_700_000_000_000 + n:013d}-000000-dev-1")


async def check_empty_store(make_store):
    store = await make_store()
    assert await store.events_in_range("r1") == []
    assert await store.events_of_entries(["nope"]) == []
    assert await store.events_of_kind("note") == []
    assert await store.latest_hlc() is None


async def check_round_trip_exact(make_store):
    store = await make_store()
    original = _event(1, payload={"text": "x", "n": 1.5, "list": [1, "a", None, True], "nested": {"k": "v"}})
    assert await store.put_events([original]) == 1
    (back,) = await store.events_of_entries([original.entry])
    assert back == original and back.payload == original.payload


async def check_batch_counts_new_and_ignores_duplicates(make_store):
    store = await make_store()
    batch = [_event(n) for n in range(50)]
    assert await store.put_events(batch) == 50
    assert await store.put_events(batch[:10] + [_event(50)]) == 1
    assert len(await store.events_in_range("r1")) == 51


async def check_duplicate_keeps_first_version(make_store):
    store = await make_store()
    first = _event(1, payload={"text": "first"})
    await store.put_events([first])
    await store.put_events([_event(1, payload={"text": "forged"})])
    (back,) = await store.events_of_entries([first.entry])
    assert back.payload == {"text": "first"}


async def check_range_by_time_and_order(make_store):
    store = await make_store()
    await store.put_events([_event(n, at=(n * 7) % 100) for n in range(100)])
    newest = await store.events_in_range("r1")
    assert [e.at for e in newest] == sorted((e.at for e in newest), reverse=True)
    oldest = await store.events_in_range("r1", newest_first=False)
    assert [e.at for e in oldest] == sorted(e.at for e in oldest)
    start, end = 1_700_000_000_000 + 10_000, 1_700_000_000_000 + 20_000
    window = await store.events_in_range("r1", start_at=start, end_at=end)
    assert sorted(e.at for e in window) == list(range(start, end, 1000))
    assert len(await store.events_in_range("r1", limit=7)) == 7
    assert [e.at for e in await store.events_in_range("r1", limit=3)] == [e.at for e in newest[:3]]


async def check_range_filters_recipient_and_kind(make_store):
    store = await make_store()
    events = [_event(n, recipient="r1" if n % 2 else "r2", kind=("note", "vital", "symptom")[n % 3]) for n in range(60)]
    await store.put_events(events)
    r1_vitals = await store.events_in_range("r1", kinds=["vital"])
    assert {e.id for e in r1_vitals} == {e.id for e in events if e.recipient == "r1" and e.kind == "vital"}
    r2_two = await store.events_in_range("r2", kinds=["note", "symptom"], limit=5)
    assert len(r2_two) == 5 and all(e.recipient == "r2" and e.kind in ("note", "symptom") for e in r2_two)
    assert await store.events_in_range("r3") == []


async def check_entries_history(make_store):
    store = await make_store()
    create = _event(1)
    edit = _event(2, entry=create.id, op=EDIT, revises=(create.id,), payload={"text": "changed"})
    delete = _event(3, entry=create.id, op=DELETE, revises=(edit.id,), payload={})
    other = _event(4)
    await store.put_events([create, other])
    await store.put_events([edit, delete])
    history = await store.events_of_entries([create.id])
    assert {e.id for e in history} == {create.id, edit.id, delete.id}
    both = await store.events_of_entries([create.id, other.id, "missing"])
    assert {e.id for e in both} == {create.id, edit.id, delete.id, other.id}


async def check_histories_in_range(make_store):
    """Whole histories of the entries with an event in the range, each event once, in one call."""
    store = await make_store()
    inside = _event(10, at=10)                                  # never edited
    edited = _event(11, at=11)                                  # edited later, time kept
    edit = _event(12, entry=edited.id, op=EDIT, revises=(edited.id,), at=11, payload={"text": "changed"})
    moved_out = _event(13, at=12)                               # its time edited to before the range
    move_out = _event(14, entry=moved_out.id, op=EDIT, revises=(moved_out.id,), at=1, payload={"text": "early"})
    moved_in = _event(15, at=1)                                 # its time edited into the range
    move_in = _event(16, entry=moved_in.id, op=EDIT, revises=(moved_in.id,), at=13, payload={"text": "late"})
    deleted = _event(17, at=14)
    delete = _event(18, entry=deleted.id, op=DELETE, revises=(deleted.id,), at=14, payload={})
    outside = _event(19, at=30)
    vital = _event(20, at=12, kind="vital", payload={"type": "spo2", "value": 97})
    elsewhere = _event(21, at=12, recipient="r2")
    await store.put_events([inside, edited, moved_out, moved_in, deleted, outside, vital, elsewhere])
    await store.put_events([edit, move_out, move_in, delete])
    lo, hi = _event(0, at=10).at, _event(0, at=20).at
    found = await store.histories_in_range("r1", start_at=lo, end_at=hi)
    assert sorted(e.id for e in found) == sorted(e.id for e in (
        inside, edited, edit, moved_out, move_out, moved_in, move_in, deleted, delete, vital))
    notes = await store.histories_in_range("r1", start_at=lo, end_at=hi, kinds=("note",))
    assert vital.id not in {e.id for e in notes} and len(notes) == 9
    vitals = await store.histories_in_range("r1", start_at=lo, end_at=hi, kinds=("vital",))
    assert vitals == [vital]
    assert {e.id for e in await store.histories_in_range("r1", start_at=_event(0, at=25).at)} == {outside.id}
    assert len(await store.histories_in_range("r1")) == 11
    assert await store.histories_in_range("r3") == []


async def check_events_of_kind(make_store):
    store = await make_store()
    await store.put_events([_event(n, kind="recipient" if n < 3 else "note") for n in range(10)])
    assert sorted(e.id for e in await store.events_of_kind("recipient")) == ["e000000", "e000001", "e000002"]


async def check_latest_hlc(make_store):
    store = await make_store()
    await store.put_events([_event(n) for n in (5, 50, 7)])
    assert await store.latest_hlc() == _event(50).hlc


async def check_bulk_batch(make_store):
    store = await make_store()
    await store.put_events([_event(n, at=n) for n in range(5000)])
    assert len(await store.events_in_range("r1", limit=None)) == 5000


async def check_event_feed_in_insertion_order(make_store):
    """The sync change feed (``ports.EventFeed``), where the store offers one."""
    store = await make_store()
    if not hasattr(store, "events_after"):
        return
    assert await store.events_after(0, 10) == ([], 0)
    # stored out of clock order: the feed follows the order of storing, not the clock
    await store.put_events([_event(n) for n in (30, 10, 20)])
    await store.put_events([_event(10), _event(5)])  # a duplicate takes no position
    events, last = await store.events_after(0, 100)
    assert [e.id for e in events] == ["e000030", "e000010", "e000020", "e000005"]
    first, cursor = await store.events_after(0, 2)
    assert [e.id for e in first] == ["e000030", "e000010"]
    rest, end = await store.events_after(cursor, 100)
    assert [e.id for e in rest] == ["e000020", "e000005"] and end == last
    assert await store.events_after(last, 100) == ([], last)
    await store.put_events([_event(99)])
    newer, after = await store.events_after(last, 100)
    assert [e.id for e in newer] == ["e000099"] and after > last


async def check_event_feed_of_one_device(make_store):
    """``events_after(..., device)``: only that device's events, and the position
    of the last one looked at (so a caller can skip the others' events)."""
    store = await make_store()
    if not hasattr(store, "events_after"):
        return
    from dataclasses import replace  # noqa: PLC0415

    mine = [_event(n) for n in (1, 2)]
    theirs = [replace(_event(n), device="dev-2", hlc=f"{1_700_000_000_000 + n:013d}-000000-dev-2")
              for n in (3, 4, 5)]
    await store.put_events([mine[0], *theirs, mine[1]])
    everything, end = await store.events_after(0, 100)
    first, cursor = await store.events_after(0, 3, "dev-1")
    assert [e.id for e in first] == ["e000001"] and 0 < cursor < end
    _, p1 = await store.events_after(0, 1)
    skipped, cursor2 = await store.events_after(p1, 2, "dev-1")
    assert skipped == [] and cursor2 > p1  # looked at two of dev-2's: none returned, position moved
    rest, last = await store.events_after(cursor, 100, "dev-1")
    assert [e.id for e in rest] == ["e000002"] and last == end
    assert [e.id for e in (await store.events_after(0, 100, "dev-2"))[0]] == ["e000003", "e000004", "e000005"]
    assert await store.events_after(end, 100, "dev-1") == ([], end)


async def check_records_after_of_one_device(make_store):
    """``records_after``: up to ``limit`` of one device's events as records, however
    many others' lie between, each with its own position; ``last`` is the last
    position looked at (the limit-th record's when the limit is reached)."""
    store = await make_store()
    if not hasattr(store, "records_after"):
        return
    from dataclasses import replace  # noqa: PLC0415

    def theirs(n):
        return replace(_event(n), device="dev-2", hlc=f"{1_700_000_000_000 + n:013d}-000000-dev-2")
    order = [_event(1), theirs(2), theirs(3), _event(4), theirs(5), _event(6), theirs(7)]
    await store.put_events(order)
    _, end = await store.events_after(0, 100)
    assert await store.records_after(0, 100, "dev-9") == ([], [], end)  # nothing of dev-9: one call, at the end
    records, positions, last = await store.records_after(0, 100, "dev-1")
    assert records == [e.to_record() for e in order if e.device == "dev-1"] and last == end
    assert len(positions) == 3 and positions == sorted(positions) and positions[-1] < end
    two, first_positions, stop = await store.records_after(0, 2, "dev-1")
    assert [r["id"] for r in two] == ["e000001", "e000004"] and first_positions == positions[:2]
    assert stop == positions[1]  # not past the next one of dev-1's
    rest, rest_positions, after = await store.records_after(stop, 10, "dev-1")
    assert [r["id"] for r in rest] == ["e000006"] and rest_positions == positions[2:] and after == end
    assert await store.records_after(end, 10, "dev-1") == ([], [], end)


async def check_records_after_many_with_others_between(make_store):
    """``records_after`` over many of one device's events (IndexedDB reads them as
    one clock range when it can): exactly that device's events in feed order,
    with a few or many other devices' events stamped between them, and one of its
    own stamped out of order (before all the others), whatever the limit."""
    from dataclasses import replace  # noqa: PLC0415

    def mine(n, hlc=None):
        return replace(_event(n), hlc=hlc or f"{1_700_000_000_000 + n * 10:013d}-000000-dev-1")

    def theirs(n, between):
        return replace(_event(n), device="dev-2", hlc=f"{1_700_000_000_000 + between * 10 + 5:013d}-000001-dev-2")

    for others in (40, 400):  # few between (one range read), many (read by id)
        store = await make_store()
        if not hasattr(store, "records_after"):
            return
        own = [mine(n) if n != 75 else mine(n, "1600000000000-000000-dev-1") for n in range(1, 151)]
        other = [theirs(1000 + k, 1 + k * 149 // others) for k in range(others)]
        stamp = {e.id: e.hlc for e in own + other}
        order = sorted(own + other, key=lambda e: (stamp[e.id].replace("1600000000000", "1700000000750"), e.id))
        for k in range(0, len(order), 37):  # several batches, each event its own feed position
            await store.put_events(order[k:k + 37])
        expected = [e.to_record() for e in order if e.device == "dev-1"]
        records, positions, last = await store.records_after(0, 1000, "dev-1")
        assert records == expected, others
        assert len(positions) == 150 and positions == sorted(set(positions))
        for limit in (64, 70, 149):
            seen, cursor = [], 0
            while True:
                page, _, cursor = await store.records_after(cursor, limit, "dev-1")
                seen.extend(page)
                if len(page) < limit:
                    break
            assert seen == expected, (others, limit)


async def check_put_pulled_stores_events_and_state(make_store):
    """``put_pulled``: the events (new ones counted, duplicates kept as they were)
    and the settings values both written."""
    store = await make_store()
    if not hasattr(store, "put_pulled"):
        return
    settings = getattr(store, "bound_settings", None)
    if settings is None:
        from carelog.adapters.memory import MemorySettings  # noqa: PLC0415
        settings = MemorySettings()
    first = _event(1)
    await store.put_events([first])
    from dataclasses import replace  # noqa: PLC0415
    changed = replace(first, payload={"text": "other"})
    added = await store.put_pulled([changed, _event(2), _event(3)], settings, {"sync:x:checkpoints": {"d": 1}})
    assert added == 2
    assert await settings.get("sync:x:checkpoints") == {"d": 1}
    assert (await store.events_of_entries(["e000001"]))[0].payload == first.payload
    feed, _ = await store.events_after(0, 100)
    assert [e.id for e in feed] == ["e000001", "e000002", "e000003"]  # new events got feed positions


async def check_pulled_batch_in_the_feed(make_store):
    """A pulled batch between a device's own events (IndexedDB gives the batch ONE
    feed position): the feed lists every event once in the order stored, paging
    with a small limit loses nothing (a page shorter than its limit is the last),
    a device filter still works, and a push reads only its own events, each with
    a position that never steps over an unsent one."""
    store = await make_store()
    if not hasattr(store, "put_pulled") or not hasattr(store, "records_after"):
        return
    from dataclasses import replace  # noqa: PLC0415

    settings = getattr(store, "bound_settings", None)
    if settings is None:
        from carelog.adapters.memory import MemorySettings  # noqa: PLC0415
        settings = MemorySettings()

    def theirs(n):
        return replace(_event(n), device="dev-2", hlc=f"{1_700_000_000_000 + n:013d}-000000-dev-2")
    await store.put_events([_event(1)])
    pulled = [theirs(n) for n in range(2, 9)]
    assert await store.put_pulled(pulled, settings, {"sync:x:checkpoints": {"dev-2": 3}}) == 7
    assert await store.put_pulled([theirs(3), theirs(9)], settings, {}) == 1  # the duplicate takes no place
    await store.put_events([_event(10)])
    order = ["e000001", *[f"e{n:06d}" for n in range(2, 10)], "e000010"]
    everything, end = await store.events_after(0, 100)
    assert [e.id for e in everything] == order
    for limit in (1, 2, 3):
        seen, cursor = [], 0
        while True:
            page, after = await store.events_after(cursor, limit)
            assert after >= cursor
            seen.extend(e.id for e in page)
            if len(page) < limit:
                break
            cursor = after
        assert seen == order, (limit, seen)
        assert after == end
    assert [e.id for e in (await store.events_after(0, 100, "dev-2"))[0]] == order[1:-1]
    assert [e.id for e in (await store.events_after(0, 100, "dev-1"))[0]] == ["e000001", "e000010"]
    records, positions, last = await store.records_after(0, 100, "dev-1")
    assert [r["id"] for r in records] == ["e000001", "e000010"] and last == end
    one, first_position, stop = await store.records_after(0, 1, "dev-1")
    assert [r["id"] for r in one] == ["e000001"] and stop == first_position[0] == positions[0]
    rest, rest_positions, after = await store.records_after(stop, 10, "dev-1")
    assert [r["id"] for r in rest] == ["e000010"] and rest_positions == positions[1:] and after == end


CHECKS = [
    check_empty_store, check_round_trip_exact, check_batch_counts_new_and_ignores_duplicates,
    check_duplicate_keeps_first_version, check_range_by_time_and_order, check_range_filters_recipient_and_kind,
    check_entries_history, check_histories_in_range, check_events_of_kind, check_latest_hlc, check_bulk_batch,
    check_event_feed_in_insertion_order, check_event_feed_of_one_device, check_records_after_of_one_device,
    check_records_after_many_with_others_between,
    check_put_pulled_stores_events_and_state, check_pulled_batch_in_the_feed,
]


async def run_all(make_store) -> list[dict]:
    """Run every check; return ``[{"name", "ok", "error"}]`` (never raises)."""
    results = []
    for check in CHECKS:
        try:
            await check(make_store)
            results.append({"name": check.__name__, "ok": True, "error": ""})
        except Exception:  # report, do not stop: the caller asserts on the list
            results.append({"name": check.__name__, "ok": False, "error": traceback.format_exc(limit=4)})
    return results


__all__ = ["CHECKS", "run_all", "StorageFull"]

"""The merge laws: union of events by id is commutative, associative and
idempotent, on plain sets and through stores; the fold of a merge does not
depend on the order in which logs were merged."""

from __future__ import annotations

import asyncio
import json

from hypothesis import given, settings, strategies as st

from carelog.adapters.memory import MemoryEntryStore
from carelog.domain.events import CREATE, DELETE, EDIT, Event
from carelog.domain.fold import fold
from carelog.sync.merge import canonical, merge, missing_from

FAST = settings(max_examples=100, deadline=None)


def _event(i: int, entry: int, op: str, revises: tuple, text: str, device: str) -> Event:
    ident = f"e{i}"
    return Event(id=ident, recipient="r1", kind="note", entry=ident if op == CREATE else f"e{entry}", op=op,
                 revises=revises, at=1_700_000_000_000 + i, payload={} if op == DELETE else {"text": text},
                 author=device, device=device, hlc=f"{1_700_000_000_000 + i:013d}-000000-{device}")


DEVICES = ("d1", "d2", "d3")
_SIZE, _PICK, _BIT = st.integers(1, 25), st.integers(0, 10**6), st.booleans()


@st.composite
def histories(draw):
    """A pool of events over a few entries, with edits and deletes that revise earlier events
    of the same entry (concurrent revisions included)."""
    events: list[Event] = []
    by_entry: dict[int, list[int]] = {}
    for i in range(draw(_SIZE)):
        device = DEVICES[draw(_PICK) % 3]
        if not by_entry or draw(_BIT):
            events.append(_event(i, i, CREATE, (), f"t{i}", device))
            by_entry[i] = [i]
        else:
            keys = sorted(by_entry)
            entry = keys[draw(_PICK) % len(keys)]
            chain = by_entry[entry]
            revised = {chain[draw(_PICK) % len(chain)]}
            if draw(_BIT):
                revised.add(chain[draw(_PICK) % len(chain)])
            op = (EDIT, EDIT, DELETE)[draw(_PICK) % 3]
            events.append(_event(i, entry, op, tuple(f"e{r}" for r in sorted(revised)), f"t{i}", device))
            chain.append(i)
    return events


@st.composite
def three_logs(draw):
    pool = draw(histories())
    masks = [draw(st.integers(0, 2 ** len(pool) - 1)) for _ in range(3)]
    return tuple([e for k, e in enumerate(pool) if mask >> k & 1] for mask in masks)


def _view(events) -> dict:
    return {k: (e.payload, e.deleted, e.head_ids, tuple(c.id for c in e.conflict))
            for k, e in fold(events, include_deleted=True).items()}


@FAST
@given(three_logs())
def test_merge_is_commutative(logs):
    a, b, _ = logs
    assert merge(a, b) == merge(b, a)


@FAST
@given(three_logs())
def test_merge_is_associative(logs):
    a, b, c = logs
    assert merge(merge(a, b).values(), c) == merge(a, merge(b, c).values()) == merge(a, b, c)


@FAST
@given(three_logs())
def test_merge_is_idempotent(logs):
    a, b, _ = logs
    once = merge(a, b)
    assert merge(once.values(), a) == once
    assert merge(a, a) == merge(a)


@FAST
@given(three_logs(), st.randoms(use_true_random=False))
def test_fold_of_a_merge_does_not_depend_on_order(logs, rnd):
    a, b, c = logs
    merged = list(merge(a, b, c).values())
    shuffled = merged[:]
    rnd.shuffle(shuffled)
    assert _view(merged) == _view(shuffled) == _view(list(merge(c, a, b).values()))


@settings(max_examples=60, deadline=None)
@given(three_logs(), st.permutations([0, 1, 2]))
def test_stores_merge_like_sets(logs, order):
    """put_events into a store is the same union: any order of batches, repeated
    batches, all give the same set of events and the same fold."""
    async def load(batches):
        store = MemoryEntryStore()
        for batch in batches:
            await store.put_events(batch)
        return (await store.events_after(0, 10**6))[0]

    straight = asyncio.run(load(list(logs)))
    permuted = asyncio.run(load([logs[i] for i in order] + [logs[order[0]]]))
    assert {e.id: e for e in straight} == {e.id: e for e in permuted} == merge(*logs)
    assert _view(straight) == _view(permuted)


def test_a_forged_duplicate_id_still_merges_deterministically():
    real = _event(1, 1, CREATE, (), "real", "d1")
    forged = _event(1, 1, CREATE, (), "forged", "d1")
    assert merge([real], [forged]) == merge([forged], [real])
    assert merge([real], [forged])["e1"] in (real, forged)


def test_canonical_is_stable_json():
    e = _event(3, 3, CREATE, (), "ünï <b>", "d2")
    assert json.loads(canonical(e)) == e.to_record()
    assert canonical(e) == canonical(Event.from_record(json.loads(canonical(e))))


def test_missing_from_keeps_order():
    events = [_event(i, i, CREATE, (), "t", "d1") for i in range(5)]
    assert [e.id for e in missing_from({"e1", "e3"}, events)] == ["e0", "e2", "e4"]

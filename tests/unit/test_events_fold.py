"""Events: round-trip and rejection of records from outside. The fold: the
same set of events gives the same entries in any order, conflicts keep both
versions, deletes hide, resolving ends a conflict."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from carelog.domain.events import CREATE, DELETE, EDIT, Event, RecordError
from carelog.domain.fold import fold, heads_of, history

FAST = settings(max_examples=200, deadline=None)
GRAPHS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # each example is a whole revision graph


def stamp(n: int, device: str = "d1", counter: int = 0) -> str:
    return f"{1_700_000_000_000 + n:013d}-{counter:06x}-{device}"


def ev(ident: str, n: int, *, entry: str | None = None, op: str = CREATE, revises=(), text: str | None = None,
       author: str = "Ann", device: str = "d1", kind: str = "note", recipient: str = "r1") -> Event:
    return Event(id=ident, recipient=recipient, kind=kind, entry=entry or ident, op=op, revises=tuple(revises),
                 at=1_700_000_000_000 + n, payload={} if op == DELETE else {"text": text or ident},
                 author=author, device=device, hlc=stamp(n, device))


def valid_record(**changes) -> dict:
    record = ev("e1", 1).to_record()
    record.update(changes)
    return record


# --- events ----------------------------------------------------------------

def test_record_round_trip_through_json():
    original = ev("e2", 2, entry="e1", op=EDIT, revises=("e1",), text="<b>ünï</b>")
    back = Event.from_record(json.loads(json.dumps(original.to_record())))
    assert back == original and back.revises == ("e1",)
    assert back.stamp.wall == 1_700_000_000_002


def test_record_without_version_is_version_one():
    record = valid_record()
    del record["v"]
    assert Event.from_record(record).v == 1


@pytest.mark.parametrize("changes, why", [
    ({"v": 2}, "newer"), ({"v": 0}, "version"), ({"v": True}, "version"), ({"v": "1"}, "version"),
    ({"id": ""}, "id"), ({"id": 5}, "id"), ({"id": "x" * 101}, "id"), ({"op": "update"}, "operation"),
    ({"kind": "Note"}, "kind"), ({"kind": ""}, "kind"), ({"kind": None}, "kind"),
    ({"revises": ["e0"]}, "create revises nothing"), ({"revises": "e0"}, "revision"),
    ({"revises": [""]}, "revision"), ({"revises": [1]}, "revision"),
    ({"op": EDIT}, "revises something"), ({"op": DELETE, "revises": []}, "revises something"),
    ({"at": -1}, "time"), ({"at": 1.5}, "time"), ({"at": True}, "time"), ({"at": 10**14}, "time"),
    ({"at": "1700000000000"}, "time"),
    ({"payload": None}, "payload"), ({"payload": []}, "payload"),
    ({"payload": {"x": float("nan")}}, "payload"), ({"payload": {"x": float("inf")}}, "payload"),
    ({"payload": {"x": 2**53}}, "payload"), ({"payload": {1: "x"}}, "payload"),
    ({"payload": {"x": "y" * 10_001}}, "payload"), ({"payload": {"x": {1, 2}}}, "payload"),
    ({"payload": {"x": b"bytes"}}, "payload"),
    ({"hlc": "yesterday"}, "clock"), ({"hlc": None}, "clock"), ({"hlc": "1700000000001-00000A-d1"}, "clock"),
    ({"author": None}, "author"), ({"author": "a" * 201}, "author"),
    ({"entry": "other"}, "own entry"), ({"entry": None}, "entry"),
    ({"recipient": ""}, "recipient"), ({"device": None}, "device"),
    # ids travel in links (#/entry/<id>): opaque tokens only
    ({"id": "a b", "entry": "a b"}, "id"), ({"id": "<x>", "entry": "<x>"}, "id"), ({"id": "é", "entry": "é"}, "id"),
    ({"id": "e1\n", "entry": "e1\n"}, "id"), ({"id": "e/1", "entry": "e/1"}, "id"),
    ({"recipient": "r 1"}, "recipient"), ({"device": "d\"1"}, "device"),
    ({"op": EDIT, "revises": ["e0\""]}, "revision"),
])
def test_bad_records_are_refused_plainly(changes, why):
    with pytest.raises(RecordError, match=why):
        Event.from_record(valid_record(**changes))


@pytest.mark.parametrize("value", [None, [], "event", 5, ["id", "e1"]])
def test_non_objects_are_refused(value):
    with pytest.raises(RecordError):
        Event.from_record(value)


def test_deeply_nested_payload_is_refused():
    deep: dict = {"x": 1}
    for _ in range(12):
        deep = {"x": deep}
    with pytest.raises(RecordError):
        Event.from_record(valid_record(payload=deep))


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
json_like = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
FIELDS = ("id", "recipient", "kind", "entry", "op", "revises", "at", "payload", "author", "device", "hlc", "v")
field_values = st.one_of(json_like, st.sampled_from(
    ["e1", "e0", CREATE, EDIT, DELETE, "note", "vital", stamp(3), ["e1"], [], {}, 1, 0, -1, 10**14]))


@GRAPHS
@given(st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=12), st.sets(st.sampled_from(FIELDS)))
def test_fuzzed_records_raise_only_record_error(overrides, dropped):
    record = valid_record()
    record.update(overrides)
    for key in dropped:
        record.pop(key, None)
    try:
        event = Event.from_record(record)
    except RecordError:
        return
    # accepted: it must be a well-formed, JSON-faithful event
    again = Event.from_record(json.loads(json.dumps(event.to_record(), allow_nan=False)))
    assert again == event


@settings(max_examples=100, deadline=None)
@given(json_like)
def test_arbitrary_json_raises_only_record_error(value):
    try:
        Event.from_record(value)
    except RecordError:
        pass


# --- fold: hand-made cases -------------------------------------------------

def test_single_create_is_an_unedited_entry():
    (entry,) = fold([ev("a", 1)]).values()
    assert entry.payload == {"text": "a"} and not entry.edited and not entry.in_conflict
    assert entry.created_by == entry.updated_by == "Ann"


def test_edit_replaces_and_records_who():
    a = ev("a", 1)
    b = ev("b", 2, entry="a", op=EDIT, revises=["a"], text="changed", author="Bob")
    entry = fold([b, a])["a"]
    assert entry.payload == {"text": "changed"} and entry.edited
    assert (entry.created_by, entry.updated_by) == ("Ann", "Bob")
    assert entry.head_ids == ("b",)


def test_concurrent_edits_are_a_conflict_keeping_both():
    a = ev("a", 1)
    b = ev("b", 2, entry="a", op=EDIT, revises=["a"], text="from Ann", device="d1")
    c = ev("c", 3, entry="a", op=EDIT, revises=["a"], text="from Bob", author="Bob", device="d2")
    entry = fold([a, b, c])["a"]
    assert entry.in_conflict
    assert {e.payload["text"] for e in entry.conflict} == {"from Ann", "from Bob"}
    assert entry.payload == {"text": "from Bob"}, "the newest stamp is shown until someone chooses"


def test_delete_against_edit_is_a_conflict_and_stays_visible():
    a = ev("a", 1)
    edit = ev("b", 3, entry="a", op=EDIT, revises=["a"], text="kept", device="d1")
    delete = ev("c", 2, entry="a", op=DELETE, revises=["a"], device="d2")
    entries = fold([delete, edit, a])
    assert "a" in entries
    entry = entries["a"]
    assert entry.in_conflict and not entry.deleted
    assert {e.op for e in entry.conflict} == {EDIT, DELETE}
    assert entry.payload == {"text": "kept"}
    # even when the delete is newer, the surviving edit is what is shown
    newer_delete = ev("c", 9, entry="a", op=DELETE, revises=["a"], device="d2")
    entry = fold([a, edit, newer_delete])["a"]
    assert entry.in_conflict and entry.payload == {"text": "kept"}


def test_resolve_ends_the_conflict():
    a = ev("a", 1)
    b = ev("b", 2, entry="a", op=EDIT, revises=["a"], text="one")
    c = ev("c", 3, entry="a", op=EDIT, revises=["a"], text="two", device="d2")
    keep_b = ev("d", 4, entry="a", op=EDIT, revises=["b", "c"], text="one")
    entry = fold([a, b, c, keep_b])["a"]
    assert not entry.in_conflict and entry.payload == {"text": "one"} and entry.head_ids == ("d",)


def test_resolving_to_the_delete_hides_the_entry():
    a = ev("a", 1)
    b = ev("b", 2, entry="a", op=EDIT, revises=["a"], text="one")
    c = ev("c", 3, entry="a", op=DELETE, revises=["a"], device="d2")
    resolve = ev("d", 4, entry="a", op=DELETE, revises=["b", "c"])
    assert fold([a, b, c, resolve]) == {}
    hidden = fold([a, b, c, resolve], include_deleted=True)["a"]
    assert hidden.deleted and not hidden.in_conflict


def test_deleted_entries_are_hidden_unless_asked():
    a, other = ev("a", 1), ev("x", 2)
    delete = ev("d", 3, entry="a", op=DELETE, revises=["a"])
    assert list(fold([a, other, delete])) == ["x"]
    entry = fold([a, other, delete], include_deleted=True)["a"]
    assert entry.deleted and entry.payload == {"text": "a"}, "a deleted entry keeps its last content"


def test_undo_of_delete_brings_entry_back():
    a = ev("a", 1)
    delete = ev("d", 2, entry="a", op=DELETE, revises=["a"])
    undo = ev("u", 3, entry="a", op=EDIT, revises=["d"], text="a")
    entry = fold([undo, delete, a])["a"]
    assert not entry.deleted and entry.payload == {"text": "a"}


def test_entry_shown_before_its_create_arrives():
    edit = ev("b", 2, entry="a", op=EDIT, revises=["a"], text="later")
    entry = fold([edit])["a"]
    assert entry.payload == {"text": "later"}


def test_history_is_oldest_first_and_only_that_entry():
    a, x = ev("a", 1), ev("x", 2)
    b = ev("b", 3, entry="a", op=EDIT, revises=["a"])
    c = ev("c", 4, entry="a", op=DELETE, revises=["b"])
    assert [e.id for e in history([c, x, b, a], "a")] == ["a", "b", "c"]


# --- fold: laws over random revision graphs --------------------------------

@st.composite
def event_sets(draw):
    """A few entries, each a random revision graph by several devices."""
    events = []
    tick = 0
    for n in range(draw(st.integers(1, 3))):
        root = f"e{n}"
        group = [ev(root, tick, entry=root)]
        tick += 1
        for k in range(draw(st.integers(0, 5))):
            tick += draw(st.integers(0, 3))  # 0: equal wall times, told apart by device
            revised = draw(st.lists(st.sampled_from([g.id for g in group]), min_size=1, max_size=3, unique=True))
            op = draw(st.sampled_from([EDIT, EDIT, DELETE]))
            device = draw(st.sampled_from(["d1", "d2", "d3"]))
            group.append(ev(f"{root}.{k}", tick, entry=root, op=op, revises=revised, device=device,
                            author=device.upper(), text=f"{root} v{k}"))
        events += group
    return events


@GRAPHS
@given(event_sets(), st.randoms(use_true_random=False), st.data())
def test_fold_ignores_order_and_duplicates(events, rnd, data):
    expected = fold(events, include_deleted=True)
    shuffled = events + data.draw(st.lists(st.sampled_from(events), max_size=len(events)))
    rnd.shuffle(shuffled)
    assert fold(shuffled, include_deleted=True) == expected
    assert fold(shuffled) == fold(events)
    assert history(shuffled, "e0") == history(events, "e0")


@GRAPHS
@given(event_sets())
def test_fold_matches_the_revision_graph(events):
    entries = fold(events, include_deleted=True)
    for entry_id, entry in entries.items():
        group = {e.id: e for e in events if e.entry == entry_id}
        heads = heads_of(group)
        live = [h for h in heads if h.op != DELETE]
        assert entry.head_ids == tuple(h.id for h in heads)
        assert entry.deleted == (not live)
        assert entry.in_conflict == (len(heads) > 1 and bool(live))
        if entry.in_conflict:
            assert {e.id for e in entry.conflict} == {h.id for h in heads}, "every version is kept"
        if live:
            assert entry.payload == live[0].payload
        assert (entry_id in fold(events)) == (not entry.deleted)


@GRAPHS
@given(event_sets(), st.integers(0, 3), st.booleans())
def test_resolving_any_conflict_ends_it(events, pick, to_delete):
    entries = fold(events)
    for entry_id, entry in entries.items():
        if not entry.in_conflict:
            continue
        keep = entry.conflict[pick % len(entry.conflict)]
        op = DELETE if keep.op == DELETE else EDIT
        resolve = ev(f"{entry_id}.resolve", 10_000, entry=entry_id, op=op, revises=entry.head_ids,
                     text=keep.payload.get("text"))
        after = fold(events + [resolve], include_deleted=True)[entry_id]
        assert not after.in_conflict and after.head_ids == (resolve.id,)
        assert after.deleted == (op == DELETE)
        if op == EDIT:
            assert after.payload == keep.payload


# --- stored records: the store's own read path ------------------------------

def test_stored_record_reads_back_as_the_same_event():
    original = ev("e2", 2, entry="e1", op=EDIT, revises=("e1",), text="<b>ünï</b>")
    assert Event.from_stored(json.loads(json.dumps(original.to_record()))) == original
    record = valid_record()
    del record["v"]
    assert Event.from_stored(record) == Event.from_record(valid_record())


@pytest.mark.parametrize("changes, why", [
    ({"v": 2}, "newer"), ({"v": True}, "newer"), ({"v": "1"}, "newer"), ({"op": "update"}, "operation"),
    ({"at": "1700000000000"}, "time"), ({"at": True}, "time"), ({"payload": []}, "payload"),
    ({"revises": "e0"}, "revision"), ({"id": 5}, "text"), ({"hlc": None}, "text"), ({"author": 1}, "text")])
def test_stored_records_of_a_newer_schema_or_the_wrong_shape_are_refused(changes, why):
    with pytest.raises(RecordError, match=why):
        Event.from_stored(valid_record(**changes))


@GRAPHS
@given(st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=12), st.sets(st.sampled_from(FIELDS)))
def test_stored_path_agrees_with_the_full_check_on_every_record_that_passes_it(overrides, dropped):
    record = valid_record()
    record.update(overrides)
    for key in dropped:
        record.pop(key, None)
    try:
        checked = Event.from_record(record)
    except RecordError:
        try:
            Event.from_stored(record)  # may accept a shape the full check refuses; never raises otherwise
        except RecordError:
            pass
        return
    assert Event.from_stored(record) == checked


@settings(max_examples=100, deadline=None)
@given(json_like)
def test_stored_path_raises_only_record_error(value):
    try:
        Event.from_stored(value)
    except RecordError:
        pass

"""The hybrid logical clock: monotonic whatever the wall clock does, and its
text form sorts like the stamps it encodes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from carelog.domain.hlc import MAX_COUNTER, HybridClock, Stamp

FAST = settings(max_examples=200, deadline=None)
LIGHT = settings(max_examples=100, deadline=None)

# Wall readings up to the year ~2286 (13 digits), including 0 and a few
# negatives (a tablet whose clock was reset before 1970).
walls = st.integers(min_value=-10**6, max_value=10**13 // 2)
counters = st.integers(min_value=0, max_value=MAX_COUNTER)
devices = st.text(min_size=1, max_size=12)
stamps = st.builds(Stamp, st.integers(min_value=0, max_value=10**13 // 2), counters, devices)


class SteppedWall:
    """A wall clock that returns a scripted sequence of readings."""

    def __init__(self, start: int = 0):
        self.value = start

    def __call__(self) -> int:
        return self.value


def test_same_wall_reading_bumps_counter():
    clock = HybridClock("d", wall_ms=lambda: 5_000)
    a, b, c = clock.now(), clock.now(), clock.now()
    assert a < b < c
    assert (a.wall, a.counter) == (5_000, 0) and (c.wall, c.counter) == (5_000, 2)


def test_clock_jumping_back_does_not_go_back():
    wall = SteppedWall(10_000)
    clock = HybridClock("d", wall_ms=wall)
    first = clock.now()
    wall.value = 1_000  # someone set the tablet's clock back
    second = clock.now()
    assert second > first and second.wall == 10_000 and second.counter == 1
    wall.value = 20_000  # and forward again
    third = clock.now()
    assert third == Stamp(20_000, 0, "d")


def test_counter_overflow_moves_to_next_millisecond():
    clock = HybridClock("d", wall_ms=lambda: 7, last=Stamp(7, MAX_COUNTER, "d"))
    nxt = clock.now()
    assert nxt == Stamp(8, 0, "d") and nxt > Stamp(7, MAX_COUNTER, "zzz")


def test_observe_moves_past_remote_stamp_and_ignores_older():
    clock = HybridClock("a", wall_ms=lambda: 100)
    clock.observe(Stamp(5_000, 3, "z"))
    assert clock.now() == Stamp(5_000, 4, "a")
    clock.observe(Stamp(1, 0, "z"))  # an old stamp changes nothing
    assert clock.now() == Stamp(5_000, 5, "a")


def test_device_is_required():
    with pytest.raises(ValueError):
        HybridClock("", wall_ms=lambda: 0)


@FAST
@given(st.lists(st.one_of(st.tuples(st.just("tick"), walls), st.tuples(st.just("seen"), stamps)),
                min_size=1, max_size=40),
       devices)
def test_stamps_strictly_increase_whatever_the_wall_does(steps, device):
    wall = SteppedWall()
    clock = HybridClock(device, wall_ms=wall)
    issued: list[Stamp] = []
    floor = None  # the greatest (wall, counter) issued or observed so far
    for what, value in steps:
        if what == "seen":
            clock.observe(value)
            key = (value.wall, value.counter)
            floor = key if floor is None or key > floor else floor
            continue
        wall.value = value
        stamp = clock.now()
        assert stamp.device == device
        if issued:
            assert stamp > issued[-1]
        if floor is not None:
            assert (stamp.wall, stamp.counter) > floor, "a new stamp must pass every stamp seen"
        assert stamp.wall >= value, "a stamp is never behind the physical clock"
        assert 0 <= stamp.counter <= MAX_COUNTER
        issued.append(stamp)
        floor = (stamp.wall, stamp.counter)
    assert clock.last.device == device


@FAST
@given(stamps)
def test_encode_decode_round_trip(stamp):
    text = stamp.encode()
    assert Stamp.decode(text) == stamp
    assert Stamp.decode(text).encode() == text


@LIGHT
@given(stamps, stamps)
def test_encoded_order_is_stamp_order(a, b):
    ea, eb = a.encode(), b.encode()
    assert (ea < eb) == (a < b)
    assert (ea == eb) == (a == b)


@settings(max_examples=60, deadline=None)
@given(st.lists(stamps, min_size=2, max_size=30))
def test_sorting_text_sorts_stamps(many):
    assert [Stamp.decode(t) for t in sorted(s.encode() for s in many)] == sorted(many)


GARBAGE = [
    "", "-", "--", "0000000000005-000000-", "0000000000005-000000", "000000000005-000000-d",
    "00000000000005-000000-d", "0000000000005-00000-d", "0000000000005-0000000-d",
    "000000000000x-000000-d", "0000000000005-00000g-d", "-000000000005-000000-d",
    "+000000000005-000000-d", " 000000000005-000000-d", "0000000000005- 00001-d",
    "0000000000005-+00001-d", "0000000000005-0_0001-d", "0000000000005-00000A-d",
    "٠٠٠٠٠٠٠٠٠٠٠٠٥-000000-d",  # Arabic-Indic digits
    "000000000000²-000000-d", "0000000000005-٠٠٠٠٠١-d", "0000000000005\n-000000-d",
]


@pytest.mark.parametrize("text", GARBAGE)
def test_decode_rejects_garbage(text):
    with pytest.raises(ValueError):
        Stamp.decode(text)


@pytest.mark.parametrize("value", [None, 5, 5.0, b"0000000000005-000000-d", ["x"], {"a": 1}])
def test_decode_rejects_non_text(value):
    with pytest.raises(ValueError):
        Stamp.decode(value)


@LIGHT
@given(st.text(max_size=40))
def test_decode_accepts_only_canonical_text(text):
    try:
        stamp = Stamp.decode(text)
    except ValueError:
        return
    assert stamp.encode() == text, "decode must accept only what encode produces"


@LIGHT
@given(stamps, st.text(max_size=5))
def test_decode_of_mangled_stamp_is_canonical_or_refused(stamp, junk):
    text = stamp.encode()
    for mangled in (junk + text, text[:13] + junk + text[13:], text[:14] + junk + text[20:]):
        try:
            back = Stamp.decode(mangled)
        except ValueError:
            continue
        assert back.encode() == mangled

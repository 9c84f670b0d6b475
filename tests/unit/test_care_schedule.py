"""Schedules in the recipient's time zone: wall time <-> instant rules (gaps move
forward, repeated hours count once), parsing, plain-language descriptions, and
property tests across zones and daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import os
import time

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from carelog.domain import zones
from carelog.domain.schedule import (AsNeeded, EveryHours, TimesOfDay, describe, parse_clock, parse_schedule,
                                     parse_times, parse_weekdays, schedule_from_payload, slots_between, slots_in)
from carelog.domain.zones import UnknownZone, day_bounds, resolve, to_instant, to_wall, wall_key, zone

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata",
         "America/Santiago", "America/Havana", "Africa/Casablanca", "Europe/Dublin", "America/Sao_Paulo"]
H = 3_600_000


def naive(ms: int, tz) -> dt.datetime:
    return to_wall(ms, tz).replace(tzinfo=None, fold=0)


def _transition_days(name: str) -> list[dt.date]:
    tz = zone(name)
    out, day = [], dt.date(2016, 1, 1)
    before = dt.datetime.combine(day, dt.time(12), tzinfo=tz).utcoffset()
    while day.year < 2031:
        day += dt.timedelta(days=1)
        now = dt.datetime.combine(day, dt.time(12), tzinfo=tz).utcoffset()
        if now != before:
            out.append(day)
        before = now
    return out or [dt.date(2016, 1, 1) + dt.timedelta(days=37 * i) for i in range(150)]


TRANSITIONS = {name: _transition_days(name) for name in ZONES}


# Times near the usual change hours (00:00-03:00, 02:45 Chatham, 23:30) come up often.
minutes = st.one_of(st.integers(0, 1439), st.sampled_from([0, 15, 30, 59, 60, 75, 90, 119, 120, 130, 135, 150,
                                                           165, 170, 179, 180, 210, 225, 1380, 1410, 1439]))


def _change_minutes(tz, day: dt.date) -> list[int]:
    """Minutes of ``day``'s wall clock that are skipped or repeated by a clock change that day."""
    lo, hi = day_bounds(day, tz)
    lo -= 1000  # a change at midnight: the day starts after it
    before, after = to_wall(lo, tz).utcoffset(), to_wall(hi - 1, tz).utcoffset()
    if before == after:
        return []
    while hi - lo > 1000:  # find the change instant
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if to_wall(mid, tz).utcoffset() == before else (lo, mid)
    start = naive(hi, tz) - (after - before) if after > before else naive(hi, tz)
    length = abs(after - before) // dt.timedelta(minutes=1)
    first = (start.hour * 60 + start.minute) if start.date() == day else 0
    return [m for m in range(first, first + length) if m < 1440]


@st.composite
def zone_and_day(draw, span: int = 2):
    """A zone and a local date at most ``span`` days before one of its clock changes
    (or a day after it), so that a stretch of ``span`` days from it usually holds the change."""
    name = draw(st.sampled_from(ZONES))
    day = draw(st.sampled_from(TRANSITIONS[name])) - dt.timedelta(days=draw(st.integers(-1, span - 1)))
    return name, zone(name), day


@st.composite
def scenario(draw, max_days: int = 5):
    """Zone, first day, number of days, and 1-6 times of day, often inside the change's gap or repeat."""
    n_days = draw(st.integers(1, max_days))
    name, tz, first = draw(zone_and_day(n_days))
    special = sorted({m for i in range(n_days) for m in _change_minutes(tz, first + dt.timedelta(days=i))})
    pick = st.one_of(minutes, st.sampled_from(special)) if special else minutes
    chosen = draw(st.lists(pick, min_size=1, max_size=6, unique=True))
    return tz, first, n_days, tuple(sorted(dt.time(m // 60, m % 60) for m in chosen))


# --- zones ---------------------------------------------------------------------

def test_zone_lookup_is_injectable_and_names_are_checked():
    assert zone("UTC") is zones.UTC
    seen = []
    fixed = dt.timezone(dt.timedelta(hours=2))
    assert zone("Mars/Olympus", lookup=lambda n: seen.append(n) or fixed) is fixed and seen == ["Mars/Olympus"]
    zones.set_zone_lookup(lambda n: fixed)
    try:
        assert zone("Europe/London") is fixed
    finally:
        zones.set_zone_lookup(None)
    assert zone("Europe/London").utcoffset(dt.datetime(2024, 7, 1)) == dt.timedelta(hours=1)
    for bad in ("", "../etc/passwd", "Europe/../x", "Nowhere/Atlantis", "a" * 70, None, "Europe London"):
        with pytest.raises(UnknownZone):
            zone(bad)


@pytest.mark.parametrize("name, wall, expected, moved", [
    ("America/New_York", "2024-03-10T02:30", "2024-03-10T03:00-04:00", True),   # gap: next valid instant
    ("America/New_York", "2024-03-10T03:00", "2024-03-10T03:00-04:00", False),
    ("America/New_York", "2024-11-03T01:30", "2024-11-03T01:30-04:00", False),  # repeated: first pass
    ("Europe/London", "2024-03-31T01:15", "2024-03-31T02:00+01:00", True),
    ("Europe/London", "2024-10-27T01:59", "2024-10-27T01:59+01:00", False),
    ("Australia/Lord_Howe", "2024-10-06T02:10", "2024-10-06T02:30+11:00", True),  # 30-minute change
    ("Australia/Lord_Howe", "2024-04-07T01:45", "2024-04-07T01:45+11:00", False),
    ("Pacific/Chatham", "2024-09-29T03:00", "2024-09-29T03:45+13:45", True),
    ("Asia/Kolkata", "2024-03-10T02:30", "2024-03-10T02:30+05:30", False),
])
def test_resolve_gap_and_fold(name, wall, expected, moved):
    tz = zone(name)
    at, was_moved = resolve(dt.datetime.fromisoformat(wall), tz)
    assert to_wall(at, tz).isoformat(timespec="minutes") == expected and was_moved is moved


def test_day_bounds_are_23_24_25_hours_and_wall_keys_tell_repeated_hours_apart():
    ny = zone("America/New_York")
    bounds = [day_bounds(dt.date(2024, m, d), ny) for m, d in ((3, 10), (3, 11), (11, 3))]
    lengths = [(end - start) / H for start, end in bounds]
    assert lengths == [23, 24, 25]
    first = to_instant(dt.datetime(2024, 11, 3, 1, 0), ny)
    assert wall_key(first, ny) == "2024-11-03T01:00"
    assert wall_key(first + H, ny) == "2024-11-03T01:00-05:00"
    assert zones.format_duration(2 * H + 5 * 60_000) == "2 h 05 min"
    assert zones.format_duration(26 * H) == "1 day 2 h" and zones.format_duration(45 * 60_000) == "45 min"


# --- parsing -----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("8", "08:00"), ("8:30", "08:30"), ("0830", "08:30"), ("20.15", "20:15"), ("8pm", "20:00"),
    ("12am", "00:00"), ("12 pm", "12:00"), ("8:30 a.m.", "08:30"), (" 23:59 ", "23:59"), ("7h30", "07:30"),
])
def test_parse_clock(text, expected):
    assert parse_clock(text).strftime("%H:%M") == expected


@pytest.mark.parametrize("text", ["24:00", "13pm", "8:60", "noon", "", "8:3", "-1", "123456"])
def test_parse_clock_rejects(text):
    assert parse_clock(text) is None


def test_parse_times_and_weekdays():
    assert [t.strftime("%H:%M") for t in parse_times("20:00, 8am; 2 pm\n08:00")] == ["08:00", "14:00", "20:00"]
    assert parse_times("8am, soon") is None and parse_times("") == []
    assert parse_times(["9", "21:00"]) == [dt.time(9), dt.time(21)]
    assert parse_weekdays("Mon, wed Friday") == {0, 2, 4}
    assert parse_weekdays(["sun", "THURS"]) == {6, 3}
    assert parse_weekdays("mo") is None and parse_weekdays("funday") is None


@pytest.mark.parametrize("form, field", [
    ({"schedule": "hourly"}, "schedule"),
    ({"schedule": "daily", "times": ""}, "times"),
    ({"schedule": "daily", "times": "8, later"}, "times"),
    ({"schedule": "daily", "times": "8", "every_days": "0"}, "every_days"),
    ({"schedule": "weekdays", "times": "8", "weekdays": ""}, "weekdays"),
    ({"schedule": "weekdays", "times": "8", "weekdays": "someday"}, "weekdays"),
    ({"schedule": "interval", "every_hours": "0", "first_time": "6"}, "every_hours"),
    ({"schedule": "interval", "every_hours": "2.5", "first_time": "6"}, "every_hours"),
    ({"schedule": "interval", "every_hours": "4"}, "first_time"),
    ({"schedule": "prn", "max_per_day": "4"}, "min_interval_hours"),
    ({"schedule": "prn", "min_interval_hours": "0.1", "max_per_day": "4"}, "min_interval_hours"),
    ({"schedule": "prn", "min_interval_hours": "4", "max_per_day": "0"}, "max_per_day"),
])
def test_parse_schedule_errors_are_plain(form, field):
    errors: dict = {}
    parse_schedule(form, errors)
    assert field in errors and errors[field].endswith(".")


def test_parse_schedule_and_describe_each_kind():
    cases = [
        ({"schedule": "daily", "times": "20:00, 8"}, {"kind": "daily", "times": ["08:00", "20:00"]},
         "Every day at 08:00 and 20:00"),
        ({"schedule": "daily", "times": "9", "every_days": "2"}, {"kind": "daily", "times": ["09:00"], "every_days": 2},
         "Every 2 days at 09:00"),
        ({"schedule": "weekdays", "times": "9", "weekdays": "fri mon"},
         {"kind": "weekdays", "times": ["09:00"], "weekdays": ["mon", "fri"]}, "Mon, Fri at 09:00"),
        ({"schedule": "interval", "every_hours": "2", "first_time": "7"},
         {"kind": "interval", "every_hours": 2, "first_time": "07:00"}, "Every 2 hours from 07:00"),
        ({"schedule": "prn", "min_interval_hours": "4,5", "max_per_day": "4"},
         {"kind": "prn", "min_interval_minutes": 270, "max_per_day": 4},
         "When needed: at least 4 h 30 min apart, at most 4 in 24 hours"),
    ]
    for form, stored, words in cases:
        errors: dict = {}
        assert parse_schedule(form, errors) == stored and not errors
        assert describe(schedule_from_payload(stored)) == words
    errors = {}
    parse_schedule({"schedule": "prn"}, errors, allow_prn=False)
    assert "schedule" in errors


@pytest.mark.parametrize("bad", [None, [], {"kind": "daily", "times": []}, {"kind": "daily", "times": ["25:00"]},
                                 {"kind": "weekdays", "times": ["8"], "weekdays": []},
                                 {"kind": "daily", "times": ["8"], "every_days": 0},
                                 {"kind": "interval", "every_hours": True, "first_time": "6"},
                                 {"kind": "prn", "min_interval_minutes": 0, "max_per_day": 2}, {"kind": "x"}])
def test_schedule_from_payload_rejects_malformed(bad):
    with pytest.raises(ValueError):
        schedule_from_payload(bad)


# --- occurrences: examples -------------------------------------------------------------

def keys(slots):
    return [s.key for s in slots]


def test_fixed_times_stay_on_the_wall_clock_across_changes():
    ny = zone("America/New_York")
    s = TimesOfDay((dt.time(8), dt.time(20)))
    slots = slots_between(s, dt.date(2024, 3, 1), None, dt.date(2024, 3, 9), dt.date(2024, 3, 11), ny)
    assert [naive(x.at, ny).strftime("%d %H:%M") for x in slots] == [
        "09 08:00", "09 20:00", "10 08:00", "10 20:00", "11 08:00", "11 20:00"]
    assert slots[2].at - slots[0].at == 23 * H  # the short day


def test_gap_and_repeated_hour_examples():
    ny = zone("America/New_York")
    s = TimesOfDay((dt.time(1, 30), dt.time(2, 30)))
    spring = slots_between(s, dt.date(2024, 1, 1), None, dt.date(2024, 3, 10), dt.date(2024, 3, 10), ny)
    assert keys(spring) == ["2024-03-10T01:30", "2024-03-10T02:30"]
    assert [x.moved for x in spring] == [False, True] and naive(spring[1].at, ny) == dt.datetime(2024, 3, 10, 3)
    autumn = slots_between(s, dt.date(2024, 1, 1), None, dt.date(2024, 11, 3), dt.date(2024, 11, 3), ny)
    assert len(autumn) == 2 and to_wall(autumn[0].at, ny).utcoffset() == dt.timedelta(hours=-4)


def test_interval_is_real_elapsed_time_and_wall_times_shift():
    ny = zone("America/New_York")
    s = EveryHours(6, dt.time(6))
    slots = slots_between(s, dt.date(2024, 3, 9), None, dt.date(2024, 3, 9), dt.date(2024, 3, 10), ny)
    assert keys(slots) == ["2024-03-09T06:00", "2024-03-09T12:00", "2024-03-09T18:00", "2024-03-10T00:00",
                           "2024-03-10T07:00", "2024-03-10T13:00", "2024-03-10T19:00"]
    hourly = slots_between(EveryHours(1, dt.time(0)), dt.date(2024, 11, 3), None, dt.date(2024, 11, 3),
                           dt.date(2024, 11, 3), ny)
    assert len(hourly) == 25 and len(set(keys(hourly))) == 25 and "2024-11-03T01:00-05:00" in keys(hourly)


def test_weekdays_every_n_days_start_and_end_dates():
    tz = zone("Europe/London")
    mwf = TimesOfDay((dt.time(9),), frozenset({0, 2, 4}), kind="weekdays")
    got = slots_between(mwf, dt.date(2024, 5, 1), dt.date(2024, 5, 10), dt.date(2024, 4, 28), dt.date(2024, 5, 31), tz)
    assert [x.day.isoformat() for x in got] == ["2024-05-01", "2024-05-03", "2024-05-06", "2024-05-08", "2024-05-10"]
    alternate = TimesOfDay((dt.time(9),), every_days=2)
    got = slots_between(alternate, dt.date(2024, 5, 2), None, dt.date(2024, 5, 1), dt.date(2024, 5, 7), tz)
    assert [x.day.day for x in got] == [2, 4, 6]
    assert slots_in(AsNeeded(240, 4), dt.date(2024, 1, 1), None, 0, 10**13, tz) == []
    ended = slots_between(EveryHours(4, dt.time(8)), dt.date(2024, 5, 1), dt.date(2024, 5, 1), dt.date(2024, 5, 1),
                          dt.date(2024, 5, 3), tz)
    assert keys(ended) == ["2024-05-01T08:00", "2024-05-01T12:00", "2024-05-01T16:00", "2024-05-01T20:00"]


def test_device_time_zone_is_irrelevant():
    """A tablet that travels (process TZ changed) computes the same slots."""
    tz = zone("Australia/Lord_Howe")
    s = TimesOfDay((dt.time(2, 15), dt.time(8)))
    before = slots_between(s, dt.date(2024, 1, 1), None, dt.date(2024, 10, 5), dt.date(2024, 10, 7), tz)
    old = os.environ.get("TZ")
    try:
        for device_zone in ("America/Los_Angeles", "Asia/Tokyo"):
            os.environ["TZ"] = device_zone
            time.tzset()
            assert slots_between(s, dt.date(2024, 1, 1), None, dt.date(2024, 10, 5), dt.date(2024, 10, 7), tz) == before
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


# --- occurrences: properties ------------------------------------------------------------

@PROPS
@given(scenario())
def test_fixed_times_one_per_day_per_time_at_the_wall_time(case):
    tz, first, n_days, times = case
    last = first + dt.timedelta(days=n_days - 1)
    slots = slots_between(TimesOfDay(times), first, None, first, last, tz)
    expected = {dt.datetime.combine(first + dt.timedelta(days=i), t).isoformat(timespec="minutes")
                for i in range(n_days) for t in times}
    assert len(slots) == len(expected) and set(keys(slots)) == expected
    for s in slots:
        wall = dt.datetime.fromisoformat(s.key)
        local = to_wall(s.at, tz)
        if not s.moved:
            assert local.replace(tzinfo=None, fold=0) == wall and local.fold == 0  # first pass of a repeat
        else:  # the wall time does not exist: the clocks jumped over it at s.at
            assert naive(s.at - 1000, tz) < wall < local.replace(tzinfo=None)
    for a, b in zip(slots, slots[1:]):
        assert a.at < b.at or (a.at == b.at and (a.moved or b.moved))
        assert a.key < b.key  # and in wall-clock order
    if not any(s.moved for s in slots):
        assert all(a.at < b.at for a, b in zip(slots, slots[1:]))
    event("a time fell in a gap" if any(s.moved for s in slots) else "no gap")
    event("a 25-hour day" if any(day_bounds(first + dt.timedelta(days=i), tz)[1] - day_bounds(
        first + dt.timedelta(days=i), tz)[0] > 24 * H for i in range(n_days)) else "no long day")


@PROPS
@given(zone_and_day(4), st.integers(1, 12), minutes, st.integers(1, 4), st.integers(0, 3))
def test_every_n_hours_is_spaced_in_real_time(zd, hours, first_minute, n_days, later):
    name, tz, start = zd
    first = start + dt.timedelta(days=later)
    last = first + dt.timedelta(days=n_days - 1)
    schedule = EveryHours(hours, dt.time(first_minute // 60, first_minute % 60))
    slots = slots_between(schedule, start, None, first, last, tz)
    anchor = to_instant(dt.datetime.combine(start, schedule.first), tz)
    lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    expected = [t for t in range(anchor, hi, hours * H) if t >= lo]
    assert [s.at for s in slots] == expected
    assert all(b.at - a.at == hours * H for a, b in zip(slots, slots[1:]))
    assert len(set(keys(slots))) == len(slots)
    for s in slots:  # the key names the wall time the clock shows
        assert s.key[:16] == naive(s.at, tz).isoformat(timespec="minutes")


@PROPS
@given(scenario(10), st.sets(st.integers(0, 6), min_size=1))
def test_weekday_schedules_only_on_chosen_days(case, weekdays):
    tz, first, n_days, times = case
    last = first + dt.timedelta(days=n_days - 1)
    slots = slots_between(TimesOfDay(times, frozenset(weekdays), kind="weekdays"), first, None, first, last, tz)
    chosen = [first + dt.timedelta(days=i) for i in range(n_days)
              if (first + dt.timedelta(days=i)).weekday() in weekdays]
    assert len(slots) == len(chosen) * len(times)
    assert {s.day for s in slots} == set(chosen)


@PROPS
@given(zone_and_day(1), minutes)
def test_resolve_round_trips_every_existing_wall_time(zd, minute):
    name, tz, day = zd
    wall = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
    at, moved = resolve(wall, tz)
    if moved:
        assert naive(at - 1000, tz) < wall < naive(at, tz)
    else:
        assert naive(at, tz) == wall and naive(at - 1000, tz) < wall


def test_module_doctests():
    for name in ("zones", "schedule", "careplan", "alerts", "handoff", "profile", "logbook"):
        module = importlib.import_module(f"carelog.domain.{name}")
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, name

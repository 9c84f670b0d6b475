"""The vital days cache: buckets by UTC day, regrouped by any zone's local days,
give the chart the events give (across zones and daylight saving changes, with
edits that move readings, deletes and conflicts), and the read path rebuilds
what is missing or damaged and never stores a rebuild older than a write."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from carelog.adapters.memory import MemoryEntryStore
from carelog.adapters.memory_vitaldays import MemoryVitalDays
from carelog.domain import vitaldays, vitalseries
from carelog.domain.events import CREATE, DELETE, EDIT, Event
from carelog.domain.zones import day_bounds, zone
from carelog.vitaldays_cache import CacheRead, chart_entries

DAY = vitaldays.DAY_MS
BASE = 1_763_000_000_000  # 2025-11-13, UTC
ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Pacific/Chatham",
         "Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
VITALS = ["blood_pressure", "heart_rate", "weight"]
FIRST, LAST = dt.date(2025, 11, 10), dt.date(2025, 11, 24)


def run(coro):
    return asyncio.run(coro)


def _payload(vital: str, n: int) -> dict:
    if vital == "blood_pressure":
        return {"type": vital, "systolic": 100 + n, "diastolic": 60 + n % 30, "unit": "mm[Hg]", "note": "x"}
    if vital == "weight":
        return {"type": vital, "value": 60 + n / 10, "unit": "[lb_av]" if n % 2 else "kg"}
    return {"type": vital, "value": 50 + n, "unit": "/min"}


@st.composite
def histories(draw):
    """Vital events of one recipient over ~2 weeks: creates, then edits (some move the
    reading to another day, some change its vital), deletes, and conflicting edits."""
    events: list[Event] = []
    heads: dict[str, list[Event]] = {}
    clock = 0

    def stamp(device: str) -> str:
        nonlocal clock
        clock += 1
        return f"{clock:013d}-000000-{device}"

    for i in range(draw(st.integers(1, 14))):
        at = BASE + draw(st.integers(-3 * DAY, 12 * DAY))
        e = Event.create(id=f"e{i}", recipient="r", kind="vital", at=at,
                         payload=_payload(draw(st.sampled_from(VITALS)), draw(st.integers(0, 90))),
                         author=draw(st.sampled_from(["Ann", "Bo"])), device="d1", hlc=stamp("d1"))
        events.append(e)
        heads[e.id] = [e]
    for j in range(draw(st.integers(0, 10))):
        entry = draw(st.sampled_from(sorted(heads)))
        op = draw(st.sampled_from([EDIT, EDIT, DELETE]))
        at = heads[entry][0].at + draw(st.sampled_from([0, 3_600_000, -DAY, 2 * DAY, -5 * 3_600_000]))
        payload = _payload(draw(st.sampled_from(VITALS)), draw(st.integers(0, 90))) if op == EDIT else {}
        # a conflict: a second device edits the same head without seeing the first edit
        parent = heads[entry][0]
        e = Event(id=f"x{j}", recipient="r", kind="vital", entry=entry, op=op, revises=(parent.id,),
                  at=max(0, at), payload=payload, author="Cy", device="d2", hlc=stamp("d2"))
        events.append(e)
        if draw(st.booleans()):
            heads[entry] = [e]
        else:
            heads[entry] = heads[entry] + [e]
    return events


def _from_events(events, vital, tz):
    return vitalseries.vital_chart(events, vital, tz, FIRST, LAST)


def _from_buckets(events, vital, tz):
    lo, hi = day_bounds(FIRST, tz)[0], day_bounds(LAST, tz)[1]
    days = vitaldays.utc_days(lo, hi)
    buckets = vitaldays.build(events, days)
    rows = [row for day in days for row in buckets[day]["t"].get(vital, [])]
    return vitalseries.chart_of_entries(vitaldays.entries_of(rows, vital, "r"), vital, tz, FIRST, LAST)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.sampled_from(ZONES), st.sampled_from(VITALS), st.integers(1, 400))
def test_buckets_regroup_to_the_chart_of_the_events(events, zone_name, vital, max_points):
    tz = zone(zone_name)
    lo, hi = day_bounds(FIRST, tz)[0], day_bounds(LAST, tz)[1]
    days = vitaldays.utc_days(lo, hi)
    buckets = vitaldays.build(events, days)
    rows = [row for day in days for row in buckets[day]["t"].get(vital, [])]
    direct = vitalseries.vital_chart(events, vital, tz, FIRST, LAST, max_points=max_points)
    cached = vitalseries.chart_of_entries(vitaldays.entries_of(rows, vital, "r"), vital, tz, FIRST, LAST,
                                          max_points=max_points)
    assert cached == direct


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.sampled_from(ZONES), st.sampled_from(VITALS), st.sets(st.integers(0, 20)), st.data())
def test_read_path_with_partly_filled_cache_draws_the_chart_of_the_events(events, zone_name, vital, cached_days,
                                                                          data):
    """Some days cached (built earlier, maybe over other runs), the rest rebuilt: the same chart,
    and what the read stored is what a full build gives."""
    tz = zone(zone_name)
    store = MemoryEntryStore()
    run(store.put_events(events))
    cache = MemoryVitalDays(store)
    lo, hi = day_bounds(FIRST, tz)[0], day_bounds(LAST, tz)[1]
    days = vitaldays.utc_days(lo, hi)
    pre = [days.start + d for d in cached_days if days.start + d < days.stop]
    for part in vitaldays.runs(pre):  # each run built from its own range read, as the read path does
        found = run(store.histories_in_range("r", part.start * DAY, part.stop * DAY, kinds=("vital",)))
        run(cache.write("r", cache._gen(), vitaldays.build(found, part)))
    entries, present = run(chart_entries(cache, store, "r", vital, lo, hi))
    chart = vitalseries.chart_of_entries(entries, vital, tz, FIRST, LAST)
    assert chart == _from_events(events, vital, tz)
    every = vitaldays.build(events, days)
    assert {d: cache.buckets[("r", d)] for d in days} == every
    assert present == [k for k in vitalseries.VITALS if any(every[d]["t"].get(k) for d in days)]
    # second read: all from the cache, nothing rebuilt
    writes = cache.writes
    again, _ = run(chart_entries(cache, store, "r", vital, lo, hi))
    assert cache.writes == writes and vitalseries.chart_of_entries(again, vital, tz, FIRST, LAST) == chart


def test_runs_and_days():
    assert vitaldays.runs([9, 3, 4, 5, 4]) == [range(3, 6), range(9, 10)]
    assert vitaldays.runs([]) == []
    assert vitaldays.utc_days(DAY * 2, DAY * 3) == range(2, 3)
    assert vitaldays.utc_days(DAY * 2 - 1, DAY * 3 + 1) == range(1, 4)


def test_bucket_keeps_numbers_and_unit_not_notes():
    e = Event.create(id="a", recipient="r", kind="vital", at=BASE, payload=_payload("blood_pressure", 5),
                     author="Ann", device="d", hlc="0000000000001-000000-d")
    (bucket,) = vitaldays.build([e], vitaldays.utc_days(BASE, BASE + 1)).values()
    assert bucket == {"v": 2, "t": {"blood_pressure": [["a", BASE, "Ann", {"unit": "mm[Hg]", "systolic": 105,
                                                                          "diastolic": 65}]]}}
    assert vitaldays.well_formed(bucket)
    for bad in (None, [], {"v": 1, "t": {}}, {"v": 2, "t": []}, {"v": 2, "t": {"weight": [["a", "noon", "Ann", {}]]}},
                {"v": 2, "t": {"weight": "x"}}):
        assert not vitaldays.well_formed(bad)


def _reading(i, at, value, vital="heart_rate"):
    return Event.create(id=f"h{i}", recipient="r", kind="vital", at=at, payload={"type": vital, "value": value,
                                                                                 "unit": "/min"},
                        author="Ann", device="d", hlc=f"{i + 1:013d}-000000-d")


def test_a_damaged_bucket_is_rebuilt_and_a_write_after_the_read_keeps_the_rebuild_out():
    store = MemoryEntryStore()
    run(store.put_events([_reading(0, BASE, 70), _reading(1, BASE + DAY, 80)]))
    cache = MemoryVitalDays(store)
    lo, hi = BASE - BASE % DAY, BASE - BASE % DAY + 2 * DAY
    entries, _ = run(chart_entries(cache, store, "r", "heart_rate", lo, hi))
    assert [e.payload["value"] for e in sorted(entries, key=lambda e: e.at)] == [70, 80] and cache.writes == 1
    day = BASE // DAY
    cache.buckets[("r", day)] = {"v": 1, "t": {"heart_rate": [["h0", BASE, "Ann", {"value": 999}], "junk"]}}
    entries, _ = run(chart_entries(cache, store, "r", "heart_rate", lo, hi))
    assert [e.payload["value"] for e in sorted(entries, key=lambda e: e.at)] == [70, 80]  # not 999: rebuilt from the events
    assert cache.buckets[("r", day)]["t"]["heart_rate"][0][3] == {"unit": "/min", "value": 70}
    cache.buckets[("r", day)] = {"v": 1, "t": {"heart_rate": [["h0", BASE + 3 * DAY, "Ann", {"value": 5}]]}}
    entries, _ = run(chart_entries(cache, store, "r", "heart_rate", lo, hi))  # a reading from another day
    assert [e.payload["value"] for e in sorted(entries, key=lambda e: e.at)] == [70, 80]

    # a rebuild whose events were read before a write is not stored
    class Racing(MemoryVitalDays):
        async def read(self, *args):
            got = await super().read(*args)
            if not store.raced:
                store.raced = 1
                await store.put_events([_reading(2, BASE + 60_000, 90)])  # lands between the read and the write
            return got

    store.raced = 0

    racing = Racing(store)
    run(chart_entries(racing, store, "r", "heart_rate", lo, hi))
    assert racing.writes == 0 and racing.buckets == {}
    entries, _ = run(chart_entries(racing, store, "r", "heart_rate", lo, hi))
    assert [e.payload["value"] for e in sorted(entries, key=lambda e: e.at)] == [70, 90, 80] and racing.writes == 1


def test_an_unreadable_cache_falls_back_to_the_events():
    from carelog.ports import StoreError

    store = MemoryEntryStore()
    run(store.put_events([_reading(0, BASE, 70)]))

    class Broken(MemoryVitalDays):
        async def read(self, *args):
            raise StoreError("the cache store is gone")

    broken = Broken(store)
    entries, present = run(chart_entries(broken, store, "r", "heart_rate", BASE - DAY, BASE + DAY))
    assert [e.payload["value"] for e in sorted(entries, key=lambda e: e.at)] == [70] and present == ["heart_rate"] and broken.writes == 0
    assert CacheRead(gen=None).missing == []


def charts_app():
    """A controller with a caregiver and a recipient, in memory, its clock fixed, the device in UTC."""
    from carelog.adapters.memory import CountingIds, FixedClock, MemorySettings
    from carelog.bootstrap import TEST_EPOCH_MS, build_for_tests
    from carelog.ui.controller import Controller

    log = build_for_tests(store=MemoryEntryStore(), settings=MemorySettings(), clock=FixedClock(TEST_EPOCH_MS),
                          ids=CountingIds("id"))
    c = Controller(log, build="test")
    c.care.set_device_zone("UTC")
    run(c.start())
    run(c.submit("caregiver", {"name": "Ann"}))
    run(c.submit("recipient", {"name": "Mum"}))
    return log, c, c.state.recipient.id


def test_charts_screen_reads_the_cache_and_sees_new_readings():
    from carelog.bootstrap import TEST_EPOCH_MS

    log, c, rid = charts_app()
    for i, value in enumerate((70, 80)):
        run(log.log(rid, "vital", {"type": "heart_rate", "value": str(value), "unit": "/min",
                                   "at": str(TEST_EPOCH_MS - (i + 1) * 40 * DAY)}))
    cache = log.vital_days
    run(c.navigate("#/charts/heart_rate/365"))
    values = lambda: [p.value for p in c.state.report.chart.series[0].points]  # noqa: E731
    assert values() == [80, 70] and c.state.report.vitals == ["heart_rate"] and cache.writes == 1
    run(c.navigate("#/charts/heart_rate/90"))  # every day of it is cached: nothing rebuilt
    assert values() == [80, 70] and cache.writes == 1
    run(log.log(rid, "vital", {"type": "heart_rate", "value": "90", "unit": "/min",
                               "at": str(TEST_EPOCH_MS - 3 * DAY)}))
    run(c.navigate("#/charts/heart_rate/365"))
    assert values() == [80, 70, 90] and cache.writes == 2


@pytest.mark.parametrize("profile_zone, last_zone", [("Asia/Kolkata", "UTC"), ("UTC", "Asia/Kolkata"),
                                                      ("UTC", "Pacific/Kiritimati"), ("Pacific/Kiritimati", "UTC"),
                                                      ("Pacific/Kiritimati", "Pacific/Kiritimati")])
def test_charts_screen_reads_in_the_profiles_zone_when_the_last_zone_was_another(profile_zone, last_zone):
    """The chart's cache read starts with the zone the screens last used, alongside the profile's
    read; when the profile names another zone whose span differs, the chart is that zone's."""
    from carelog.bootstrap import TEST_EPOCH_MS
    from carelog.domain.zones import local_date

    log, c, rid = charts_app()
    for hours in range(0, 9 * 24, 5):  # readings over 9 days, every 5 hours
        run(log.log(rid, "vital", {"type": "heart_rate", "value": str(50 + hours % 40), "unit": "/min",
                                   "at": str(TEST_EPOCH_MS - hours * 3_600_000)}))
    # at 16:00 UTC a span in UTC+5:30 starts on the UTC day before the UTC span's first day
    run(c.submit("profile", {"name": "Mum", "timezone": profile_zone}))
    events = run(log.entry_events(rid, ("vital",)))
    c.state.care.tz, c.state.care.tz_name = zone(last_zone), last_zone  # as the screens left it
    run(c.navigate("#/charts/heart_rate/7"))
    chart, tz = c.state.report.chart, zone(profile_zone)
    first, last = vitalseries.span(local_date(TEST_EPOCH_MS, tz), 7)
    assert c.state.care.tz_name == profile_zone and (chart.first_day, chart.last_day) == (first, last)
    assert chart == vitalseries.vital_chart(events, "heart_rate", tz, first, last, run(log.limits(rid)))
    assert len(chart.series[0].points) > 30 and c.state.report.vitals == ["heart_rate"]

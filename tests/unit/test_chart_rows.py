"""The charts screen's fast path: ``vitalseries.chart_of_rows`` over the vital days
cache's rows draws exactly the chart ``vitalseries.vital_chart`` draws from the
events, across time zones, daylight saving changes, mixed units, edits that move
readings, deletes, conflicts and damaged rows; and the cheap chart table and SVG
give the same markup as building them element by element."""

from __future__ import annotations

import asyncio
import datetime as dt

from hypothesis import HealthCheck, given, settings, strategies as st

from carelog.adapters.memory import MemoryEntryStore
from carelog.adapters.memory_vitaldays import MemoryVitalDays
from carelog.domain import vitaldays, vitalseries
from carelog.domain.alerts import DEFAULT_LIMITS, Limit
from carelog.domain.events import DELETE, EDIT, Event
from carelog.domain.zones import day_bounds, zone
from carelog.vitaldays_cache import chart_rows

HOUR, DAY = 3_600_000, vitaldays.DAY_MS
ZONES = ["UTC", "America/New_York", "Europe/London", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Chatham",
         "Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Havana", "America/Santiago",
         "Asia/Tehran"]
VITALS = ["blood_pressure", "heart_rate", "weight", "temperature", "blood_glucose"]
# local days around daylight saving changes of 2025 (US, EU, Lord Howe, Chile, Cuba) and a quiet one
FIRST_DAYS = [dt.date(2025, 3, 5), dt.date(2025, 3, 27), dt.date(2025, 4, 2), dt.date(2025, 9, 3),
              dt.date(2025, 10, 22), dt.date(2025, 10, 30), dt.date(2025, 11, 10)]


def run(coro):
    return asyncio.run(coro)


def _payload(vital: str, n: int) -> dict:
    if vital == "blood_pressure":
        body = {"systolic": 100 + n, "diastolic": 60 + n % 30, "unit": "mm[Hg]", "note": "x"}
        if n % 7 == 0:
            del body["diastolic"]  # a reading without one of its numbers
        return {"type": vital, **body}
    if vital == "weight":
        return {"type": vital, "value": 60 + n / 10, "unit": "[lb_av]" if n % 2 else "kg"}
    if vital == "temperature":
        return {"type": vital, "value": 97 + n / 10 if n % 3 else 36 + n / 30, "unit": "[degF]" if n % 3 else "Cel"}
    if vital == "blood_glucose":
        return {"type": vital, "value": 4 + n / 10 if n % 2 else 80 + n, "unit": "mmol/L" if n % 2 else "mg/dL"}
    return {"type": vital, "value": 50 + n if n % 5 else 50.5 + n, "unit": "/min"}


@st.composite
def spans(draw):
    first = draw(st.sampled_from(FIRST_DAYS))
    return first, first + dt.timedelta(days=draw(st.integers(0, 20)))


@st.composite
def histories(draw, first: dt.date, last: dt.date):
    """Vital events of one recipient in and around ``first..last``: creates (several at one
    instant sometimes), edits that move a reading or change its vital, deletes, conflicts."""
    base = day_bounds(first, zone("UTC"))[0]
    width = ((last - first).days + 3) * DAY
    events: list[Event] = []
    heads: dict[str, list[Event]] = {}
    clock = 0

    def stamp(device: str) -> str:
        nonlocal clock
        clock += 1
        return f"{clock:013d}-000000-{device}"

    ats: list[int] = []
    for i in range(draw(st.integers(1, 40))):
        at = draw(st.sampled_from(ats)) if ats and draw(st.integers(0, 5)) == 0 else \
            base + draw(st.integers(-2 * DAY, width))
        ats.append(at)
        e = Event.create(id=f"e{draw(st.integers(0, 99)):02d}-{i}", recipient="r", kind="vital", at=at,
                         payload=_payload(draw(st.sampled_from(VITALS)), draw(st.integers(0, 90))),
                         author=draw(st.sampled_from(["Ann", "Bo"])), device="d1", hlc=stamp("d1"))
        events.append(e)
        heads[e.id] = [e]
    for j in range(draw(st.integers(0, 12))):
        entry = draw(st.sampled_from(sorted(heads)))
        op = draw(st.sampled_from([EDIT, EDIT, DELETE]))
        at = heads[entry][0].at + draw(st.sampled_from([0, HOUR, -DAY, 2 * DAY, -5 * HOUR]))
        payload = _payload(draw(st.sampled_from(VITALS)), draw(st.integers(0, 90))) if op == EDIT else {}
        parent = heads[entry][0]
        e = Event(id=f"x{j}", recipient="r", kind="vital", entry=entry, op=op, revises=(parent.id,),
                  at=max(0, at), payload=payload, author="Cy", device="d2", hlc=stamp("d2"))
        events.append(e)
        heads[entry] = [e] if draw(st.booleans()) else heads[entry] + [e]
    return events


def _limits(draw_limits: bool) -> dict[str, Limit]:
    if not draw_limits:
        return DEFAULT_LIMITS
    out = dict(DEFAULT_LIMITS)
    out["weight"] = Limit("weight", "weight", "value", "Weight", "kg", "kg", 60.0, 75.0, decimals=1)
    return out


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), spans(), st.sampled_from(ZONES), st.sampled_from(VITALS), st.integers(1, 60), st.booleans())
def test_rows_draw_the_chart_of_the_events(data, span, zone_name, vital, max_points, own_limits):
    first, last = span
    events = data.draw(histories(first, last))
    tz = zone(zone_name)
    limits = _limits(own_limits)
    lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    days = vitaldays.utc_days(lo, hi)
    buckets = vitaldays.build(events, days)
    rows = [row for day in days for row in buckets[day]["t"].get(vital, [])]
    direct = vitalseries.vital_chart(events, vital, tz, first, last, limits, max_points=max_points)
    assert vitalseries.chart_of_rows(rows, vital, tz, first, last, limits, max_points) == direct
    # the order rows arrive in does not matter; rows of another shape are left out
    damaged = list(reversed(rows)) + [["junk", "noon", 7, None], ["y", lo, "Ann", {"type": "spo2", "value": 90}],
                                      ["z", lo, "Ann", {"value": True, "systolic": "1"}], "row"]
    assert vitalseries.chart_of_rows(damaged, vital, tz, first, last, limits, max_points) == direct


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), spans(), st.sampled_from(ZONES), st.sampled_from(VITALS), st.sets(st.integers(0, 25)))
def test_the_screens_read_path_draws_the_chart_of_the_events(data, span, zone_name, vital, cached):
    """Through the cache's read path (some days cached, the rest rebuilt), as the charts screen does."""
    first, last = span
    events = data.draw(histories(first, last))
    tz = zone(zone_name)
    store = MemoryEntryStore()
    run(store.put_events(events))
    cache = MemoryVitalDays(store)
    lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    days = vitaldays.utc_days(lo, hi)
    pre = [d for d in days if d - days.start in cached]
    if pre:
        run(cache.write("r", cache._gen(), vitaldays.build(events, range(min(pre), max(pre) + 1))))
    rows, present = run(chart_rows(cache, store, "r", vital, lo, hi))
    assert vitalseries.chart_of_rows(rows, vital, tz, first, last) == vitalseries.vital_chart(events, vital, tz,
                                                                                              first, last)
    again, _ = run(chart_rows(cache, store, "r", vital, lo, hi))  # now from the cache alone
    assert sorted(map(repr, again)) == sorted(map(repr, rows))


def test_a_year_of_readings_draws_one_point_per_local_day():
    tz = zone("Europe/London")
    first, last = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    events = []
    for d in range(365):
        start = day_bounds(first + dt.timedelta(days=d), tz)[0]
        for k in range(4):
            events.append(Event.create(id=f"e{d}-{k}", recipient="r", kind="vital", at=start + k * 6 * HOUR + 1,
                                       payload={"type": "heart_rate", "value": 60 + k + d % 9, "unit": "/min"},
                                       author="Ann", device="d1", hlc=f"{d * 4 + k + 1:013d}-000000-d1"))
    lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    days = vitaldays.utc_days(lo, hi)
    buckets = vitaldays.build(events, days)
    rows = [row for day in days for row in buckets[day]["t"].get("heart_rate", [])]
    chart = vitalseries.chart_of_rows(rows, "heart_rate", tz, first, last)
    (series,) = chart.series
    assert series.daily and series.readings == 1460 and len(series.points) == 365
    assert [p.day for p in series.points] == [first + dt.timedelta(days=d) for d in range(365)]
    assert all(p.count == 4 for p in series.points)
    assert chart == vitalseries.vital_chart(events, "heart_rate", tz, first, last)

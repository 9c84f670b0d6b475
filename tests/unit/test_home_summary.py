"""Home's narrow reads give what the domain functions give over the whole event
log: the handoff (of at most the last 3 days), the alerts of the last 7 days and
today's board, whatever the last look was (Hypothesis over the data and the
moment). Entries recorded late for an earlier time, edits of old entries and
readings days before the alerts' window are part of the data, so leaving out
an event one of the panels needs makes the comparison fail."""

from __future__ import annotations

import asyncio
import datetime as _dt

from hypothesis import given, settings, strategies as st

from carelog.adapters.memory import CountingIds, FixedClock, MemorySettings
from carelog.bootstrap import TEST_EPOCH_MS, build_for_tests
from carelog.domain.alerts import alert_list
from carelog.domain.handoff import HANDOFF_MAX_MS, handoff
from carelog.domain.today import today
from carelog.domain.trends import collect_alerts
from carelog.domain.zones import day_bounds, local_date, zone

HOUR = 3_600_000
DAY = 24 * HOUR
TZ = zone("Europe/London")

rows = st.lists(st.tuples(st.sampled_from(("bp", "weight", "dose", "note", "fluids", "ack", "late", "edit")),
                          st.integers(0, 30 * 24), st.integers(0, 60), st.sampled_from(("Ann", "Bob"))),
                max_size=40)


def _reference(all_events, since, now, items, limits, days=7):
    """The three panels from the domain functions over the whole log (vitals older
    than the trend rules' two weeks before the first day left out, as documented)."""
    since = max(since, now - HANDOFF_MAX_MS)
    last = local_date(now, TZ)
    first = last - _dt.timedelta(days=days - 1)
    base = min(day_bounds(first, TZ)[0], day_bounds(local_date(since, TZ), TZ)[0])
    events = [e for e in all_events if not (e.kind == "vital" and e.at < base - 15 * DAY)]
    hand = handoff(events, since, now, TZ, items, limits, leave_out_author="Ann")
    alerts = alert_list(collect_alerts(events, TZ, now, first, last, items, limits), events)
    return hand, alerts, today(items, events, last, TZ, now)


async def _setup():
    clock = FixedClock(TEST_EPOCH_MS - 30 * DAY)
    log = build_for_tests(settings=MemorySettings(), clock=clock, ids=CountingIds())
    await log.set_caregiver("Ann")
    rid = (await log.add_recipient({"name": "Mum"})).id
    await log.save_profile(rid, {"name": "Mum", "timezone": "Europe/London"})
    await log.save_plan_item(rid, "med_plan", {"name": "Metformin", "dose": "1", "unit": "{tablet}",
                                               "schedule": "daily", "times": "08:00, 20:00",
                                               "start_date": "2025-10-01"})
    return clock, log, rid


async def _compare(log, rid, since):
    await log.set_caregiver("Ann")
    items, limits = await log.plan(rid), await log.limits(rid)
    got = await log.home_summary(rid, since, TZ, items=items, limits=limits)
    want = _reference(await log.store.events_in_range(rid, newest_first=False), since, log.clock.now_ms(),
                      items, limits)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert got[2] == want[2]
    return got


@given(rows, st.integers(0, 40 * 24))
@settings(max_examples=30, deadline=None)
def test_home_summary_equals_the_domain_over_the_whole_log(data, since_hours_ago):
    async def go():
        clock, log, rid = await _setup()
        weights = []
        for kind, hours, value, who in sorted(data, key=lambda r: r[1]):
            clock.now = TEST_EPOCH_MS - 30 * DAY + hours * HOUR
            await log.set_caregiver(who)
            if kind == "bp":
                await log.log(rid, "vital", {"type": "blood_pressure", "systolic": str(110 + value),
                                             "diastolic": "80", "unit": "mm[Hg]"})
            elif kind == "weight":
                weights.append(await log.log(rid, "vital", {"type": "weight", "value": str(70 + value / 10),
                                                            "unit": "kg"}))
            elif kind == "dose":
                await log.log(rid, "medication", {"name": "Metformin", "status": "given", "dose": "1",
                                                  "unit": "{tablet}", "route": "oral"})
            elif kind == "note":
                await log.log(rid, "note", {"text": f"note {value}"})
            elif kind == "late":  # recorded now for a time up to 20 days before
                await log.log(rid, "note", {"text": f"late {value}", "at": str(clock.now - value * 8 * HOUR)})
            elif kind == "fluids":
                await log.log_daily_living(rid, {"category": "fluids", "amount_ml": str(100 + value)})
            elif kind == "edit" and weights:  # an older reading corrected now (keeps its time)
                old = weights[value % len(weights)]
                await log.edit(old.id, {"type": "weight", "value": str(68 + value / 10), "unit": "kg",
                                        "at": str(old.at)})
            elif kind == "ack":
                alerts = await log.alerts(rid, TZ)
                if alerts:
                    await log.acknowledge(rid, {"alert": alerts[0].alert.id})
        clock.now = TEST_EPOCH_MS
        await _compare(log, rid, TEST_EPOCH_MS - since_hours_ago * HOUR)
    asyncio.run(go())


def _trends(views):
    return [v.alert.rule for v in views if v.alert.rule != "missed_dose"]


def test_a_weight_six_days_old_and_its_later_correction_reach_the_weekly_trend():
    async def go():
        clock, log, rid = await _setup()
        clock.now = TEST_EPOCH_MS - 6 * DAY
        await log.set_caregiver("Bob")
        old = await log.log(rid, "vital", {"type": "weight", "value": "70", "unit": "kg"})
        clock.now = TEST_EPOCH_MS - 2 * HOUR
        await log.log(rid, "vital", {"type": "weight", "value": "72.6", "unit": "kg"})
        clock.now = TEST_EPOCH_MS
        hand, alerts, _ = await _compare(log, rid, TEST_EPOCH_MS - 3 * HOUR)
        assert _trends(alerts) == ["weight_gain_7d"]
        assert _trends(hand.alerts) == ["weight_gain_7d"]
        await log.set_caregiver("Bob")
        await log.edit(old.id, {"type": "weight", "value": "71", "unit": "kg", "at": str(old.at)})
        clock.now = TEST_EPOCH_MS + HOUR
        hand, alerts, _ = await _compare(log, rid, TEST_EPOCH_MS - 3 * HOUR)
        assert _trends(alerts) == [] and _trends(hand.alerts) == []
    asyncio.run(go())


def test_a_weight_before_the_alerts_days_is_read_for_the_weekly_trend():
    async def go():
        clock, log, rid = await _setup()
        await log.set_caregiver("Bob")
        for days_ago, kg in ((13, "70"), (6, "72.6")):  # the low one a week before the first alert day
            clock.now = TEST_EPOCH_MS - days_ago * DAY
            await log.log(rid, "vital", {"type": "weight", "value": kg, "unit": "kg"})
        clock.now = TEST_EPOCH_MS
        _, alerts, _ = await _compare(log, rid, TEST_EPOCH_MS - HOUR)
        assert _trends(alerts) == ["weight_gain_7d"]
    asyncio.run(go())


def test_the_handoff_counts_an_entry_recorded_late_and_looks_back_three_days_at_most():
    async def go():
        clock, log, rid = await _setup()
        clock.now = TEST_EPOCH_MS - 5 * DAY
        await log.set_caregiver("Bob")
        await log.log(rid, "note", {"text": "five days ago"})
        clock.now = TEST_EPOCH_MS - HOUR
        await log.log(rid, "note", {"text": "written now for ten days ago", "at": str(clock.now - 10 * DAY)})
        clock.now = TEST_EPOCH_MS
        hand, _, _ = await _compare(log, rid, TEST_EPOCH_MS - 20 * DAY)
        assert [n.payload["text"] for n in hand.notes] == ["written now for ten days ago"]
        assert hand.since == TEST_EPOCH_MS - HANDOFF_MAX_MS
        hand, _, _ = await _compare(log, rid, TEST_EPOCH_MS - 2 * HOUR)  # looked an hour before it was written
        assert [n.payload["text"] for n in hand.notes] == ["written now for ten days ago"]
    asyncio.run(go())

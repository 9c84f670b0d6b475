"""Home's one set of reads gives what the three separate reads give: the
handoff, the alerts of the last 7 days and today's board, whatever the last
look was (Hypothesis over the data and the moment)."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings, strategies as st

from carelog.adapters.memory import CountingIds, FixedClock, MemorySettings
from carelog.bootstrap import TEST_EPOCH_MS, build_for_tests
from carelog.domain.zones import zone

HOUR = 3_600_000
DAY = 24 * HOUR
TZ = zone("Europe/London")

rows = st.lists(st.tuples(st.sampled_from(("bp", "weight", "dose", "note", "fluids", "ack")),
                          st.integers(0, 30 * 24), st.integers(0, 60), st.sampled_from(("Ann", "Bob"))),
                max_size=40)


@given(rows, st.integers(0, 40 * 24))
@settings(max_examples=25, deadline=None)
def test_home_summary_equals_the_three_reads(data, since_hours_ago):
    async def go():
        clock = FixedClock(TEST_EPOCH_MS - 30 * DAY)
        log = build_for_tests(settings=MemorySettings(), clock=clock, ids=CountingIds())
        await log.set_caregiver("Ann")
        rid = (await log.add_recipient({"name": "Mum"})).id
        await log.save_profile(rid, {"name": "Mum", "timezone": "Europe/London"})
        med = (await log.save_plan_item(rid, "med_plan", {"name": "Metformin", "dose": "1", "unit": "{tablet}",
                                                           "schedule": "daily", "times": "08:00, 20:00",
                                                           "start_date": "2025-10-01"})).entry
        for kind, hours, value, who in sorted(data, key=lambda r: r[1]):
            clock.now = TEST_EPOCH_MS - 30 * DAY + hours * HOUR
            await log.set_caregiver(who)
            if kind == "bp":
                await log.log(rid, "vital", {"type": "blood_pressure", "systolic": str(110 + value),
                                             "diastolic": "80", "unit": "mm[Hg]"})
            elif kind == "weight":
                await log.log(rid, "vital", {"type": "weight", "value": str(70 + value / 10), "unit": "kg"})
            elif kind == "dose":
                await log.log(rid, "medication", {"name": "Metformin", "status": "given", "dose": "1",
                                                  "unit": "{tablet}", "route": "oral"})
            elif kind == "note":
                await log.log(rid, "note", {"text": f"note {value}"})
            elif kind == "fluids":
                await log.log_daily_living(rid, {"category": "fluids", "amount_ml": str(100 + value)})
            else:
                alerts = await log.alerts(rid, TZ)
                if alerts:
                    await log.acknowledge(rid, {"alert": alerts[0].alert.id})
        clock.now = TEST_EPOCH_MS
        await log.set_caregiver("Ann")
        since = TEST_EPOCH_MS - since_hours_ago * HOUR
        items, limits = await log.plan(rid), await log.limits(rid)
        hand, alerts, board = await log.home_summary(rid, since, TZ, items=items, limits=limits)
        assert hand == await log.since_last_looked(rid, since, TZ, items=items, limits=limits)
        assert alerts == await log.alerts(rid, TZ, items=items, limits=limits)
        assert board == await log.today_board(rid, TZ, items=items)
        assert med.id in {i.id for i in items}
    asyncio.run(go())

"""The notification policy: what is due or alerting now, told once, nothing on the first look."""

from __future__ import annotations

import asyncio

from hypothesis import given, strategies as st

from carelog.adapters.memory import FixedClock
from carelog.bootstrap import TEST_EPOCH_MS, build_for_tests
from carelog.domain.zones import zone
from carelog.ui.notify_policy import STATUS_WORDS, Notice, Notifier, notices

MINUTE = 60_000
TZ = zone("Europe/London")


@given(st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=6), min_size=1, max_size=8))
def test_each_key_is_told_at_most_once_and_never_what_was_there_first(looks):
    n = Notifier()
    told = []
    for look in looks:
        told += [x.key for x in n.decide([Notice(k, "t", "b") for k in look])]
    assert len(told) == len(set(told))
    assert not set(told) & set(looks[0])
    assert set(told) == set(k for look in looks[1:] for k in look) - set(looks[0])


def test_reset_starts_again():
    n = Notifier()
    n.decide([Notice("a", "t", "b")])
    n.reset()
    assert n.decide([Notice("b", "t", "b")]) == []
    assert [x.key for x in n.decide([Notice("a", "t", "b"), Notice("b", "t", "b")])] == ["a"]


def test_notices_of_a_dose_falling_due_and_a_high_blood_pressure():
    async def go():
        clock = FixedClock(TEST_EPOCH_MS - 10 * 60 * MINUTE)  # 06:00 London, Mon 24 Nov 2025
        log = build_for_tests(clock=clock)
        await log.set_caregiver("Ann")
        rid = (await log.add_recipient({"name": "Mum"})).id
        await log.save_profile(rid, {"name": "Mum", "timezone": "Europe/London"})
        await log.save_plan_item(rid, "med_plan", {"name": "Metformin", "dose": "1", "unit": "{tablet}",
                                                   "schedule": "daily", "times": "08:00",
                                                   "start_date": "2025-11-24"})
        n = Notifier()

        async def look():
            return n.decide(notices(await log.today_board(rid, TZ), await log.alerts(rid, TZ, days=1), TZ))

        assert await look() == []            # first look: remembered, not told
        clock.advance(115 * MINUTE)          # 07:55: due
        told = await look()
        assert [(x.title, x.body) for x in told] == [("Medicine due: Metformin", "Metformin: 1 tablet(s), by mouth, due at 08:00.")]
        clock.advance(90 * MINUTE)           # overdue: the same slot, not told again
        assert await look() == []
        await log.log(rid, "vital", {"type": "blood_pressure", "systolic": "190", "diastolic": "110",
                                     "unit": "mm[Hg]"})
        told = await look()
        assert len(told) == 1 and told[0].key.startswith("alert:") and told[0].title.startswith("Alert: ")
        assert await look() == []
    asyncio.run(go())


def test_every_status_has_plain_words():
    assert set(STATUS_WORDS) == {"on", "off", "denied", "unsupported"}
    assert all(len(words) > 20 for words in STATUS_WORDS.values())

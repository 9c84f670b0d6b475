"""The double-dose guard: already given in the slot (linked or not, any device),
too soon after another dose, early/late/not due, as-needed minimum interval and
rolling 24-hour maximum; properties over generated histories."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings, strategies as st

from carelog.domain.careplan import MED_PLAN, PlanItem
from carelog.domain.events import CREATE, DELETE, Event
from carelog.domain.guard import (ALREADY_GIVEN, ALREADY_RECORDED, CHECK, EARLY, INFO, LATE, MAX_PER_DAY,
                                  MIN_INTERVAL, NOT_DUE, STOP, TOO_SOON, check_dose, prn_window_count)
from carelog.domain.schedule import AsNeeded, EveryHours, TimesOfDay
from carelog.domain.zones import to_instant, zone

PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TZ = zone("Europe/London")
DAY = dt.date(2024, 3, 31)  # clocks go forward at 01:00
MIN = 60_000
H = 60 * MIN


def at(hour, minute=0, day=DAY, tz=TZ):
    return to_instant(dt.datetime.combine(day, dt.time(hour, minute)), tz)


def item(schedule=None, name="Metformin", **kw) -> PlanItem:
    return PlanItem(id=kw.pop("id", "p1"), kind=MED_PLAN, name=name,
                    schedule=schedule or TimesOfDay((dt.time(8), dt.time(20))),
                    start=kw.pop("start", dt.date(2024, 1, 1)), dose=1.0, unit="{tablet}", **kw)


_n = iter(range(10**9))


def dose(when, *, plan=None, slot="", status="given", by="Ann", device="d1", name="Metformin", reason="") -> Event:
    i = next(_n)
    payload = {"name": name, "status": status, "dose": 1, "unit": "{tablet}"}
    if plan is not None:
        payload["plan_item"] = plan.id
    if slot:
        payload["slot"] = slot
    if reason:
        payload["reason"] = reason
    return Event(id=f"m{i}", recipient="r1", kind="medication", entry=f"m{i}", op=CREATE, revises=(), at=when,
                 payload=payload, author=by, device=device, hlc=f"{when:013d}-{i % 4096:06x}-{device}")


def codes(cautions):
    return [(c.code, c.severity) for c in cautions]


def test_nothing_to_say_for_an_on_time_first_dose():
    assert check_dose(item(), at(8, 10), [], TZ) == []


def test_already_given_names_who_and_when_from_another_device():
    med = item()
    given = dose(at(8, 5), plan=med, slot="2024-03-31T08:00", by="Bob", device="kitchen-tablet")
    (c,) = check_dose(med, at(8, 30), [given], TZ)
    assert (c.code, c.severity, c.by, c.device, c.at) == (ALREADY_GIVEN, STOP, "Bob", "kitchen-tablet", at(8, 5))
    assert c.message == "The 08:00 dose of Metformin was already given at 08:05 by Bob."
    # choosing the slot explicitly, late in the day: still the same slot
    found = check_dose(med, at(13), [given], TZ, slot="2024-03-31T08:00")
    assert codes(found) == [(ALREADY_GIVEN, STOP), (LATE, INFO)]


def test_unlinked_dose_of_the_same_medicine_counts():
    med = item()
    typed = dose(at(7, 40), name="METFORMIN")  # from the plain form, no link
    assert codes(check_dose(med, at(8), [typed], TZ)) == [(ALREADY_GIVEN, STOP)]
    other = dose(at(7, 40), name="Aspirin")
    assert check_dose(med, at(8), [other], TZ) == []


def test_deleted_dose_is_not_a_double_and_editing_excludes_itself():
    med = item()
    given = dose(at(8), plan=med, slot="2024-03-31T08:00")
    gone = Event(id="del", recipient="r1", kind="medication", entry=given.id, op=DELETE, revises=(given.id,),
                 at=given.at, payload={}, author="Ann", device="d1", hlc=f"{given.at + 1:013d}-000000-d1")
    assert check_dose(med, at(8, 10), [given, gone], TZ) == []
    assert check_dose(med, at(8, 10), [given], TZ, exclude=given.id) == []


def test_too_soon_across_slots_and_plan_items():
    med = item()
    morning_late = dose(at(13, 30), plan=med, slot="2024-03-31T08:00", by="Bob")
    found = check_dose(med, at(16), [morning_late], TZ, slot="2024-03-31T20:00")
    assert codes(found) == [(TOO_SOON, STOP), (EARLY, CHECK)]
    assert "13:30 by Bob, only 2 h 30 min before" in found[0].message
    # the same medicine under another plan item (a second strength) is still the same medicine
    other_item = dose(at(19, 30), plan=item(id="p2"), slot="2024-03-31T20:00", name="Metformin")
    assert (TOO_SOON, STOP) in codes(check_dose(med, at(20), [other_item], TZ))


def test_refused_slot_is_information_only():
    med = item()
    refused = dose(at(8), plan=med, slot="2024-03-31T08:00", status="refused", reason="Asleep")
    (c,) = check_dose(med, at(8, 45), [refused], TZ)
    assert (c.code, c.severity) == (ALREADY_RECORDED, INFO) and c.message.endswith("refused at 08:00 by Ann: Asleep.")


def test_not_due_and_plan_dates():
    weekly = item(TimesOfDay((dt.time(9),), frozenset({0})))  # Mondays
    given = dose(at(9, day=dt.date(2024, 3, 25)), plan=weekly, slot="2024-03-25T09:00")
    (c,) = check_dose(weekly, at(9), [given], TZ)  # a Sunday
    assert (c.code, c.severity) == (NOT_DUE, CHECK)
    assert "Next due Mon 01 Apr 09:00" in c.message and "Last given at Mon 25 Mar 09:00 by Ann" in c.message
    not_started = item(start=dt.date(2024, 4, 1))
    assert codes(check_dose(not_started, at(8), [], TZ)) == [(NOT_DUE, CHECK)]
    stopped = item(end=dt.date(2024, 3, 30))
    assert "stopped after Sat 30 Mar 2024" in check_dose(stopped, at(8), [], TZ)[0].message


def test_prn_minimum_interval_and_rolling_maximum():
    prn = item(AsNeeded(240, 3), name="Paracetamol")
    first = dose(at(10), name="Paracetamol", by="Bob")
    (c,) = check_dose(prn, at(12), [first], TZ)
    assert (c.code, c.by) == (MIN_INTERVAL, "Bob") and "next dose is allowed from 14:00" in c.message
    assert check_dose(prn, at(14), [first], TZ) == []
    # three in the last 24 hours, across midnight: a fourth breaks the maximum even though it is a new day
    history = [dose(at(h, day=dt.date(2024, 3, 30)), name="Paracetamol") for h in (16, 20)]
    history.append(dose(at(1), name="Paracetamol"))  # 01:00 does not exist that day: 02:00 BST
    found = check_dose(prn, at(6), history, TZ)
    assert codes(found) == [(MAX_PER_DAY, STOP)] and "3 doses already given in 24 hours" in found[0].message
    # a rolling 24 hours of real time: 16:30 today is only 23.5 h after 16:00 yesterday (clocks went forward)
    assert codes(check_dose(prn, at(16, 30), history, TZ)) == [(MAX_PER_DAY, STOP)]
    assert check_dose(prn, at(17), history, TZ) == []  # the 16:00 dose has left the 24 hours
    # a dose entered late (back-dated) is checked against doses after it too
    late_entry = check_dose(prn, at(23, day=dt.date(2024, 3, 30)), history, TZ)
    assert sorted(codes(late_entry)) == [(MAX_PER_DAY, STOP), (MIN_INTERVAL, STOP), (MIN_INTERVAL, STOP)]
    assert {c.at for c in late_entry if c.code == MIN_INTERVAL} == {at(20, day=dt.date(2024, 3, 30)), at(2)}


def test_prn_window_count_reports_the_fullest_window():
    assert prn_window_count(10, []) == (0, 10)
    assert prn_window_count(100 * H, [90 * H, 99 * H, 101 * H, 123 * H]) == (3, 101 * H)


# --- properties ----------------------------------------------------------------------

PROP_ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata"]
CHANGE_DAYS = {"America/New_York": [dt.date(2024, 3, 10), dt.date(2024, 11, 3)],
               "Europe/London": [dt.date(2024, 3, 31), dt.date(2024, 10, 27)],
               "Australia/Lord_Howe": [dt.date(2024, 4, 7), dt.date(2024, 10, 6)],
               "Pacific/Chatham": [dt.date(2024, 4, 7), dt.date(2024, 9, 29)],
               "Asia/Kolkata": [dt.date(2024, 3, 10)]}


@st.composite
def history(draw):
    """A plan, its slots around a clock change, and doses recorded on several devices."""
    name = draw(st.sampled_from(PROP_ZONES))
    tz = zone(name)
    day = draw(st.sampled_from(CHANGE_DAYS[name])) + dt.timedelta(days=draw(st.integers(-1, 1)))
    kind = draw(st.sampled_from(["times", "interval"]))
    if kind == "times":
        mins = draw(st.lists(st.integers(0, 1439), min_size=1, max_size=4, unique=True))
        schedule = TimesOfDay(tuple(sorted(dt.time(m // 60, m % 60) for m in mins)))
    else:
        schedule = EveryHours(draw(st.integers(2, 12)), dt.time(draw(st.integers(0, 23))))
    med = item(schedule, start=day - dt.timedelta(days=3), window_minutes=draw(st.sampled_from([15, 60, 120])))
    slots = med.slots(day - dt.timedelta(days=1), day + dt.timedelta(days=1), tz)
    events = []
    for _ in range(draw(st.integers(0, 8))):
        s = draw(st.sampled_from(slots))
        offset = draw(st.integers(-90, 90)) * MIN
        linked = draw(st.booleans())
        events.append(dose(s.at + offset, plan=med if linked else None, slot=s.key if linked else "",
                           status=draw(st.sampled_from(["given", "given", "refused"])), reason="r",
                           by=draw(st.sampled_from(["Ann", "Bob", "Cat"])), device=draw(st.sampled_from(["a", "b"]))))
    target = draw(st.sampled_from([s for s in slots if s.key[:10] == day.isoformat()] or slots))
    proposed = target.at + draw(st.integers(-30, 30)) * MIN
    return tz, med, slots, events, target, proposed


@PROPS
@given(history(), st.randoms(use_true_random=False))
def test_guard_never_misses_a_double_dose(case, rnd):
    tz, med, slots, events, target, proposed = case
    found = check_dose(med, proposed, events, tz, slot=target.key)
    stopped = {c.entry_id for c in found if c.severity == STOP}
    # every dose given for this slot by link is named
    for e in events:
        if e.payload["status"] == "given" and e.payload.get("slot") == target.key:
            assert e.id in stopped
    # every dose given closer than half the spacing to the neighbouring slot is named
    others = sorted({s.at for s in med.slots(target.day - dt.timedelta(days=2), target.day + dt.timedelta(days=2), tz)}
                    - {target.at})
    spacing = min((abs(t - target.at) for t in others), default=24 * H)
    for e in events:
        if e.payload["status"] == "given" and abs(e.at - proposed) < min(spacing // 2, 24 * H):
            assert e.id in stopped
    # and nothing given means nothing to stop for
    if not any(e.payload["status"] == "given" for e in events):
        assert not stopped
    # the order events arrive in (which device synced first) does not matter
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert check_dose(med, proposed, shuffled, tz, slot=target.key) == found


@PROPS
@given(st.lists(st.integers(-48 * 60, 48 * 60), max_size=10), st.integers(-12 * 60, 12 * 60),
       st.integers(15, 8 * 60), st.integers(1, 6))
def test_prn_guard_is_exact(dose_minutes, proposed_minute, gap_minutes, most):
    base = at(12)
    prn = item(AsNeeded(gap_minutes, most), name="Ibuprofen")
    events = [dose(base + m * MIN, name="Ibuprofen") for m in dose_minutes]
    proposed = base + proposed_minute * MIN
    found = check_dose(prn, proposed, events, TZ)
    near = {e.id for e in events if abs(e.at - proposed) < gap_minutes * MIN}
    assert {c.entry_id for c in found if c.code == MIN_INTERVAL} == near
    # brute force over every minute a 24-hour window (end - 24 h, end] holding the proposed dose can end
    worst = max(sum(1 for e in events if end - 24 * H < e.at <= end)
                for end in range(proposed, proposed + 24 * H, MIN))
    assert any(c.code == MAX_PER_DAY for c in found) == (worst + 1 > most)


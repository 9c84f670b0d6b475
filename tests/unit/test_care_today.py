"""Today's board (due, overdue, missed, done, late, in time order, from any
device) and adherence per medication per day and week."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings, strategies as st

from carelog.domain.adherence import adherence, daily, week_of, weekly
from carelog.domain.careplan import (MED_PLAN, TASK, TASK_PLAN, PlanItem, parse_med_plan, parse_task_plan,
                                     plan_items)
from carelog.domain.events import EDIT, Event
from carelog.domain.fold import fold
from carelog.domain.records import records
from carelog.domain.schedule import EveryHours, TimesOfDay
from carelog.domain.today import DONE, DUE, MISSED, OVERDUE, UPCOMING, today
from carelog.domain.zones import to_instant, zone

from care_events import EventLog

TZ = zone("America/New_York")
DAY = dt.date(2024, 3, 12)
MIN = 60_000
H = 60 * MIN


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> int:
    return to_instant(dt.datetime.combine(day, dt.time(hour, minute)), TZ)


class Log(EventLog):
    """The shared event log, plus doses linked to plan slots."""

    def dose(self, item, slot, when, status="given", by="Ann", device="d1", **extra) -> Event:
        payload = {"name": item.name, "status": status, "dose": 1, "unit": "{tablet}", **extra}
        if item is not None and slot is not False:
            payload["plan_item"] = item.id
            if slot:
                payload["slot"] = slot
        return self.add("medication", payload, when, by, device)
def plan(log: Log, **changes):
    form = {"name": "Metformin", "dose": "1", "unit": "{tablet}", "start_date": "2024-03-01",
            "schedule": "daily", "times": "08:00, 20:00"}
    form.update(changes)
    log.add(MED_PLAN, parse_med_plan(form))
    return plan_items(log.events)


def states(board):
    return [(r.slot.key[11:], r.item.name, r.state) for r in board.rows]


def test_states_through_the_day():
    log = Log()
    (item,) = plan(log)
    assert states(today([item], [], DAY, TZ, at(6))) == [("08:00", "Metformin", UPCOMING),
                                                         ("20:00", "Metformin", UPCOMING)]
    assert [r.state for r in today([item], [], DAY, TZ, at(7, 0)).rows] == [DUE, UPCOMING]  # window opens 07:00
    assert [r.state for r in today([item], [], DAY, TZ, at(9, 0)).rows] == [DUE, UPCOMING]  # closes 09:00
    assert [r.state for r in today([item], [], DAY, TZ, at(9, 1)).rows] == [OVERDUE, UPCOMING]
    assert [r.state for r in today([item], [], DAY, TZ, at(14, 0)).rows] == [MISSED, UPCOMING]  # catchment ends 14:00
    board = today([item], [], DAY, TZ, at(19, 30))
    assert [r.state for r in board.rows] == [MISSED, DUE] and [r.state for r in board.to_do] == [DUE]


def test_done_late_early_skipped_refused_from_any_device():
    log = Log()
    (item,) = plan(log)
    log.dose(item, "2024-03-12T08:00", at(10, 30), by="Bob", device="tablet-2")  # late, other device
    log.dose(item, "2024-03-12T20:00", at(18, 45))                                # early
    board = today([item], log.events, DAY, TZ, at(21))
    first, second = board.rows
    assert first.state == DONE and first.late and first.record.by == "Bob" and first.record.device == "tablet-2"
    assert second.state == DONE and second.early and not second.late
    log2 = Log()
    (item2,) = plan(log2)
    log2.dose(item2, "2024-03-12T08:00", at(8, 5), status="refused", reason="Spat it out")
    log2.dose(item2, "2024-03-12T20:00", at(20), status="skipped", reason="Nil by mouth")
    board = today([item2], log2.events, DAY, TZ, at(21))
    assert [r.state for r in board.rows] == ["refused", "skipped"] and board.rows[0].record.reason == "Spat it out"
    assert len(board.done) == 2 and board.to_do == []


def test_unlinked_dose_matches_by_name_and_time_and_double_doses_show():
    log = Log()
    (item,) = plan(log)
    log.add("medication", {"name": "  metformin ", "status": "given", "dose": 1, "unit": "{tablet}"}, at(8, 20))
    log.dose(item, "2024-03-12T08:00", at(8, 40), by="Bob", device="d2")
    log.add("medication", {"name": "Aspirin", "status": "given", "dose": 1, "unit": "{tablet}"}, at(8, 30))
    first = today([item], log.events, DAY, TZ, at(9)).rows[0]
    assert first.state == DONE and first.record.by == "Ann" and [r.by for r in first.extra] == ["Bob"]


def test_links_win_over_time_and_other_days_slots_stay_there():
    log = Log()
    (item,) = plan(log)
    # Yesterday's evening dose given after midnight, linked to its slot: not today's morning dose.
    log.dose(item, "2024-03-11T20:00", at(1, 30))
    board = today([item], log.events, DAY, TZ, at(9, 30))
    assert [r.state for r in board.rows] == [OVERDUE, UPCOMING] and board.loose == ()
    # The same dose without a slot link is matched by time: catchment of yesterday's 20:00 runs to 02:00.
    log2 = Log()
    (item2,) = plan(log2)
    log2.dose(item2, "", at(1, 30))
    assert [r.state for r in today([item2], log2.events, DAY, TZ, at(9, 30)).rows] == [OVERDUE, UPCOMING]


def test_deleted_and_edited_doses():
    log = Log()
    (item,) = plan(log)
    dose = log.dose(item, "2024-03-12T08:00", at(8))
    log.change(dose.entry, None)
    assert today([item], log.events, DAY, TZ, at(8, 30)).rows[0].state == DUE
    refused = log.dose(item, "2024-03-12T08:00", at(8, 10), status="refused", reason="asleep")
    log.change(refused.entry, {**refused.payload, "status": "given"}, by="Cat")
    row = today([item], log.events, DAY, TZ, at(8, 30)).rows[0]
    assert row.state == DONE and row.record.by == "Ann"  # recorded by Ann, corrected by Cat


def test_conflicting_versions_count_as_maybe_given():
    log = Log()
    (item,) = plan(log)
    dose = log.dose(item, "2024-03-12T08:00", at(8), status="skipped", reason="asleep")
    current = fold(log.events)[dose.entry]
    for who, status, dev in (("Bob", "given", "d2"), ("Cat", "refused", "d3")):
        payload = {**dose.payload, "status": status}
        log.events.append(Event(id=f"{who}-edit", recipient="r1", kind="medication", entry=dose.entry, op=EDIT,
                                revises=current.head_ids, at=dose.at, payload=payload, author=who, device=dev,
                                hlc=f"{dose.at + (5 if who == 'Cat' else 1):013d}-000000-{dev}"))
    (rec,) = records(log.events)
    assert rec.in_conflict and rec.status == "refused" and rec.maybe_given


def test_rows_of_several_items_in_time_order_and_plan_dates():
    log = Log()
    plan(log)
    log.add(TASK_PLAN, parse_task_plan({"name": "Reposition", "start_date": "2024-03-12", "schedule": "interval",
                                        "every_hours": "4", "first_time": "06:00", "window_minutes": "30"}))
    plan(log, name="Lisinopril", times="12:00", end_date="2024-03-11")  # ended yesterday
    items = plan_items(log.events)
    board = today(items, log.events, DAY, TZ, at(5))
    assert [(k, n) for k, n, _ in states(board)] == [
        ("06:00", "Reposition"), ("08:00", "Metformin"), ("10:00", "Reposition"), ("14:00", "Reposition"),
        ("18:00", "Reposition"), ("20:00", "Metformin"), ("22:00", "Reposition")]
    task = next(i for i in items if i.name == "Reposition")
    log.add(TASK, {"name": "Reposition", "plan_item": task.id, "slot": "2024-03-12T06:00", "status": "done"}, at(6, 10))
    board = today(items, log.events, DAY, TZ, at(7))
    assert board.rows[0].state == DONE and board.rows[0].window == (at(5, 30), at(6, 30))


def test_dst_day_board_keeps_wall_times():
    log = Log()
    (item,) = plan(log, times="02:30, 08:00")
    spring = dt.date(2024, 3, 10)
    board = today([item], [], spring, TZ, at(12, day=spring))
    assert [r.slot.key for r in board.rows] == ["2024-03-10T02:30", "2024-03-10T08:00"]
    assert board.rows[0].slot.moved and board.rows[0].at == at(3, day=spring)
    assert board.rows[1].at == at(8, day=spring)
    autumn = dt.date(2024, 11, 3)
    assert len(today([item], [], autumn, TZ, at(12, day=autumn)).rows) == 2


def test_prn_status():
    log = Log()
    (item,) = plan(log, name="Paracetamol", schedule="prn", min_interval_hours="4", max_per_day="3")
    board = today([item], [], DAY, TZ, at(9))
    assert board.rows == () and board.prn[0].last is None and board.prn[0].next_allowed is None
    for hour, who in ((2, "Ann"), (7, "Bob"), (12, "Cat")):
        log.dose(item, None, at(hour), by=who)
    status = today([item], log.events, DAY, TZ, at(13)).prn[0]
    assert status.last.by == "Cat" and status.in_24h == 3 and status.at_max
    assert status.next_allowed == at(2, day=DAY + dt.timedelta(days=1))  # when the 02:00 dose is 24 h old
    status = today([item], log.events[:-1], DAY, TZ, at(8)).prn[0]
    assert not status.at_max and status.next_allowed == at(11)  # 4 h after 07:00


def test_loose_records_match_no_slot():
    log = Log()
    (item,) = plan(log, schedule="weekdays", times="09:00", weekdays="mon")  # 2024-03-12 is a Tuesday
    log.dose(item, "", at(9))
    board = today([item], log.events, DAY, TZ, at(10))
    assert board.rows == () and [r.at for r in board.loose] == [at(9)]


# --- adherence -----------------------------------------------------------------------

def test_adherence_of_one_day():
    log = Log()
    (item,) = plan(log, times="08:00, 12:00, 16:00, 20:00")
    log.dose(item, "2024-03-12T08:00", at(8))
    log.dose(item, "2024-03-12T08:00", at(8, 5), by="Bob")  # a double dose
    log.dose(item, "2024-03-12T12:00", at(13, 30))         # late
    log.dose(item, "2024-03-12T20:00", at(16, 10), status="refused", reason="asleep")
    a = adherence(item, log.events, DAY, DAY, TZ, at(16, 30))
    assert (a.scheduled, a.due, a.given, a.late, a.refused, a.skipped, a.missed, a.open, a.extra) == \
        (4, 4, 2, 1, 1, 0, 0, 1, 1)
    assert a.rate == 0.5 and a.percent == "50%"
    later = adherence(item, log.events, DAY, DAY, TZ, at(23, 59))
    assert later.missed == 1 and later.open == 0
    assert adherence(item, [], DAY, DAY, TZ, at(7)).rate is None


def test_adherence_per_day_and_week():
    log = Log()
    (item,) = plan(log, start_date="2024-03-13")  # Wednesday
    (prn,) = [i for i in plan(log, name="Paracetamol", schedule="prn", min_interval_hours="4", max_per_day="4")
              if i.name == "Paracetamol"]
    for day in (13, 14, 15):
        d = dt.date(2024, 3, day)
        log.dose(item, f"2024-03-{day}T08:00", at(8, day=d))
        log.dose(item, f"2024-03-{day}T20:00", at(20, day=d), status="skipped" if day == 14 else "given",
                 reason="hospital visit")
    log.dose(prn, None, at(10, day=dt.date(2024, 3, 14)))
    now = at(21, day=dt.date(2024, 3, 15))
    per_day = daily([item], log.events, dt.date(2024, 3, 12), dt.date(2024, 3, 15), TZ, now)[item.id]
    assert [(a.due, a.given, a.skipped) for a in per_day] == [(0, 0, 0), (2, 2, 0), (2, 1, 1), (2, 2, 0)]
    assert week_of(dt.date(2024, 3, 14)) == (dt.date(2024, 3, 11), dt.date(2024, 3, 17))
    week = {a.name: a for a in weekly([item, prn], log.events, dt.date(2024, 3, 14), TZ, now)}
    assert (week["Metformin"].scheduled, week["Metformin"].due, week["Metformin"].given) == (10, 6, 5)
    assert week["Paracetamol"].as_needed == 1 and week["Paracetamol"].rate is None


# --- properties -------------------------------------------------------------------------

ORDER = {UPCOMING: 0, DUE: 1, OVERDUE: 2, MISSED: 3}
CHANGES = [("America/New_York", dt.date(2024, 3, 10)), ("America/New_York", dt.date(2024, 11, 3)),
           ("Australia/Lord_Howe", dt.date(2024, 10, 6)), ("Australia/Lord_Howe", dt.date(2024, 4, 7)),
           ("Pacific/Chatham", dt.date(2024, 9, 29)), ("Europe/London", dt.date(2024, 10, 27)),
           ("Asia/Kolkata", dt.date(2024, 6, 1))]


@st.composite
def day_with_plan(draw):
    name, day = draw(st.sampled_from(CHANGES))
    tz = zone(name)
    if draw(st.booleans()):
        mins = draw(st.lists(st.integers(0, 1439), min_size=1, max_size=5, unique=True))
        schedule = TimesOfDay(tuple(sorted(dt.time(m // 60, m % 60) for m in mins)))
    else:
        schedule = EveryHours(draw(st.integers(1, 8)), dt.time(draw(st.integers(0, 23))))
    item = PlanItem(id="p1", kind=MED_PLAN, name="Med", schedule=schedule, start=day - dt.timedelta(days=2),
                    window_minutes=draw(st.sampled_from([10, 30, 60, 180])))
    return tz, day, item


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day_with_plan(), st.lists(st.integers(0, 26 * 60), min_size=2, max_size=6), st.data())
def test_board_states_only_move_forward_and_adherence_adds_up(case, now_minutes, data):
    tz, day, item = case
    start = to_instant(dt.datetime.combine(day, dt.time()), tz)
    log = Log()
    slots = item.slots(day, day, tz)
    for s in data.draw(st.lists(st.sampled_from(slots), max_size=4)) if slots else []:
        status = data.draw(st.sampled_from(["given", "refused"]))
        log.add("medication", {"name": "Med", "status": status, "plan_item": "p1", "slot": s.key, "reason": "r"},
                s.at + data.draw(st.integers(-120, 120)) * MIN)
    previous = None
    for now in sorted(start + m * MIN for m in now_minutes):
        board = today([item], log.events, day, tz, now)
        assert [r.slot.key for r in board.rows] == [s.key for s in slots]  # every slot once, in time order
        assert all(a.at <= b.at for a, b in zip(board.rows, board.rows[1:]))
        if previous is not None:
            for before, after in zip(previous.rows, board.rows):
                if not before.settled:
                    assert ORDER[after.state] >= ORDER[before.state]
                else:
                    assert after.state == before.state
        previous = board
        a = adherence(item, log.events, day, day, tz, now)
        assert a.given + a.skipped + a.refused + a.missed + a.open == a.due <= a.scheduled == len(slots)

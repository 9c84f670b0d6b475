"""Handoff "since you last looked": doses given and not given, missed slots,
new alerts with their acks, new notes, who recorded what."""

from __future__ import annotations

import datetime as dt

from carelog.domain.alerts import parse_ack
from carelog.domain.careplan import MED_PLAN, parse_med_plan, plan_items
from carelog.domain.handoff import handoff
from carelog.domain.validation import parse_vital
from carelog.domain.zones import to_instant, zone

from care_events import EventLog

TZ = zone("Australia/Lord_Howe")
DAY = dt.date(2024, 10, 6)  # clocks go forward 30 minutes at 02:00


def at(hour, minute=0, day=DAY):
    return to_instant(dt.datetime.combine(day, dt.time(hour, minute)), TZ)


Log = EventLog
def setup():
    log = Log()
    form = {"name": "Digoxin", "dose": "125", "unit": "ug", "start_date": "2024-10-01", "schedule": "daily",
            "times": "08:00, 12:00, 18:00"}
    log.add(MED_PLAN, parse_med_plan(form), at(0, day=dt.date(2024, 10, 1)))
    items = plan_items(log.events)
    return log, items, items[0]


def dose(log, item, slot, when, status="given", by="Ann", recorded=None, reason=""):
    payload = {"name": item.name, "status": status, "dose": 125, "unit": "ug", "plan_item": item.id,
               "slot": f"2024-10-06T{slot}"}
    if reason:
        payload["reason"] = reason
    return log.add("medication", payload, when, by=by, recorded=recorded)


def test_nothing_new():
    log, items, _ = setup()
    h = handoff(log.events, at(9), at(9, 30), TZ, items)
    assert h.empty and h.headline() == "Nothing new since you last looked."


def test_since_you_last_looked():
    log, items, item = setup()
    dose(log, item, "08:00", at(8, 5), by="Ann")                       # before Bob last looked at 09:00
    log.add("note", {"text": "Slept badly"}, at(8, 30), by="Ann")
    since, now = at(9), at(19)
    dose(log, item, "08:00", at(8, 50), by="Cat", recorded=at(9, 15))  # entered late: new, and a double dose
    dose(log, item, "18:00", at(18, 5), status="refused", by="Cat", reason="Nausea")
    noon_missed = at(15)  # 12:00 catchment ends at 15:00 with nothing recorded
    log.add("vital", parse_vital({"type": "heart_rate", "value": "44"}), at(16), by="Cat")
    log.add("vital", parse_vital({"type": "temperature", "value": "36.8"}), at(16), by="Cat")
    note = log.add("note", {"text": "Visited by the nurse"}, at(17), by="Dee", device="d2")
    h = handoff(log.events, since, now, TZ, items)
    assert [(r.by, r.at) for r in h.given] == [("Cat", at(8, 50))]
    assert [(r.status, r.reason) for r in h.not_given] == [("refused", "Nausea")]
    assert [(m.slot.key, m.catchment[1]) for m in h.missed] == [("2024-10-06T12:00", noon_missed)]
    assert sorted(v.alert.rule for v in h.alerts) == ["missed_dose", "vital_low"]
    assert [n.id for n in h.notes] == [note.id]
    assert h.other == {"vital": 2} and h.by_author == {"Cat": 4, "Dee": 1}
    assert h.headline() == "1 dose given, 1 not given, 1 missed, 1 new alert, 1 note — by Cat, Dee"


def test_acked_alerts_show_who_acknowledged_and_own_entries_can_be_left_out():
    log, items, item = setup()
    hr = log.add("vital", parse_vital({"type": "spo2", "value": "85"}), at(10), by="Cat")
    h = handoff(log.events, at(9), at(11), TZ, items)
    assert sorted(v.alert.rule for v in h.alerts) == ["missed_dose", "vital_low"]  # 08:00 went missed at 10:00
    (view,) = [v for v in h.alerts if v.alert.rule == "vital_low"]
    log.add("alert_ack", parse_ack({"alert": view.alert.id, "note": "Oxygen on"}), at(10, 5), by="Dee")
    (view,) = [v for v in handoff(log.events, at(9), at(11), TZ, items).alerts if v.alert.rule == "vital_low"]
    assert not view.open and view.ack.by == "Dee" and view.alert.sources == (hr.id,)
    mine = handoff(log.events, at(9), at(11), TZ, items, leave_out_author="Cat")
    assert mine.other == {} and mine.by_author == {}
    assert handoff(log.events, at(9), at(11), TZ, items).by_author == {"Cat": 1}  # acks are not entries

"""The care plan: medication and task forms, plan items built from events
(edits, deletes, malformed payloads), and the payloads that record a planned
dose or task with its links."""

from __future__ import annotations

import datetime as dt

import pytest

from carelog.domain.careplan import (MED_PLAN, TASK_PLAN, PlanItem, end_payload, item_from_entry, parse_med_plan,
                                     parse_planned_dose, parse_task_plan, parse_task_record, plan_items)
from carelog.domain.fold import fold
from carelog.domain.schedule import AsNeeded, EveryHours, TimesOfDay
from carelog.domain.validation import FormErrors

from care_events import EventLog


Log = EventLog
MED = {"name": "Metformin", "strength": "500 mg", "dose": "1", "unit": "{tablet}", "route": "oral",
       "instructions": "With food", "start_date": "2024-03-01", "schedule": "daily", "times": "08:00, 20:00"}


def test_parse_med_plan_full():
    p = parse_med_plan({**MED, "end_date": "2024-06-30", "window_minutes": "90", "rxnorm": "860975"})
    assert p == {"name": "Metformin", "dose": 1, "end_date": "2024-06-30", "instructions": "With food",
                 "route": "oral", "rxnorm": "860975", "schedule": {"kind": "daily", "times": ["08:00", "20:00"]},
                 "start_date": "2024-03-01", "strength": "500 mg", "unit": "{tablet}", "window_minutes": 90}


def test_parse_med_plan_defaults_route_and_allows_prn():
    p = parse_med_plan({"name": "Paracetamol", "dose": "2", "unit": "{tablet}", "start_date": "2024-03-01",
                        "schedule": "prn", "min_interval_hours": "4", "max_per_day": "4"})
    assert p["route"] == "oral" and p["schedule"] == {"kind": "prn", "min_interval_minutes": 240, "max_per_day": 4}


@pytest.mark.parametrize("change, field", [
    ({"name": ""}, "name"), ({"dose": "a lot"}, "dose"), ({"dose": "0"}, "dose"), ({"unit": "spoon"}, "unit"),
    ({"route": "ear canal"}, "route"), ({"start_date": ""}, "start_date"), ({"start_date": "1/3/24"}, "start_date"),
    ({"end_date": "2024-02-01"}, "end_date"), ({"window_minutes": "1"}, "window_minutes"),
    ({"window_minutes": "30.5"}, "window_minutes"), ({"rxnorm": "ABC"}, "rxnorm"), ({"times": "soon"}, "times"),
    ({"instructions": "x" * 1001}, "instructions"),
])
def test_parse_med_plan_errors(change, field):
    with pytest.raises(FormErrors) as caught:
        parse_med_plan({**MED, **change})
    assert field in caught.value.errors


def test_parse_task_plan_and_no_prn_tasks():
    p = parse_task_plan({"name": "Reposition", "start_date": "2024-03-01", "schedule": "interval",
                         "every_hours": "2", "first_time": "06:00", "window_minutes": "30"})
    assert p["schedule"] == {"kind": "interval", "every_hours": 2, "first_time": "06:00"} and p["window_minutes"] == 30
    with pytest.raises(FormErrors) as caught:
        parse_task_plan({"name": "Walk", "start_date": "2024-03-01", "schedule": "prn"})
    assert "schedule" in caught.value.errors


def test_plan_items_follow_edits_and_deletes_and_skip_malformed():
    log = Log()
    med = log.add(MED_PLAN, parse_med_plan(MED))
    task = log.add(TASK_PLAN, parse_task_plan({"name": "Check feet", "start_date": "2024-03-01",
                                               "schedule": "weekdays", "times": "9", "weekdays": "mon"}))
    gone = log.add(MED_PLAN, parse_med_plan({**MED, "name": "Aspirin"}))
    log.add(MED_PLAN, {"name": "Broken", "schedule": {"kind": "daily"}, "start_date": "2024-03-01"})
    log.add(TASK_PLAN, {"name": "PRN task", "schedule": {"kind": "prn", "min_interval_minutes": 60, "max_per_day": 2},
                        "start_date": "2024-03-01"})
    log.add("note", {"text": "not a plan"})
    log.change(med.id, parse_med_plan({**MED, "times": "09:00"}))
    log.change(gone.id, None)
    items = plan_items(log.events)
    assert [i.name for i in items] == ["Check feet", "Metformin"]
    metformin = items[1]
    assert metformin.id == med.id and metformin.schedule == TimesOfDay((dt.time(9),))
    assert metformin.is_medication and not metformin.prn and items[0].kind == TASK_PLAN
    assert metformin.label == "Metformin 500 mg: 1 tablet(s), by mouth"
    assert metformin.when == "Every day at 09:00" and items[0].label == "Check feet"
    assert task.id == items[0].id and plan_items(log.events, recipient="other") == []


def test_item_dates_and_end_payload():
    log = Log()
    e = log.add(MED_PLAN, parse_med_plan({**MED, "end_date": "2024-03-10"}))
    item = item_from_entry(fold(log.events)[e.id])
    assert item.active_on(dt.date(2024, 3, 1)) and item.active_on(dt.date(2024, 3, 10))
    assert not item.active_on(dt.date(2024, 2, 29)) and not item.active_on(dt.date(2024, 3, 11))
    stopped = end_payload(item, dt.date(2024, 3, 5))
    assert stopped["end_date"] == "2024-03-05" and stopped["name"] == "Metformin"
    assert end_payload(item, dt.date(2024, 1, 1))["end_date"] == "2024-03-01"  # never before the start


def _item(**kw) -> PlanItem:
    base = dict(id="p1", kind=MED_PLAN, name="Metformin", schedule=TimesOfDay((dt.time(8),)),
                start=dt.date(2024, 1, 1), dose=1.0, unit="{tablet}", route="oral")
    base.update(kw)
    return PlanItem(**base)


def test_planned_dose_payload_links_and_defaults_to_the_plan():
    p = parse_planned_dose(_item(), "2024-03-10T08:00", {"status": "given"})
    assert p == {"name": "Metformin", "status": "given", "dose": 1, "unit": "{tablet}", "route": "oral",
                 "plan_item": "p1", "slot": "2024-03-10T08:00"}
    refused = parse_planned_dose(_item(), "2024-03-10T08:00", {"status": "refused", "reason": "Asleep"})
    assert refused["status"] == "refused" and refused["reason"] == "Asleep"
    prn = parse_planned_dose(_item(schedule=AsNeeded(240, 4)), None, {"dose": "2"})
    assert prn["dose"] == 2 and "slot" not in prn


@pytest.mark.parametrize("slot, form, field", [
    ("2024-03-10T08:00", {"status": "refused"}, "reason"),
    ("tomorrow", {}, "slot"),
    ("", {}, "slot"),
    ("2024-03-10T08:00", {"dose": "-1"}, "dose"),
])
def test_planned_dose_errors(slot, form, field):
    with pytest.raises(FormErrors) as caught:
        parse_planned_dose(_item(), slot, form)
    assert field in caught.value.errors


def test_task_record_payloads():
    task = _item(kind=TASK_PLAN, name="Reposition", schedule=EveryHours(2, dt.time(6)))
    assert parse_task_record(task, "2024-03-10T06:00", {}) == {
        "name": "Reposition", "plan_item": "p1", "status": "done", "slot": "2024-03-10T06:00"}
    with pytest.raises(FormErrors) as caught:
        parse_task_record(task, "2024-03-10T06:00", {"status": "skipped"})
    assert "reason" in caught.value.errors
    with pytest.raises(FormErrors):
        parse_planned_dose(task, "2024-03-10T06:00", {})

"""Alerts: default thresholds and caregiver changes, unit conversion, a reading
out of range, stable ids and acknowledgement across devices; trend rules
(weight gain, rising blood pressure, repeated glucose) and missed doses."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from carelog.domain.alerts import (DEFAULT_LIMITS, HIGH, LOW, alert_id, alert_list, acks_from, breaches,
                                   from_canonical, limits_from, parse_ack, parse_threshold, reading_alerts,
                                   to_canonical, vital_alerts)
from carelog.domain.careplan import MED_PLAN, parse_med_plan, plan_items
from carelog.domain.events import Event
from carelog.domain.fold import fold
from carelog.domain.trends import (TrendRules, bp_alerts, collect_alerts, glucose_alerts, missed_dose_alerts,
                                   weight_alerts)
from carelog.domain.validation import FormErrors, parse_vital
from carelog.domain.zones import to_instant, zone

from care_events import EventLog

PROPS = settings(max_examples=200, deadline=None)
TZ = zone("Europe/London")
H = 3_600_000


def at(day: int, hour: int = 8, month: int = 5) -> int:
    return to_instant(dt.datetime(2024, month, day, hour), TZ)


class Log(EventLog):
    """The shared event log, plus vital readings."""

    def vital(self, when, by="Ann", **form) -> Event:
        return self.add("vital", parse_vital({k: str(v) for k, v in form.items()}), when, by)


# --- thresholds -----------------------------------------------------------------

@pytest.mark.parametrize("form, expected", [
    ({"type": "blood_pressure", "systolic": 181, "diastolic": 80}, [("systolic", HIGH)]),
    ({"type": "blood_pressure", "systolic": 180, "diastolic": 80}, []),
    ({"type": "blood_pressure", "systolic": 89, "diastolic": 49}, [("systolic", LOW), ("diastolic", LOW)]),
    ({"type": "spo2", "value": 91}, [("spo2", LOW)]),
    ({"type": "spo2", "value": 92}, []),
    ({"type": "temperature", "value": 38.0}, [("temperature", HIGH)]),
    ({"type": "temperature", "value": 37.9}, []),
    ({"type": "temperature", "value": 100.4, "unit": "[degF]"}, [("temperature", HIGH)]),
    ({"type": "temperature", "value": 100.3, "unit": "[degF]"}, []),
    ({"type": "temperature", "value": 94.8, "unit": "[degF]"}, [("temperature", LOW)]),
    ({"type": "heart_rate", "value": 121}, [("heart_rate", HIGH)]),
    ({"type": "heart_rate", "value": 49}, [("heart_rate", LOW)]),
    ({"type": "blood_glucose", "value": 69}, [("blood_glucose", LOW)]),
    ({"type": "blood_glucose", "value": 251}, [("blood_glucose", HIGH)]),
    ({"type": "blood_glucose", "value": 3.8, "unit": "mmol/L"}, [("blood_glucose", LOW)]),
    ({"type": "blood_glucose", "value": 14.0, "unit": "mmol/L"}, [("blood_glucose", HIGH)]),
    ({"type": "blood_glucose", "value": 6.0, "unit": "mmol/L"}, []),
    ({"type": "respiratory_rate", "value": 25}, [("respiratory_rate", HIGH)]),
    ({"type": "pain", "value": 7}, [("pain", HIGH)]),
    ({"type": "weight", "value": 150}, []),
])
def test_default_thresholds(form, expected):
    payload = parse_vital({k: str(v) for k, v in form.items()})
    assert [(k, side) for k, side, _ in breaches(DEFAULT_LIMITS, form["type"], payload)] == expected


def test_unit_conversions_round_trip():
    assert to_canonical("temperature", "[degF]", 98.6) == 37.0
    assert to_canonical("blood_glucose", "mmol/L", 5.5) == 99.1
    assert to_canonical("weight", "[lb_av]", 220) == 99.79
    assert from_canonical("temperature", "[degF]", 38.0) == 100.4
    assert from_canonical("blood_glucose", "mmol/L", 180) == 10.0
    assert to_canonical("heart_rate", "/min", 80) == 80


def test_caregiver_changes_limits_newest_wins_and_reset():
    log = Log()
    log.add("threshold", parse_threshold({"limit": "systolic", "low": "100", "high": "160"}), at(1))
    later = log.add("threshold", parse_threshold({"limit": "systolic", "low": "", "high": "170"}), at(2), device="d2")
    fahrenheit = {"limit": "temperature", "high": "99.5", "low": "95", "unit": "[degF]"}
    log.add("threshold", parse_threshold(fahrenheit), at(1))
    limits = limits_from(log.events)
    assert (limits["systolic"].low, limits["systolic"].high) == (None, 170)
    assert (limits["temperature"].low, limits["temperature"].high) == (35.0, 37.5)
    assert limits["systolic"].describe() == "Alert above 170 mmHg"
    assert DEFAULT_LIMITS["temperature"].describe() == "Alert at or above 38 or below 35 °C"
    log.add("threshold", parse_threshold({"limit": "systolic", "reset": "yes"}), at(3))
    assert limits_from(log.events)["systolic"] == DEFAULT_LIMITS["systolic"]
    assert limits_from(log.events, recipient="someone else") == DEFAULT_LIMITS
    assert later.payload == {"limit": "systolic", "low": None, "high": 170.0}


@pytest.mark.parametrize("form, field", [
    ({"limit": "mood"}, "limit"), ({"limit": "systolic", "high": "lots"}, "high"),
    ({"limit": "systolic", "high": "400"}, "high"), ({"limit": "systolic", "low": "150", "high": "140"}, "high"),
    ({"limit": "temperature", "high": "38", "unit": "K"}, "unit"),
])
def test_parse_threshold_errors(form, field):
    with pytest.raises(FormErrors) as caught:
        parse_threshold(form)
    assert field in caught.value.errors


@PROPS
@given(st.sampled_from(sorted(k for k, v in DEFAULT_LIMITS.items() if v.vital != "weight")),
       st.floats(0, 1000, allow_nan=False), st.floats(0, 50, allow_nan=False), st.booleans())
def test_thresholds_are_monotone_in_the_value(key, value, bump, other_unit):
    """If a value breaches a high limit, every larger value does; likewise low and smaller."""
    lim = DEFAULT_LIMITS[key]
    units = {"temperature": "[degF]", "blood_glucose": "mmol/L"}
    unit = units.get(lim.vital, lim.unit) if other_unit else lim.unit
    payload = lambda v: {"unit": unit, lim.component: v}  # noqa: E731
    sides = lambda v: {s for k, s, _ in breaches({key: lim}, lim.vital, payload(v))}  # noqa: E731
    if HIGH in sides(value):
        assert HIGH in sides(value + bump)
    if LOW in sides(value):
        assert LOW in sides(max(value - bump, 0))
    assert not {HIGH, LOW} <= sides(value)


# --- reading alerts, ids and acks --------------------------------------------------------

def test_reading_alert_is_immediate_with_a_stable_id():
    log = Log()
    bp = log.vital(at(1), type="blood_pressure", systolic=190, diastolic=85)
    (alert,) = reading_alerts(fold(log.events)[bp.id], DEFAULT_LIMITS, TZ)
    assert alert.title == "Systolic (top number) 190 mmHg is above 180" and alert.level == "urgent"
    assert alert.detail == "Recorded by Ann at Wed 01 May 08:00." and alert.sources == (bp.id,)
    assert alert.id == alert_id("vital_high", "r1", bp.id, "systolic")
    # corrected on another device, still too high: the same alert (an ack stays)
    log.change(bp.id, {**bp.payload, "systolic": 200}, by="Bob", device="d2")
    (again,) = vital_alerts(log.events, DEFAULT_LIMITS)
    assert again.id == alert.id and "200" in again.title
    # corrected into range: gone
    log.change(bp.id, {**bp.payload, "systolic": 150})
    assert vital_alerts(log.events, DEFAULT_LIMITS) == []


def test_acks_match_across_devices_and_can_be_undone():
    log = Log()
    log.vital(at(1), type="spo2", value=88)
    log.vital(at(2), type="heart_rate", value=130)
    alerts = vital_alerts(log.events, DEFAULT_LIMITS)
    spo2 = next(a for a in alerts if "Oxygen" in a.title)
    ack = log.add("alert_ack", parse_ack({"alert": spo2.id, "note": "Called the GP"}), at(1, 9), by="Bob", device="d2")
    log.add("alert_ack", parse_ack({"alert": spo2.id}), at(1, 10), by="Cat", device="d3")  # a second ack: first wins
    views = alert_list(alerts + alerts, log.events)
    assert [(v.alert.title.split()[0], v.open) for v in views] == [("Heart", True), ("Oxygen", False)]
    assert (views[1].ack.by, views[1].ack.note) == ("Bob", "Called the GP")
    log.change(ack.id, None)  # Bob's ack undone: Cat's remains
    assert acks_from(log.events)[spo2.id].by == "Cat"
    with pytest.raises(FormErrors):
        parse_ack({"alert": "x"})


# --- trend rules ----------------------------------------------------------------------

def weights(log, kgs, start_day=1, unit="kg"):
    for i, kg in enumerate(kgs):
        if kg is not None:
            log.vital(at(start_day + i), type="weight", value=kg, unit=unit)


def test_weight_up_2kg_in_3_days_fires_once_per_rise():
    log = Log()
    weights(log, [70.0, 70.5, 71.2, 72.0, 72.4, 72.5, 70.0, 70.2, 72.3])
    alerts = weight_alerts(log.events, TZ)
    assert [(a.rule, a.title, dt.date.fromtimestamp(a.at / 1000).day) for a in alerts] == [
        ("weight_gain_3d", "Weight up 2 kg in 3 days", 4),
        ("weight_gain_7d", "Weight up 2.5 kg in 7 days", 6),  # not over 3 days (71.2 on day 3), but over 7
        ("weight_gain_3d", "Weight up 2.3 kg in 3 days", 9)]
    assert alerts[0].id == alert_id("weight_gain_3d", "r1", "2024-05-04")
    assert "72 kg on Sat 04 May, from 70 kg on Wed 01 May" in alerts[0].detail


def test_weight_up_2_5kg_in_a_week_and_pounds():
    log = Log()
    weights(log, [154.3, 155.2, 156.1, 157.0, 157.9, 158.8, 160.0], unit="[lb_av]")  # ~ +0.4 kg a day
    (alert,) = weight_alerts(log.events, TZ)
    assert alert.rule == "weight_gain_7d" and alert.title == "Weight up 2.6 kg in 7 days"
    assert weight_alerts(log.events, TZ, TrendRules(weight_long_kg=3.0)) == []


def test_blood_pressure_average_rising():
    log = Log()
    for day in range(1, 8):  # a week around 130
        log.vital(at(day), type="blood_pressure", systolic=130 + day % 2, diastolic=80)
    for day in range(8, 15):  # the next week creeping up
        log.vital(at(day), type="blood_pressure", systolic=135 + 2 * (day - 8), diastolic=80)
    alerts = bp_alerts(log.events, TZ)
    assert len(alerts) == 1
    (alert,) = alerts
    # day 14: mean(135..147 step 2) = 141 vs days 1-7 mean 130.57 -> +10.4
    assert alert.id == alert_id("bp_rising", "r1", "2024-05-14") and alert.title.endswith("average 141 mmHg")
    assert alert.detail == "Up 10 mmHg from 131 mmHg the 7 days before."
    assert bp_alerts(log.events, TZ, TrendRules(bp_rise_mmhg=11)) == []
    assert bp_alerts(log.events, TZ, TrendRules(bp_min_readings=8)) == []


def test_glucose_repeatedly_high_or_low_in_7_days():
    log = Log()
    for day, value in [(1, 260), (3, 120), (4, 255), (6, 300), (7, 310), (20, 60), (21, 65), (26, 50)]:
        log.vital(at(day), type="blood_glucose", value=value)
    alerts = glucose_alerts(log.events, TZ)
    assert [(a.rule, a.id == alert_id(a.rule, "r1", f"2024-05-{d:02d}")) for a, d in zip(alerts, (6, 26))] == [
        ("glucose_high_repeated", True), ("glucose_low_repeated", True)]
    assert alerts[0].title == "Blood sugar high 3 times in 7 days" and len(alerts[0].sources) == 3
    tighter = dict(DEFAULT_LIMITS)
    assert glucose_alerts(log.events, TZ, tighter, TrendRules(glucose_count=5)) == []


def test_missed_doses_raise_one_alert_per_slot():
    log = Log()
    log.add(MED_PLAN, parse_med_plan({"name": "Furosemide", "dose": "40", "unit": "mg", "start_date": "2024-05-01",
                                      "schedule": "daily", "times": "08:00, 14:00"}), at(1, 0))
    items = plan_items(log.events)
    log.add("medication", {"name": "Furosemide", "status": "given", "dose": 40, "unit": "mg",
                           "plan_item": items[0].id, "slot": "2024-05-02T08:00"}, at(2, 8))
    found = missed_dose_alerts(items, log.events, dt.date(2024, 5, 2), dt.date(2024, 5, 2), TZ, at(2, 23))
    assert [a.title for a in found] == ["Missed dose: Furosemide due Thu 02 May 14:00"]
    assert found[0].id == alert_id("missed_dose", "r1", items[0].id, "2024-05-02T14:00")
    assert missed_dose_alerts(items, log.events, dt.date(2024, 5, 2), dt.date(2024, 5, 2), TZ, at(2, 12)) == []


def test_collect_alerts_is_order_independent_and_in_range():
    log = Log()
    weights(log, [70.0, 71.0, 72.5])
    log.vital(at(3, 9), type="spo2", value=85)
    log.vital(at(10, 9), type="spo2", value=85)  # outside the range asked for
    found = collect_alerts(log.events, TZ, at(3, 23), dt.date(2024, 5, 1), dt.date(2024, 5, 3))
    assert sorted(a.rule for a in found) == ["vital_low", "weight_gain_3d"]
    again = collect_alerts(list(reversed(log.events)), TZ, at(3, 23), dt.date(2024, 5, 1), dt.date(2024, 5, 3))
    assert [a.id for a in again] == [a.id for a in found]

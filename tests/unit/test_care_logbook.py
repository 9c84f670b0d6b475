"""More to log: daily-living entries by category, appointments in the
recipient's local time split into upcoming and past."""

from __future__ import annotations

import datetime as dt

import pytest

from carelog.domain.events import CREATE, Event
from carelog.domain.logbook import APPOINTMENT, appointments, parse_appointment, parse_daily_living
from carelog.domain.validation import FormErrors
from carelog.domain.zones import to_instant, zone


@pytest.mark.parametrize("form, expected", [
    ({"category": "meals", "meal": "lunch", "portion": "half"},
     {"category": "meals", "meal": "lunch", "portion": "half"}),
    ({"category": "fluids", "amount_ml": "200"}, {"category": "fluids", "amount_ml": 200}),
    ({"category": "sleep", "hours": "6,5", "quality": "poor"}, {"category": "sleep", "hours": 6.5, "quality": "poor"}),
    ({"category": "bowel", "stool_type": "4"}, {"category": "bowel", "stool_type": 4}),
    ({"category": "bladder", "continence": "pad"}, {"category": "bladder", "continence": "pad"}),
    ({"category": "mobility", "level": "aid", "note": "Slow today"},
     {"category": "mobility", "level": "aid", "note": "Slow today"}),
    ({"category": "fall", "where": "Bathroom"}, {"category": "fall", "injury": "none", "where": "Bathroom"}),
    ({"category": "mood", "mood": "anxious"}, {"category": "mood", "mood": "anxious"}),
])
def test_daily_living(form, expected):
    assert parse_daily_living(form) == expected


@pytest.mark.parametrize("form, field", [
    ({"category": "party"}, "category"), ({"category": "fluids"}, "amount_ml"),
    ({"category": "fluids", "amount_ml": "9000"}, "amount_ml"),
    ({"category": "bowel", "stool_type": "8"}, "stool_type"),
    ({"category": "meals", "portion": "loads"}, "portion"), ({"category": "mood"}, "mood"),
    ({"category": "sleep"}, "note"),
])
def test_daily_living_errors(form, field):
    with pytest.raises(FormErrors) as caught:
        parse_daily_living(form)
    assert field in caught.value.errors


def test_appointments_upcoming_and_past_in_local_time():
    tz = zone("America/New_York")
    forms = [{"title": "Cardiology", "starts": "2024-11-03T01:30", "place": "St Mary's", "who_goes": "Ann"},
             {"title": "Dentist", "starts": "2024-11-05T09:00"}, {"title": "GP", "starts": "2024-10-01T10:00"}]
    events = [Event(id=f"a{i}", recipient="r1", kind=APPOINTMENT, entry=f"a{i}", op=CREATE, revises=(), at=0,
                    payload=parse_appointment(f), author="Ann", device="d1", hlc=f"{i:013d}-000000-d1")
              for i, f in enumerate(forms)]
    now = to_instant(dt.datetime(2024, 11, 2, 12), tz)
    upcoming, past = appointments(events, tz, now)
    assert [a.title for a in upcoming] == ["Cardiology", "Dentist"] and [a.title for a in past] == ["GP"]
    assert upcoming[0].starts == to_instant(dt.datetime(2024, 11, 3, 1, 30), tz)  # the first 01:30
    with pytest.raises(FormErrors) as caught:
        parse_appointment({"title": "", "starts": "next tuesday"})
    assert set(caught.value.errors) == {"title", "starts"}

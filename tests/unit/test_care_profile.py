"""The care recipient's profile: form parsing with flat per-row error names,
phones, allergies, time zone, one profile per recipient, the emergency sheet."""

from __future__ import annotations

import datetime as dt

import pytest

from carelog.domain.careplan import MED_PLAN, parse_med_plan, plan_items
from carelog.domain.events import CREATE, Event
from carelog.domain.profile import (age_on, current_profile, emergency_sheet, parse_phone, parse_profile,
                                    profile_zone, rows)
from carelog.domain.validation import FormErrors

FULL = {
    "name": "Mary Smith", "birth_date": "1941-05-30", "timezone": "Europe/London",
    "conditions": "Heart failure\n\n  Type 2   diabetes \n",
    "allergies.0.substance": "Penicillin", "allergies.0.reaction": "Hives", "allergies.0.severity": "severe",
    "allergies.1.substance": "", "allergies.1.reaction": "",  # a blank spare row
    "allergies.2.substance": "Peanuts", "allergies.2.severity": "life_threatening",
    "emergency_contacts.0.name": "John Smith", "emergency_contacts.0.relationship": "Son",
    "emergency_contacts.0.phone": "+44 7700 900123", "emergency_contacts.0.phone2": "020 7946 0958",
    "care_team.0.role": "GP", "care_team.0.name": "Dr Patel", "care_team.0.organisation": "High St Surgery",
    "care_team.0.phone": "(020) 7946-0000 ext 12",
    "notes": "DNACPR form on the fridge",
}


def test_parse_full_profile_from_flat_fields():
    p = parse_profile(FULL, today=dt.date(2024, 6, 1))
    assert p["conditions"] == ["Heart failure", "Type 2 diabetes"]
    assert p["allergies"] == [{"substance": "Penicillin", "reaction": "Hives", "severity": "severe"},
                              {"substance": "Peanuts", "severity": "life_threatening"}]
    assert p["emergency_contacts"] == [{"name": "John Smith", "relationship": "Son", "phone": "+44 7700 900123",
                                        "phone2": "020 7946 0958"}]
    assert p["care_team"] == [{"role": "GP", "name": "Dr Patel", "organisation": "High St Surgery",
                               "phone": "(020) 7946-0000 ext 12"}]
    assert p["timezone"] == "Europe/London" and p["notes"].startswith("DNACPR")


def test_lists_of_rows_work_too_and_no_known_allergies():
    form = {"name": "Ann", "timezone": "America/New_York", "conditions": ["COPD"], "no_known_allergies": "on",
            "emergency_contacts": [{"name": "Bo", "phone": "555 0100"}, {"name": "", "phone": ""}]}
    p = parse_profile(form)
    assert p["no_known_allergies"] is True and p["allergies"] == [] and len(p["emergency_contacts"]) == 1
    assert rows({"x.1.a": "1", "x.0.a": "0", "y.0.a": "no"}, "x") == [(0, {"a": "0"}), (1, {"a": "1"})]


@pytest.mark.parametrize("change, field", [
    ({"name": ""}, "name"),
    ({"birth_date": "30/05/1941"}, "birth_date"),
    ({"birth_date": "2030-01-01"}, "birth_date"),
    ({"timezone": ""}, "timezone"),
    ({"timezone": "Europe/Atlantis"}, "timezone"),
    ({"allergies.0.substance": ""}, "allergies.0.substance"),
    ({"allergies.0.severity": "awful"}, "allergies.0.severity"),
    ({"no_known_allergies": "yes"}, "no_known_allergies"),
    ({"emergency_contacts.0.phone": "call me"}, "emergency_contacts.0.phone"),
    ({"emergency_contacts.0.phone": ""}, "emergency_contacts.0.phone"),
    ({"emergency_contacts.0.name": ""}, "emergency_contacts.0.name"),
    ({"care_team.0.role": ""}, "care_team.0.role"),
    ({"conditions": "x" * 201}, "conditions"),
])
def test_profile_errors_name_the_field(change, field):
    with pytest.raises(FormErrors) as caught:
        parse_profile({**FULL, **change}, today=dt.date(2024, 6, 1))
    assert field in caught.value.errors and caught.value.errors[field].endswith(".")


@pytest.mark.parametrize("text, ok", [
    ("+44 20 7946 0958", True), ("(555) 123-4567", True), ("112", True), ("555.123.4567 x 22", True),
    ("12", False), ("+44 +20", False), ("phone me", False), ("", False), ("1" * 21, False),
])
def test_parse_phone(text, ok):
    assert (parse_phone(text) is not None) is ok


def test_zone_is_injectable():
    fixed = dt.timezone(dt.timedelta(hours=9))
    p = parse_profile({"name": "Kim", "timezone": "Moon/Base"}, lookup=lambda name: fixed)
    assert profile_zone(p, lookup=lambda name: fixed) is fixed
    assert profile_zone({"timezone": "Nowhere/Land"}).utcoffset(None) == dt.timedelta(0)
    assert profile_zone(None).utcoffset(None) == dt.timedelta(0)


def _event(ident, kind, payload, wall, recipient="r1", device="d1"):
    return Event(id=ident, recipient=recipient, kind=kind, entry=ident, op=CREATE, revises=(), at=wall,
                 payload=payload, author="Ann", device=device, hlc=f"{wall:013d}-000000-{device}")


def test_one_profile_per_recipient_first_made_wins():
    a = _event("p-a", "profile", {"name": "Mary"}, 1_700_000_000_200, device="d2")
    b = _event("p-b", "profile", {"name": "Mary S"}, 1_700_000_000_100)
    other = _event("p-c", "profile", {"name": "Bob"}, 1_700_000_000_000, recipient="r2")
    profile, extra = current_profile([a, b, other], "r1")
    assert profile.id == "p-b" and [e.id for e in extra] == ["p-a"]
    assert current_profile([], "r1") == (None, [])


def test_emergency_sheet():
    meds = [_event("m1", MED_PLAN, parse_med_plan({"name": "Furosemide", "dose": "40", "unit": "mg",
                                                     "start_date": "2024-01-01", "schedule": "daily", "times": "8"}),
                   1_700_000_000_000),
            _event("m2", MED_PLAN, parse_med_plan({"name": "Old pill", "dose": "1", "unit": "{tablet}",
                                                     "start_date": "2023-01-01", "end_date": "2023-02-01",
                                                     "schedule": "daily", "times": "8"}), 1_700_000_000_000)]
    sheet = emergency_sheet(parse_profile(FULL), dt.date(2024, 5, 30), plan_items(meds))
    text = {s.title: s.lines for s in sheet}
    assert list(text) == ["Person", "Allergies", "Conditions", "Medications", "Emergency contacts", "Care team",
                          "Important notes"]
    assert text["Person"] == ("Mary Smith", "Born 30 May 1941 (age 83)")
    assert text["Allergies"] == ("Penicillin: severe (Hives)", "Peanuts: life-threatening (anaphylaxis)")
    assert text["Medications"] == ("Furosemide: 40 mg, by mouth — Every day at 08:00",)
    assert text["Emergency contacts"] == ("John Smith (Son): +44 7700 900123 or 020 7946 0958",)
    assert text["Care team"] == ("GP: Dr Patel, High St Surgery — (020) 7946-0000 ext 12",)
    bare = {s.title: s.lines for s in emergency_sheet({"name": "X"}, dt.date(2024, 1, 1))}
    assert bare["Allergies"] == ("Allergies not recorded",) and bare["Medications"] == ("None in the care plan",)
    nka = emergency_sheet({"name": "X", "no_known_allergies": True}, dt.date(2024, 1, 1))
    assert nka[1].lines == ("No known allergies",)
    assert age_on(dt.date(1941, 5, 30), dt.date(2024, 5, 29)) == 82

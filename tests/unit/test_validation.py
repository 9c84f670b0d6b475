"""Form parsing: every kind's happy path, plain-language refusals, and fuzzing
that proves only FormErrors escape and every accepted payload is storable."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from carelog.domain import validation
from carelog.domain.catalogue import VITALS
from carelog.domain.events import Event
from carelog.domain.validation import (FUTURE_SLACK_MS, FormErrors, parse_caregiver_name, parse_entry,
                                       parse_medication, parse_note, parse_number, parse_recipient,
                                       parse_symptom, parse_time, parse_vital)

NOW = 1_764_000_000_000
FAST = settings(max_examples=200, deadline=None)
LIGHT = settings(max_examples=100, deadline=None)


def errors_of(parser, form) -> dict[str, str]:
    with pytest.raises(FormErrors) as caught:
        parser(form)
    assert str(caught.value), "the exception text names the problems"
    return caught.value.errors


# --- happy paths -----------------------------------------------------------

def test_recipient():
    assert parse_recipient({"name": "  Mum  ", "birth_date": "1941-05-30"}) == {
        "name": "Mum", "birth_date": "1941-05-30"}
    assert parse_recipient({"name": "Dad", "birth_date": ""}) == {"name": "Dad"}


def test_caregiver_name():
    assert parse_caregiver_name("  Ann ") == "Ann"
    assert "needed" in errors_of(parse_caregiver_name, "   ")["name"]
    assert "too long" in errors_of(parse_caregiver_name, "x" * 81)["name"]


def test_medication_given():
    assert parse_medication({"name": "Metformin", "status": "given", "dose": "500", "unit": "mg",
                             "route": "oral"}) == {
        "name": "Metformin", "status": "given", "dose": 500, "unit": "mg", "route": "oral"}


def test_medication_status_defaults_to_given_and_dose_keeps_decimals():
    payload = parse_medication({"name": "Insulin", "dose": "7,5", "unit": "[iU]"})
    assert payload["status"] == "given" and payload["dose"] == 7.5


@pytest.mark.parametrize("status", ["refused", "skipped"])
def test_medication_refused_or_skipped_with_reason(status):
    payload = parse_medication({"name": "Aspirin", "status": status, "reason": "Asleep", "note": "try later"})
    assert payload == {"name": "Aspirin", "status": status, "reason": "Asleep", "note": "try later"}


def test_skipped_dose_needs_a_reason():
    errors = errors_of(parse_medication, {"name": "Aspirin", "status": "skipped"})
    assert errors == {"reason": "Say why the dose was skipped."}
    assert "refused" in errors_of(parse_medication, {"name": "Aspirin", "status": "refused"})["reason"]


def test_given_dose_needs_dose_and_unit():
    errors = errors_of(parse_medication, {"name": "Aspirin", "status": "given"})
    assert "dose" in errors and "unit" in errors
    assert "The dose is needed." == errors["dose"]


@pytest.mark.parametrize("vital, form, expected", [
    ("blood_pressure", {"systolic": "120", "diastolic": "80"}, {"systolic": 120, "diastolic": 80, "unit": "mm[Hg]"}),
    ("heart_rate", {"value": "72"}, {"value": 72, "unit": "/min"}),
    ("temperature", {"value": "37,5"}, {"value": 37.5, "unit": "Cel"}),
    ("temperature", {"value": "99.5", "unit": "[degF]"}, {"value": 99.5, "unit": "[degF]"}),
    ("spo2", {"value": "97"}, {"value": 97, "unit": "%"}),
    ("respiratory_rate", {"value": "16"}, {"value": 16, "unit": "/min"}),
    ("blood_glucose", {"value": "110"}, {"value": 110, "unit": "mg/dL", "loinc": "2339-0"}),
    ("blood_glucose", {"value": "6.1", "unit": "mmol/L"}, {"value": 6.1, "unit": "mmol/L", "loinc": "15074-8"}),
    ("weight", {"value": "64.25"}, {"value": 64.2, "unit": "kg"}),
    ("weight", {"value": "141", "unit": "[lb_av]"}, {"value": 141, "unit": "[lb_av]"}),
    ("height", {"value": "162"}, {"value": 162, "unit": "cm"}),
    ("pain", {"value": "4"}, {"value": 4, "unit": "{score}"}),
])
def test_every_vital_type(vital, form, expected):
    payload = parse_vital({"type": vital, **form})
    assert payload["type"] == vital
    assert payload["loinc"] == expected.get("loinc", VITALS[vital].loinc)
    for key, value in expected.items():
        assert payload[key] == value


def test_every_catalogue_vital_is_covered_above():
    covered = {"blood_pressure", "heart_rate", "temperature", "spo2", "respiratory_rate", "blood_glucose",
               "weight", "height", "pain"}
    assert set(VITALS) == covered


def test_temperature_with_comma_is_37_5_celsius():
    assert parse_vital({"type": "temperature", "value": " 37,5 "})["value"] == 37.5


def test_symptom_and_note():
    assert parse_symptom({"name": "Nausea", "severity": "3", "note": "after lunch"}) == {
        "name": "Nausea", "severity": 3, "note": "after lunch"}
    assert parse_note({"text": " Slept well\nall night "}) == {"text": "Slept well\nall night"}


def test_parse_entry_dispatches_and_refuses_unknown_kinds():
    assert parse_entry("note", {"text": "x"}) == {"text": "x"}
    assert "kind" in errors_of(lambda f: parse_entry("photo", f), {})


# --- plain-language refusals -----------------------------------------------

def test_systolic_900_is_refused_naming_the_range():
    errors = errors_of(parse_vital, {"type": "blood_pressure", "systolic": "900", "diastolic": "80"})
    assert set(errors) == {"systolic"}
    assert "900" in errors["systolic"] and "from 20 to 300" in errors["systolic"]
    assert "mmHg" in errors["systolic"]


def test_diastolic_not_below_systolic_is_refused():
    for diastolic in ("120", "130"):
        errors = errors_of(parse_vital, {"type": "blood_pressure", "systolic": "120", "diastolic": diastolic})
        assert set(errors) == {"diastolic"} and "lower than the top number" in errors["diastolic"]


def test_not_a_number_says_so_with_an_example():
    message = errors_of(parse_vital, {"type": "heart_rate", "value": "fast"})["value"]
    assert "must be a number, like" in message


def test_missing_value_is_needed():
    assert errors_of(parse_vital, {"type": "spo2", "value": " "}) == {"value": "Oxygen (SpO2) is needed."}


@pytest.mark.parametrize("form, field", [
    ({"type": "volcano", "value": "1"}, "type"),
    ({"type": "temperature", "value": "37", "unit": "K"}, "unit"),
    ({"type": "temperature", "value": "37", "unit": "[degF]"}, "value"),  # 37 °F is not a body temperature
    ({"type": "temperature", "value": "nan"}, "value"),
    ({"type": "temperature", "value": "inf"}, "value"),
    ({"type": "spo2", "value": "101"}, "value"),
    ({"type": "pain", "value": "-1"}, "value"),
])
def test_vital_refusals(form, field):
    assert field in errors_of(parse_vital, form)


def test_fahrenheit_range_is_named_in_fahrenheit():
    message = errors_of(parse_vital, {"type": "temperature", "value": "150", "unit": "[degF]"})["value"]
    assert "°F" in message and "from 77 to 113" in message


@pytest.mark.parametrize("form, field, words", [
    ({"name": ""}, "name", "is needed"),
    ({"name": "x" * 121}, "name", "too long"),
    ({"name": "Mum\x00"}, "name", "cannot be saved"),
    ({"name": "Mum", "birth_date": "30/05/1941"}, "birth_date", "year-month-day"),
    ({"name": "Mum", "birth_date": "1841-05-30"}, "birth_date", "year-month-day"),
    ({"name": "Mum", "birth_date": "1941-02-30"}, "birth_date", "year-month-day"),
    ({"name": "Mum", "birth_date": "2021-W01-1"}, "birth_date", "year-month-day"),  # ISO week date
    ({"name": "Mum", "birth_date": "19410530"}, "birth_date", "year-month-day"),
])
def test_recipient_refusals(form, field, words):
    assert words in errors_of(parse_recipient, form)[field]


@pytest.mark.parametrize("form, field", [
    ({"name": "", "dose": "1", "unit": "mg"}, "name"),
    ({"name": "A", "dose": "0", "unit": "mg"}, "dose"),
    ({"name": "A", "dose": "1", "unit": "spoonful"}, "unit"),
    ({"name": "A", "dose": "1", "unit": "mg", "status": "lost"}, "status"),
    ({"name": "A", "dose": "1", "unit": "mg", "route": "ear-ish"}, "route"),
    ({"name": "A", "dose": "1", "unit": "mg", "note": "n" * 5001}, "note"),
    ({"name": "A", "status": "refused", "reason": "r" * 501}, "reason"),
])
def test_medication_refusals(form, field):
    assert field in errors_of(parse_medication, form)


def test_all_errors_are_reported_at_once():
    errors = errors_of(parse_symptom, {"name": "", "severity": "11"})
    assert set(errors) == {"name", "severity"}
    assert "from 0 to 10" in errors["severity"]


def test_note_text_is_needed():
    assert errors_of(parse_note, {"text": "  "}) == {"text": "The note is needed."}


# --- time ------------------------------------------------------------------

def test_time_defaults_to_now_and_accepts_past():
    assert parse_time({}, NOW) == NOW
    assert parse_time({"at": ""}, NOW) == NOW
    assert parse_time({"at": str(NOW - 3_600_000)}, NOW) == NOW - 3_600_000


def test_future_time_is_refused():
    with pytest.raises(FormErrors) as caught:
        parse_time({"at": str(NOW + FUTURE_SLACK_MS + 1)}, NOW)
    assert "in the future" in caught.value.errors["at"]


@pytest.mark.parametrize("text", ["yesterday", "1.5", "946684799999", "nan"])
def test_bad_or_ancient_time_is_refused(text):
    with pytest.raises(FormErrors):
        parse_time({"at": text}, NOW)


@pytest.mark.parametrize("text, value", [("37,5", 37.5), (" 120 ", 120.0), ("-3", -3.0), (".5", 0.5)])
def test_parse_number_as_people_type(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "  ", "abc", "nan", "inf", "-infinity", "1" * 21, "1,2,3", "1e2", "1,000", "12,500", "1_000", "١٢٠", "1.000,5"])
def test_parse_number_refuses(text):
    assert parse_number(text) is None


# --- fuzzing ---------------------------------------------------------------

FIELD_NAMES = ["name", "birth_date", "status", "dose", "unit", "route", "reason", "note", "type", "systolic",
               "diastolic", "value", "severity", "text", "at"]
numberish = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(lambda d: str(d).replace(".", ",")),
    st.sampled_from(["nan", "inf", "1e400", "1_000", "0x10", "٣٧", "37,5", "1,000", "+5", ".5", "5."]),
)
choices = st.sampled_from(
    ["given", "skipped", "refused", "mg", "{tablet}", "oral", "Cel", "[degF]", "mmol/L", "mm[Hg]", "%"]
    + list(VITALS) + ["1941-05-30", "2021-W01-1", "2000-02-29", "1900-01-01"])
long_texts = st.sampled_from(["a" * 120, "b" * 121, "c" * 500, "d\n" * 250 + "e", "f" * 5000, " g" * 2500 + "!",
                              "h" * 5001, "i" * 10_001])
texty = st.one_of(st.text(max_size=30), long_texts, numberish, choices)
forms = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=5), texty, max_size=10)


def _assert_storable(kind: str, payload: dict) -> None:
    json.dumps(payload, allow_nan=False)
    record = Event.create(id="e1", recipient="r1", kind=kind, at=NOW, payload=payload, author="Ann",
                          device="d1", hlc="1764000000000-000000-d1").to_record()
    assert Event.from_record(json.loads(json.dumps(record))).payload == payload


@FAST
@given(st.sampled_from(sorted(validation.PARSERS)), forms)
def test_fuzzed_forms_raise_only_form_errors(kind, form):
    try:
        payload = validation.PARSERS[kind](form)
    except FormErrors as problem:
        assert problem.errors and all(isinstance(m, str) and m for m in problem.errors.values())
        return
    _assert_storable(kind, payload)


@LIGHT
@given(st.dictionaries(st.sampled_from(["at", "x"]), st.one_of(st.text(max_size=25), numberish,
                                                               st.integers(0, 10**14).map(str))),
       st.integers(946_684_800_000, 4_000_000_000_000))
def test_fuzzed_times_raise_only_form_errors(form, now):
    try:
        at = parse_time(form, now)
    except FormErrors as problem:
        assert set(problem.errors) == {"at"}
        return
    assert isinstance(at, int) and validation.EARLIEST_ENTRY_MS <= at <= now + FUTURE_SLACK_MS


@LIGHT
@given(st.sampled_from(sorted(VITALS)), st.data())
def test_fuzzed_vitals_in_range_are_accepted(vital_key, data):
    vital = VITALS[vital_key]
    unit = data.draw(st.sampled_from(vital.units))
    form = {"type": vital_key, "unit": unit.ucum}
    for component in vital.components:
        number = data.draw(st.floats(unit.low, unit.high).map(lambda x: round(x, unit.decimals)).filter(
            lambda x: unit.low <= x <= unit.high))
        form[component.key] = str(number)
    if vital_key == "blood_pressure" and float(form["systolic"]) <= float(form["diastolic"]):
        form["systolic"], form["diastolic"] = form["diastolic"], form["systolic"]
        if form["systolic"] == form["diastolic"]:
            return
    payload = parse_vital(form)
    _assert_storable("vital", payload)

"""FHIR import: a transition-of-care Bundle -> a preview -> the events to store.
Export then import round-trips the profile and the plan; an invalid bundle is
refused with FhirImportError and a plain message; fuzzing finds no other exception."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_interop_helpers import RECIPIENT, rich_sample

from carelog.domain.careplan import plan_items
from carelog.domain.events import Event
from carelog.domain.fold import fold
from carelog.domain.profile import current_profile
from carelog.interop.fhir_export import export_bundle
from carelog.interop.fhir_import import FhirImportError, current_plan, events_for, preview_import

TODAY = dt.date(2024, 6, 1)


@pytest.fixture(scope="module")
def sample():
    return rich_sample()


@pytest.fixture(scope="module")
def exported(sample):
    return export_bundle(sample.events, RECIPIENT)


def _plan(events):
    return sorted(((e.kind, e.payload) for e in fold(events).values() if e.kind in ("med_plan", "task_plan")),
                  key=repr)


def test_export_then_import_round_trips_profile_and_plan(sample, exported):
    preview = preview_import(json.dumps(exported).encode(), today=TODAY)
    assert preview.profile == current_profile(sample.events, RECIPIENT)[0].payload
    assert sorted(preview.plan, key=repr) == _plan(sample.events)
    assert preview.notes == []
    assert {s.resource_type for s in preview.skipped} == {"Observation", "MedicationAdministration", "Procedure",
                                                          "Appointment"}


def test_confirmed_preview_stores_events_that_fold_back(sample, exported):
    preview = preview_import(exported, today=TODAY)
    ids = (f"imp-{n}" for n in itertools.count(1))
    stamps = (f"{1_800_000_000_000 + n:013d}-000000-dev-c" for n in itertools.count())
    events = events_for(preview, recipient="rec-new", author="Nurse Kim", device="dev-c",
                        new_id=lambda: next(ids), stamp=lambda: next(stamps), at=1_800_000_000_000)
    assert all(Event.from_record(json.loads(json.dumps(e.to_record()))) == e for e in events)
    assert current_profile(events, "rec-new")[0].payload == preview.profile
    assert _plan(events) == sorted(preview.plan, key=repr)
    assert len(plan_items(events, "rec-new")) == 8


def test_importing_into_an_existing_profile_edits_it_and_skips_known_plan_items(sample, exported):
    existing = sample.events
    profile = current_profile(existing, RECIPIENT)[0]
    hospital = copy.deepcopy(exported)
    hospital["entry"].append({"resource": {"resourceType": "Condition", "code": {"text": "Chronic kidney disease"}}})
    preview = preview_import(hospital, today=TODAY, existing_profile=profile.payload,
                             existing_plan=current_plan(existing, RECIPIENT))
    assert preview.profile["conditions"][-1] == "Chronic kidney disease"
    assert preview.profile["name"] == "Mary O'Brien"
    assert preview.plan == []
    assert sum(s.reason == "It is already in the care plan." for s in preview.skipped) == 8
    events = events_for(preview, recipient=RECIPIENT, author="Ann", device="dev-a", new_id=lambda: "imp-1",
                        stamp=lambda: "1800000000000-000000-dev-a", at=1_800_000_000_000, existing=existing)
    assert len(events) == 1 and events[0].op == "edit" and events[0].revises == profile.head_ids


HOSPITAL = {
    "resourceType": "Bundle", "type": "document", "entry": [
        {"fullUrl": "urn:uuid:p1", "resource": {
            "resourceType": "Patient", "id": "p1", "name": [{"given": ["Arthur", "J"], "family": "Dent"}],
            "birthDate": "1950-03", "contact": [
                {"relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                                               "code": "N", "display": "Next-of-Kin"}], "text": "Wife"}],
                 "name": {"given": ["Fenchurch"], "family": "Dent"},
                 "telecom": [{"system": "email", "value": "f@example.org"}, {"system": "phone", "value": "0161 496 0001"}]},
                {"name": {"text": "No Phone"}}]}},
        {"fullUrl": "urn:uuid:m1", "resource": {"resourceType": "Medication", "id": "m1",
                                                "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                                     "code": "197361", "display": "Amlodipine 5 MG Oral Tablet"}]}}},
        {"resource": {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                      "medicationReference": {"reference": "urn:uuid:m1"}, "subject": {"reference": "urn:uuid:p1"},
                      "authoredOn": "2024-05-20",
                      "dosageInstruction": [{"text": "One tablet twice a day",
                                             "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                                             "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006"}]},
                                             "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]}},
        {"resource": {"resourceType": "MedicationStatement", "status": "active",
                      "medicationCodeableConcept": {"text": "Salbutamol inhaler"}, "subject": {"reference": "Patient/p1"},
                      "effectivePeriod": {"start": "2023-01-01"},
                      "dosage": [{"asNeededBoolean": True, "timing": {"repeat": {"frequency": 1, "period": 4, "periodUnit": "h"}},
                                  "doseAndRate": [{"doseQuantity": {"value": 2, "unit": "puffs"}}],
                                  "route": {"text": "Inhaled"}}]}},
        {"resource": {"resourceType": "MedicationRequest", "status": "stopped", "intent": "order",
                      "medicationCodeableConcept": {"text": "Warfarin"}, "subject": {"reference": "urn:uuid:p1"}}},
        {"resource": {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                      "medicationCodeableConcept": {"text": "Mystery drops"},
                      "dosageInstruction": [{"text": "as directed"}]}},
        {"resource": {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                      "medicationCodeableConcept": {"text": "Someone else's pill"},
                      "subject": {"reference": "urn:uuid:other"}}},
        {"resource": {"resourceType": "Condition", "code": {"coding": [{"display": "Hypertension"}]},
                      "clinicalStatus": {"coding": [{"code": "active"}]}, "subject": {"reference": "urn:uuid:p1"}}},
        {"resource": {"resourceType": "Condition", "code": {"text": "Appendicitis"},
                      "clinicalStatus": {"coding": [{"code": "resolved"}]}, "subject": {"reference": "urn:uuid:p1"}}},
        {"resource": {"resourceType": "AllergyIntolerance", "code": {"text": "Shellfish"}, "criticality": "high",
                      "verificationStatus": {"coding": [{"code": "refuted"}]}, "patient": {"reference": "urn:uuid:p1"}}},
        {"resource": {"resourceType": "AllergyIntolerance", "patient": {"reference": "urn:uuid:p1"},
                      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "716186003"}]}}},
        {"resource": {"resourceType": "Encounter", "status": "finished"}},
    ]}


def test_a_hospital_discharge_bundle():
    preview = preview_import(json.dumps(HOSPITAL), timezone="Europe/London", today=TODAY)
    p = preview.profile
    assert p["name"] == "Arthur J Dent" and "birth_date" not in p and p["timezone"] == "Europe/London"
    assert p["conditions"] == ["Hypertension"]
    assert p["allergies"] == [] and p["no_known_allergies"] is True
    assert p["emergency_contacts"] == [{"name": "Fenchurch Dent", "relationship": "Wife", "phone": "0161 496 0001"}]
    meds = {payload["name"]: payload for kind, payload in preview.plan}
    assert set(meds) == {"Amlodipine 5 MG Oral Tablet", "Salbutamol inhaler"}
    aml = meds["Amlodipine 5 MG Oral Tablet"]
    assert aml["rxnorm"] == "197361" and aml["unit"] == "{tablet}" and aml["route"] == "oral"
    assert aml["schedule"] == {"kind": "daily", "times": ["08:00", "20:00"]}
    assert aml["start_date"] == "2024-05-20" and aml["instructions"] == "One tablet twice a day"
    sal = meds["Salbutamol inhaler"]
    assert sal["schedule"]["kind"] == "prn" and sal["schedule"]["min_interval_minutes"] == 240
    assert sal["unit"] == "{puff}" and sal["route"] == "inhaled" and sal["start_date"] == "2023-01-01"
    reasons = {(s.resource_type, s.label): s.reason for s in preview.skipped}
    assert "status stopped" in reasons[("MedicationRequest", "Warfarin")]
    assert "no schedule" in reasons[("MedicationRequest", "Mystery drops")]
    assert reasons[("MedicationRequest", "Someone else's pill")] == "It is about another person."
    assert reasons[("Condition", "Appendicitis")] == "It is no longer active."
    assert "refuted" in reasons[("AllergyIntolerance", "Shellfish")]
    assert "Encounter" in reasons[("Encounter", "")]
    assert any("times were guessed" in n for n in preview.notes)
    assert any("not a full date" in n for n in preview.notes)
    assert any("No Phone" in n for n in preview.notes)
    lines = preview.summary()
    assert lines[0] == "Person: Arthur J Dent" and any(line.startswith("Not imported:") for line in lines)


@pytest.mark.parametrize("data, message", [
    (b"\xff\xfe", "not text"),
    (b"<html>502 Bad Gateway</html>", "not JSON"),
    ("[1, 2]", "not a FHIR bundle"),
    ({"resourceType": "Patient"}, "not a FHIR bundle"),
    ({"resourceType": "Bundle", "entry": {}}, "not a list"),
    ({"resourceType": "Bundle", "entry": []}, "no patient"),
    ({"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}, "without a resource"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": 5}}]}, "valid resourceType"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "name": [{"text": "A"}]}},
                                          {"resource": {"resourceType": "Patient", "name": [{"text": "B"}]}}]},
     "more than one patient"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]}, "no name"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "name": [{"text": "A"}],
                                                        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/timezone",
                                                                       "valueCode": "Mars/Olympus"}]}}]},
     "time zone"),
    ('{"resourceType": "Bundle", "entry": [NaN]}', "not JSON"),
    ("[" * 100_000, "not JSON"),
])
def test_invalid_bundles_are_refused_plainly(data, message):
    with pytest.raises(FhirImportError) as info:
        preview_import(data, today=TODAY)
    assert message in str(info.value)


def test_a_refused_import_changes_nothing(sample):
    before = [e.to_record() for e in sample.events]
    with pytest.raises(FhirImportError):
        preview_import({"resourceType": "Bundle", "entry": []}, existing_profile=current_profile(
            sample.events, RECIPIENT)[0].payload, existing_plan=current_plan(sample.events, RECIPIENT))
    assert [e.to_record() for e in sample.events] == before


# --- fuzzing: only FhirImportError may come out -------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30) | st.sampled_from(["Patient", "Bundle", "active", "prn", "08:00", "2024-01-01",
                                              "urn:uuid:p1", "d", "h", "{dose}"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["resourceType", "entry", "resource", "name", "text", "code", "coding", "status",
                         "dosageInstruction", "dosage", "timing", "repeat", "frequency", "period", "periodUnit",
                         "timeOfDay", "dayOfWeek", "asNeededBoolean", "doseAndRate", "doseQuantity", "value",
                         "unit", "subject", "reference", "extension", "url", "valueCode", "birthDate",
                         "telecom", "contact", "relationship", "reaction", "manifestation", "fullUrl",
                         "boundsPeriod", "start", "end", "event", "activity", "detail", "maxDosePerPeriod",
                         "numerator", "denominator", "medicationReference", "contained", "id", "given"])
        | st.text(max_size=8), children, max_size=5),
    max_leaves=25)


def _expect_only_import_errors(data):
    try:
        preview = preview_import(data, today=TODAY)
    except FhirImportError as error:
        assert str(error)
        return
    assert isinstance(preview.profile.get("name"), str) and preview.profile["name"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_fuzz_any_json_value(value):
    _expect_only_import_errors(value)
    _expect_only_import_errors(json.dumps(value).encode())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_any_bytes(body):
    _expect_only_import_errors(body)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, prefix + (i,))


BASES = [HOSPITAL, export_bundle(rich_sample().events, RECIPIENT)]
PATHS = [list(_paths(b))[1:] for b in BASES]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 1), st.data(), json_values)
def test_fuzz_a_valid_bundle_with_one_part_replaced(which, data, replacement):
    bundle = copy.deepcopy(BASES[which])
    path = data.draw(st.sampled_from(PATHS[which]))
    target = bundle
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    _expect_only_import_errors(bundle)


# --- property: any plan item a caregiver can make survives export -> import ---------------

from carelog.domain import careplan  # noqa: E402
from carelog.domain.catalogue import MEDICATION_UNITS, ROUTES  # noqa: E402
from carelog.domain.validation import FormErrors  # noqa: E402
from test_interop_helpers import Builder  # noqa: E402

_clock = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
_words = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=("Cs",)),
                 max_size=40) | st.just("Take with food\nAvoid alcohol") | st.just("=cmd|' /C calc'!A0")
_schedules = st.one_of(
    st.fixed_dictionaries({"schedule": st.just("daily"),
                           "times": st.lists(_clock, min_size=1, max_size=5).map(", ".join),
                           "every_days": st.integers(1, 7).map(str)}),
    st.fixed_dictionaries({"schedule": st.just("weekdays"), "times": st.lists(_clock, min_size=1, max_size=3)
                           .map(", ".join),
                           "weekdays": st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                                                min_size=1, max_size=7).map(", ".join)}),
    st.fixed_dictionaries({"schedule": st.just("interval"), "every_hours": st.integers(1, 72).map(str),
                           "first_time": _clock}),
    st.fixed_dictionaries({"schedule": st.just("prn"),
                           "min_interval_hours": st.sampled_from(["0.25", "0.5", "1", "1.5", "4", "6", "8", "72"]),
                           "max_per_day": st.integers(1, 48).map(str)}))


@st.composite
def med_plan_forms(draw):
    start = draw(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)))
    form = {"name": draw(st.sampled_from(["Metformin", "Co-codamol 30/500", "Insulin  glargine", "Ñandú drops",
                                          "アムロジピン"])),
            "dose": draw(st.sampled_from(["0.5", "1", "2.5", "12", "0.125", "100"])),
            "unit": draw(st.sampled_from(sorted(MEDICATION_UNITS))),
            "route": draw(st.sampled_from(sorted(ROUTES))), "start_date": start.isoformat(),
            **draw(_schedules)}
    if draw(st.booleans()):
        form["end_date"] = (start + dt.timedelta(days=draw(st.integers(0, 900)))).isoformat()
    for key, values in (("strength", _words), ("instructions", _words), ("rxnorm", st.sampled_from(["860975", "1"])),
                        ("window_minutes", st.integers(5, 720).map(str))):
        if draw(st.booleans()):
            form[key] = draw(values)
    return form


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(med_plan_forms(), st.sampled_from(["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe"]))
def test_any_plan_medication_round_trips(form, zone):
    try:
        payload = careplan.parse_med_plan(form)
    except FormErrors:
        return  # not something a caregiver could store
    b = Builder("rec-p")
    b.create("profile", {"name": "P", "timezone": zone, "conditions": [], "allergies": [],
                         "emergency_contacts": [], "care_team": []})
    b.create("med_plan", payload)
    preview = preview_import(export_bundle(b.events, "rec-p", as_of_ms=0), today=TODAY)
    assert preview.plan == [("med_plan", payload)]
    assert preview.notes == []

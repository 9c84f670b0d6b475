"""FHIR R4 export: every resource of a rich sample validates with ``fhir.resources``
(R4B models: the current releases' closest to R4, see docs/INTEROP.md), and the
mapping keeps codes, units, statuses, who recorded what, and stable ids."""

from __future__ import annotations

import json
import random

import pytest
from test_interop_helpers import RECIPIENT, Builder, rich_sample

from carelog.interop.fhir_export import ExportError, export_bundle

# Pinned in requirements-dev.txt: a missing validator is a failure, not a skip.
from fhir.resources.R4B import get_fhir_model_class  # noqa: E402
from fhir.resources.R4B.bundle import Bundle  # noqa: E402

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


@pytest.fixture(scope="module")
def sample():
    return rich_sample()


@pytest.fixture(scope="module")
def bundle(sample):
    return export_bundle(sample.events, RECIPIENT)


def resources(bundle, kind=None):
    return [e["resource"] for e in bundle["entry"] if kind is None or e["resource"]["resourceType"] == kind]


def test_the_whole_bundle_validates(bundle):
    Bundle.model_validate(bundle)  # raises on any error
    assert bundle["type"] == "collection"


def test_every_resource_validates_on_its_own(bundle):
    errors = []
    for resource in resources(bundle):
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except Exception as error:  # noqa: BLE001 - collect them all
            errors.append(f"{resource['resourceType']} {resource['id']}: {error}")
    assert errors == []


def test_the_validator_does_catch_mistakes(bundle):
    """Guard the guard: a wrong field or a time without an offset is refused."""
    obs = dict(resources(bundle, "Observation")[0])
    with pytest.raises(Exception):
        get_fhir_model_class("Observation").model_validate({**obs, "valueQuantityy": {"value": 1}})
    with pytest.raises(Exception):
        get_fhir_model_class("Observation").model_validate({**obs, "effectiveDateTime": "2024-05-29T10:00"})


def test_every_kind_is_there(bundle):
    kinds = {r["resourceType"] for r in resources(bundle)}
    assert kinds >= {"Patient", "Observation", "MedicationAdministration", "MedicationRequest", "Condition",
                     "AllergyIntolerance", "CarePlan", "Appointment", "Procedure"}
    assert len(resources(bundle, "Patient")) == 1
    assert len(resources(bundle, "MedicationRequest")) == 6
    assert len(resources(bundle, "Condition")) == 3
    assert len(resources(bundle, "AllergyIntolerance")) == 5


def test_ids_are_stable_unique_and_references_resolve(sample, bundle):
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls)
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == "urn:uuid:" + entry["resource"]["id"]
    text = json.dumps(bundle)
    for ref in {r for r in _references(bundle)}:
        assert ref in urls, ref
    shuffled = list(sample.events)
    random.Random(3).shuffle(shuffled)
    assert json.dumps(export_bundle(shuffled, RECIPIENT)) == text  # deterministic whatever the order


def _references(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def test_vitals_have_loinc_ucum_and_the_bp_panel(bundle):
    vitals = [r for r in resources(bundle, "Observation")
              if r["category"][0]["coding"][0]["code"] == "vital-signs"]
    assert len(vitals) == 12
    bp = next(r for r in vitals if r["code"]["coding"][0]["code"] == "85354-9")
    assert bp["code"]["coding"][0]["system"] == LOINC
    comps = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert comps == {"8480-6": {"value": 142, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
                     "8462-4": {"value": 88, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}
    assert "valueQuantity" not in bp
    assert bp["note"] == [{"text": "left arm"}]
    for r in vitals:
        if r is not bp:
            assert r["valueQuantity"]["system"] == UCUM
    codes = {(r["code"]["coding"][-1]["code"], r["valueQuantity"]["code"]) for r in vitals if r is not bp}
    assert {("8310-5", "Cel"), ("8310-5", "[degF]"), ("2339-0", "mg/dL"), ("15074-8", "mmol/L"),
            ("29463-7", "kg"), ("29463-7", "[lb_av]"), ("59408-5", "%"), ("8867-4", "/min")} <= codes
    spo2 = next(r for r in vitals if r["code"]["coding"][-1]["code"] == "59408-5")
    assert spo2["code"]["coding"][0]["code"] == "2708-6"


def test_times_carry_the_recipients_offset(bundle):
    times = [r["effectiveDateTime"] for r in resources(bundle, "Observation")]
    assert all(t.endswith("+01:00") for t in times)  # Europe/London in summer


def test_doses_given_skipped_and_refused(bundle):
    doses = resources(bundle, "MedicationAdministration")
    by_status = {}
    for d in doses:
        by_status.setdefault(d["status"], []).append(d)
    assert len(by_status["completed"]) == 2 and len(by_status["not-done"]) == 2
    refused = next(d for d in by_status["not-done"] if "Refused" in d["statusReason"][0]["text"])
    assert refused["statusReason"] == [{"text": "Refused: Felt sick"}]
    assert refused["performer"] == [{"actor": {"display": "Bob"}}]
    assert refused["request"]["reference"].startswith("urn:uuid:")
    skipped = next(d for d in by_status["not-done"] if d is not refused)
    assert skipped["statusReason"] == [{"text": "Skipped: -Out of stock"}]
    given = by_status["completed"]
    assert all("statusReason" not in d for d in given)
    assert given[0]["dosage"]["dose"] == {"value": 1.0, "unit": "tablet(s)", "system": UCUM, "code": "{tablet}"}
    assert given[0]["dosage"]["route"]["coding"][0] == {"system": "http://snomed.info/sct", "code": "26643006",
                                                        "display": "Oral route"}


def test_plan_medications_keep_their_schedule(bundle):
    reqs = {r["medicationCodeableConcept"]["text"]: r for r in resources(bundle, "MedicationRequest")}
    met = reqs["Metformin"]
    assert met["intent"] == "plan" and met["status"] == "active"
    assert met["medicationCodeableConcept"]["coding"] == [
        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "860975"}]
    timing = met["dosageInstruction"][0]["timing"]["repeat"]
    assert timing["timeOfDay"] == ["08:00:00", "20:00:00"] and timing["periodUnit"] == "d"
    assert met["dosageInstruction"][0]["patientInstruction"] == "With food"
    prn = reqs["Paracetamol"]["dosageInstruction"][0]
    assert prn["asNeededBoolean"] is True
    assert prn["maxDosePerPeriod"]["numerator"]["value"] == 4
    assert prn["timing"]["repeat"]["period"] == 4 and prn["timing"]["repeat"]["periodUnit"] == "h"
    assert reqs["Bisoprolol"]["dosageInstruction"][0]["timing"]["repeat"]["dayOfWeek"] == ["mon", "wed", "fri"]
    insulin = reqs["Insulin glargine"]["dosageInstruction"][0]["timing"]
    assert insulin["event"] == ["2024-03-01T07:00:00+00:00"]  # GMT in March
    plan = resources(bundle, "CarePlan")[0]
    refs = [a["reference"]["reference"] for a in plan["activity"] if "reference" in a]
    assert len(refs) == 6
    tasks = [a["detail"] for a in plan["activity"] if "detail" in a]
    assert [t["code"]["text"] for t in tasks] == ["Reposition", "Weigh"]


def test_profile_becomes_patient_conditions_and_allergies(bundle):
    patient = resources(bundle, "Patient")[0]
    assert patient["name"] == [{"text": "Mary O'Brien"}] and patient["birthDate"] == "1941-05-30"
    assert {"url": "http://hl7.org/fhir/StructureDefinition/timezone", "valueCode": "Europe/London"} \
        in patient["extension"]
    assert len(patient["contact"]) == 4
    allergies = {r["code"]["text"]: r for r in resources(bundle, "AllergyIntolerance")}
    assert allergies["Peanuts"]["criticality"] == "high"
    assert allergies["Peanuts"]["reaction"][0]["manifestation"] == [{"text": "Throat swelling"}]
    assert all(r["recorder"] == {"display": "Ann"} for r in allergies.values())


def test_symptoms_daily_living_notes_and_appointments(bundle):
    obs = resources(bundle, "Observation")
    texts = [r["code"].get("text", "") for r in obs]
    assert "Symptom: Breathless" in texts and "Daily living: Drinks" in texts and "Caregiver note" in texts
    fluids = next(r for r in obs if r["code"].get("text") == "Daily living: Drinks")
    assert {"code": {"text": "Amount"}, "valueQuantity": {"value": 250, "unit": "mL", "system": UCUM,
                                                          "code": "mL"}} in fluids["component"]
    note = next(r for r in obs if r["code"].get("text") == "Caregiver note")
    assert note["status"] == "amended" and note["valueString"].endswith("(edited)")
    assert "typo entry" not in json.dumps(bundle)  # deleted entries are not exported
    appt = next(r for r in resources(bundle, "Appointment") if r["description"] == "Cardiology review")
    assert appt["start"] == "2024-06-03T14:30:00+01:00" and appt["status"] == "booked"
    assert appt["participant"][0]["actor"]["reference"].startswith("urn:uuid:")


def test_a_recipient_with_no_entries_is_refused():
    with pytest.raises(ExportError):
        export_bundle([], "nobody")


def test_another_recipients_entries_stay_out():
    a, b = rich_sample("rec-a"), rich_sample("rec-b")
    bundle = export_bundle(a.events + b.events, "rec-a")
    assert json.dumps(bundle).count("rec-b") == 0
    assert len(resources(bundle, "Patient")) == 1


def test_a_log_without_profile_still_exports():
    b = Builder()
    b.create("vital", {"type": "heart_rate", "unit": "/min", "loinc": "8867-4", "value": 80})
    bundle = export_bundle(b.events, b.recipient)
    Bundle.model_validate(bundle)
    assert [r["resourceType"] for r in resources(bundle)] == ["Patient", "Observation"]

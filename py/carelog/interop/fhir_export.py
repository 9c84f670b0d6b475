"""A care recipient's log as a FHIR R4 Bundle (``type: collection``), as JSON-able dicts.

What becomes what (``docs/INTEROP.md`` has the full table):

- recipient + profile -> ``Patient`` (time zone in the core ``timezone``
  extension, emergency contacts and care team as ``Patient.contact``),
  ``Condition`` per condition, ``AllergyIntolerance`` per allergy (or one
  "no known allergy", SNOMED 716186003);
- plan medications -> ``MedicationRequest`` (intent ``plan``, the schedule as
  a ``Timing``), plan tasks -> activities of one ``CarePlan`` that also points
  at every plan medication;
- vitals -> ``Observation`` (category vital-signs, LOINC, UCUM; blood pressure
  as the 85354-9 panel with 8480-6 / 8462-4 components); symptoms, daily
  living and notes -> ``Observation`` (category survey or activity, text codes);
- doses -> ``MedicationAdministration`` (``completed``; ``not-done`` with a
  ``statusReason`` when skipped or refused); tasks done or skipped -> ``Procedure``;
- appointments -> ``Appointment``.

The caregiver who recorded an entry is kept as a display-only reference
(performer, recorder or author). Output is deterministic: resource ids are
uuid5 of the entry ids, ``fullUrl`` is ``urn:uuid:<id>``, the bundle's time is
the newest entry's, so the same events always give the same bytes.

    >>> from carelog.domain.events import Event
    >>> e = Event.create(id="v1", recipient="r1", kind="vital", at=1_700_000_000_000,
    ...                  payload={"type": "heart_rate", "unit": "/min", "loinc": "8867-4", "value": 72},
    ...                  author="Ann", device="d1", hlc="1700000000000-000000-d1")
    >>> bundle = export_bundle([e], "r1")
    >>> [x["resource"]["resourceType"] for x in bundle["entry"]]
    ['Patient', 'Observation']
    >>> bundle["entry"][1]["resource"]["valueQuantity"]
    {'value': 72, 'unit': 'beats per minute', 'system': 'http://unitsofmeasure.org', 'code': '/min'}
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

from ..domain import logbook
from ..domain.catalogue import GIVEN, MEDICATION_OUTCOMES, MEDICATION_UNITS, ROUTES, VITALS
from ..domain.careplan import MED_PLAN, MEDICATION, TASK, TASK_PLAN, item_from_entry
from ..domain.events import Event
from ..domain.fold import Entry
from ..domain.hlc import Stamp
from ..domain.profile import SEVERITIES
from ..domain.schedule import describe, schedule_from_payload
from ..domain.zones import resolve
from .common import CARELOG, ENTRY_SYSTEM, RECIPIENT_SYSTEM, RecipientData, gather, iso_time, stable_uuid

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
TIMEZONE_EXT = "http://hl7.org/fhir/StructureDefinition/timezone"
EXT_STRENGTH = f"{CARELOG}:fhir:strength"
EXT_WINDOW = f"{CARELOG}:fhir:window-minutes"
EXT_SEVERITY = f"{CARELOG}:fhir:allergy-severity"
EXT_NOTES = f"{CARELOG}:fhir:profile-notes"
NO_KNOWN_ALLERGY = ("716186003", "No known allergy")
NO_KNOWN_ALLERGY_CODES = {"716186003", "409137002", "428607008", "429625007"}

# SNOMED CT route codes (the common ones; others go as text only).
ROUTE_SNOMED = {
    "oral": ("26643006", "Oral route"), "sublingual": ("37839007", "Sublingual route"),
    "inhaled": ("447694001", "Respiratory tract route"), "subcutaneous": ("34206005", "Subcutaneous route"),
    "intramuscular": ("78421000", "Intramuscular route"), "intravenous": ("47625008", "Intravenous route"),
    "topical": ("6064005", "Topical route"), "transdermal": ("45890007", "Transdermal route"),
    "eye": ("54485002", "Ophthalmic route"), "ear": ("10547007", "Otic route"),
    "nasal": ("46713006", "Nasal route"), "rectal": ("37161004", "Rectal route"),
}
WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAILY_FIELDS = {  # field -> (label, options or unit)
    "meal": ("Meal", logbook.MEALS), "portion": ("Portion eaten", logbook.PORTIONS),
    "amount_ml": ("Amount", "mL"), "drink": ("Drink", None), "hours": ("Hours of sleep", "h"),
    "quality": ("Sleep quality", logbook.SLEEP_QUALITY), "stool_type": ("Stool type (Bristol)", ""),
    "continence": ("Continence", logbook.CONTINENCE), "level": ("Mobility", logbook.MOBILITY),
    "injury": ("Injury", logbook.INJURY), "where": ("Where", None), "mood": ("Mood", logbook.MOODS),
}
ACTIVITY_CATEGORIES = {"meals", "fluids", "sleep", "mobility"}


class ExportError(ValueError):
    """The recipient has nothing to export (plain message)."""


def _ref(resource_id: str, display: str = "") -> dict:
    ref: dict[str, Any] = {"reference": f"urn:uuid:{resource_id}"}
    if display:
        ref["display"] = display
    return ref


def _who(name: str) -> dict:
    """A display-only reference to the caregiver who recorded an entry."""
    return {"display": name or "Unnamed caregiver"}


def _ident(entry_id: str) -> list[dict]:
    return [{"system": ENTRY_SYSTEM, "value": entry_id}]


def _text(value: Any) -> str:
    return str(value if value is not None else "").strip()


def _quantity(value: Any, ucum: str, label: str) -> dict:
    q: dict[str, Any] = {"value": value}
    if label:
        q["unit"] = label
    if ucum:
        q["system"] = UCUM
        q["code"] = ucum
    return q


def _category(code: str, display: str) -> list[dict]:
    return [{"coding": [{"system": OBS_CATEGORY, "code": code, "display": display}]}]


def _route(key: str) -> dict | None:
    if not key:
        return None
    concept: dict[str, Any] = {}
    if key in ROUTE_SNOMED:
        code, display = ROUTE_SNOMED[key]
        concept["coding"] = [{"system": SNOMED, "code": code, "display": display}]
    concept["text"] = ROUTES.get(key, key)
    return concept


def _medication_concept(payload: dict) -> dict:
    concept: dict[str, Any] = {}
    if payload.get("rxnorm"):
        concept["coding"] = [{"system": RXNORM, "code": str(payload["rxnorm"])}]
    concept["text"] = _text(payload.get("name")) or "Unnamed medication"
    return concept


def _notes(*texts: Any) -> list[dict]:
    return [{"text": _text(t)} for t in texts if _text(t)]


class _Exporter:
    def __init__(self, data: RecipientData):
        self.data = data
        self.tz = data.tz
        self.patient_id = stable_uuid("Patient", data.recipient)
        self.subject = _ref(self.patient_id, data.name)
        self.entries: list[dict] = []
        self.med_requests: dict[str, str] = {}  # plan item id -> MedicationRequest id

    def add(self, resource: dict) -> None:
        self.entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})

    def when(self, ms: int) -> str:
        return iso_time(ms, self.tz)

    # --- who ----------------------------------------------------------------

    def patient(self) -> None:
        d = self.data
        p = d.profile
        res: dict[str, Any] = {"resourceType": "Patient", "id": self.patient_id}
        ext = []
        if p.get("timezone"):
            ext.append({"url": TIMEZONE_EXT, "valueCode": str(p["timezone"])})
        if _text(p.get("notes")):
            ext.append({"url": EXT_NOTES, "valueString": _text(p["notes"])})
        if ext:
            res["extension"] = ext
        res["identifier"] = [{"system": RECIPIENT_SYSTEM, "value": d.recipient}]
        if d.name:
            res["name"] = [{"text": d.name}]
        if d.birth_date:
            res["birthDate"] = d.birth_date
        contacts = [self._contact(c, emergency=True) for c in p.get("emergency_contacts") or ()]
        contacts += [self._contact(c, emergency=False) for c in p.get("care_team") or ()]
        if contacts:
            res["contact"] = contacts
        self.add(res)

    @staticmethod
    def _contact(c: dict, emergency: bool) -> dict:
        code, display = ("C", "Emergency Contact") if emergency else ("CP", "Contact person")
        relation: dict[str, Any] = {"coding": [{"system": CONTACT_ROLE, "code": code, "display": display}]}
        label = _text(c.get("relationship") if emergency else c.get("role"))
        if label:
            relation["text"] = label
        out: dict[str, Any] = {"relationship": [relation]}
        if _text(c.get("name")):
            out["name"] = {"text": _text(c["name"])}
        phones = [_text(c.get(k)) for k in ("phone", "phone2") if _text(c.get(k))]
        if phones:
            out["telecom"] = [{"system": "phone", "value": ph, "rank": i + 1} for i, ph in enumerate(phones)]
        if not emergency and _text(c.get("organisation")):
            out["organization"] = {"display": _text(c["organisation"])}
        return out

    def conditions(self) -> None:
        entry = self.data.profile_entry
        for i, text in enumerate(self.data.profile.get("conditions") or ()):
            if not _text(text):
                continue
            res = {"resourceType": "Condition", "id": stable_uuid("Condition", entry.id, str(i)),
                   "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
                   "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item",
                                             "display": "Problem List Item"}]}],
                   "code": {"text": _text(text)}, "subject": self.subject,
                   "recordedDate": self.when(Stamp.decode(entry.updated_hlc).wall),
                   "recorder": _who(entry.updated_by)}
            self.add(res)

    def allergies(self) -> None:
        entry = self.data.profile_entry
        if entry is None:
            return
        p = self.data.profile
        recorded = self.when(Stamp.decode(entry.updated_hlc).wall)
        base = {"clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]}}
        if p.get("no_known_allergies") and not p.get("allergies"):
            code, display = NO_KNOWN_ALLERGY
            self.add({"resourceType": "AllergyIntolerance", "id": stable_uuid("AllergyIntolerance", entry.id, "nka"),
                      **base, "code": {"coding": [{"system": SNOMED, "code": code, "display": display}],
                                       "text": display},
                      "patient": self.subject, "recordedDate": recorded, "recorder": _who(entry.updated_by)})
            return
        for i, allergy in enumerate(p.get("allergies") or ()):
            severity = allergy.get("severity") or "unknown"
            res: dict[str, Any] = {"resourceType": "AllergyIntolerance",
                                   "id": stable_uuid("AllergyIntolerance", entry.id, str(i))}
            if severity in SEVERITIES:
                res["extension"] = [{"url": EXT_SEVERITY, "valueCode": severity}]
            res.update(base)
            res["criticality"] = {"severe": "high", "life_threatening": "high", "mild": "low",
                                  "moderate": "low"}.get(severity, "unable-to-assess")
            res["code"] = {"text": _text(allergy.get("substance"))}
            res["patient"] = self.subject
            res["recordedDate"] = recorded
            res["recorder"] = _who(entry.updated_by)
            if _text(allergy.get("reaction")):
                reaction: dict[str, Any] = {"manifestation": [{"text": _text(allergy["reaction"])}]}
                if severity in ("mild", "moderate", "severe"):
                    reaction["severity"] = severity
                elif severity == "life_threatening":
                    reaction["severity"] = "severe"
                res["reaction"] = [reaction]
            self.add(res)

    # --- the plan -----------------------------------------------------------

    def _timing(self, payload: dict) -> dict:
        sched = payload.get("schedule") or {}
        kind = sched.get("kind")
        repeat: dict[str, Any] = {}
        bounds = {"start": payload.get("start_date")}
        if payload.get("end_date"):
            bounds["end"] = payload["end_date"]
        repeat["boundsPeriod"] = {k: v for k, v in bounds.items() if v}
        timing: dict[str, Any] = {}
        if kind in ("daily", "weekdays"):
            times = [f"{t}:00" for t in sched.get("times") or ()]
            repeat["frequency"] = max(1, len(times))
            repeat["period"] = sched.get("every_days", 1) if kind == "daily" else 1
            repeat["periodUnit"] = "d"
            if kind == "weekdays":
                repeat["dayOfWeek"] = [d for d in sched.get("weekdays") or () if d in WEEKDAY_CODES]
            repeat["timeOfDay"] = times
        elif kind == "interval":
            repeat["frequency"] = 1
            repeat["period"] = sched.get("every_hours")
            repeat["periodUnit"] = "h"
            try:
                first = _dt.datetime.combine(_dt.date.fromisoformat(payload["start_date"]),
                                             _dt.time.fromisoformat(sched["first_time"]))
                timing["event"] = [self.when(resolve(first, self.tz)[0])]
            except (KeyError, ValueError, TypeError):
                pass
        elif kind == "prn":
            minutes = sched.get("min_interval_minutes") or 0
            repeat["frequency"] = 1
            if minutes % 60 == 0:
                repeat["period"], repeat["periodUnit"] = minutes // 60, "h"
            else:
                repeat["period"], repeat["periodUnit"] = minutes, "min"
        timing["repeat"] = repeat
        try:
            timing["code"] = {"text": describe(schedule_from_payload(sched))}
        except ValueError:
            pass
        return timing

    def _dosage(self, payload: dict, item_label: str) -> dict:
        sched = payload.get("schedule") or {}
        dosage: dict[str, Any] = {"sequence": 1}
        when = self._timing(payload)
        dosage["text"] = f"{item_label}; {when['code']['text']}" if "code" in when else item_label
        if _text(payload.get("instructions")):
            dosage["patientInstruction"] = _text(payload["instructions"])
        dosage["timing"] = when
        if sched.get("kind") == "prn":
            dosage["asNeededBoolean"] = True
        route = _route(_text(payload.get("route")))
        if route:
            dosage["route"] = route
        if payload.get("dose") is not None:
            unit = _text(payload.get("unit"))
            dosage["doseAndRate"] = [{"doseQuantity": _quantity(payload["dose"], unit, MEDICATION_UNITS.get(unit, unit))}]
        if sched.get("kind") == "prn" and sched.get("max_per_day"):
            dosage["maxDosePerPeriod"] = {
                "numerator": {"value": sched["max_per_day"], "unit": "dose(s)", "system": UCUM, "code": "{dose}"},
                "denominator": {"value": 1, "unit": "day", "system": UCUM, "code": "d"}}
        return dosage

    def _status(self, payload: dict, as_of: _dt.date) -> str:
        end = payload.get("end_date")
        try:
            return "completed" if end and _dt.date.fromisoformat(end) < as_of else "active"
        except ValueError:
            return "active"

    def medication_requests(self, as_of: _dt.date) -> None:
        for entry in self.data.entries(MED_PLAN):
            p = entry.payload
            try:
                label = item_from_entry(entry).label
            except (ValueError, TypeError):
                label = _text(p.get("name"))
            rid = stable_uuid("MedicationRequest", entry.id)
            self.med_requests[entry.id] = rid
            res: dict[str, Any] = {"resourceType": "MedicationRequest", "id": rid}
            ext = []
            if _text(p.get("strength")):
                ext.append({"url": EXT_STRENGTH, "valueString": _text(p["strength"])})
            if "window_minutes" in p:
                ext.append({"url": EXT_WINDOW, "valueInteger": p["window_minutes"]})
            if ext:
                res["extension"] = ext
            res.update({"identifier": _ident(entry.id), "status": self._status(p, as_of), "intent": "plan",
                        "medicationCodeableConcept": _medication_concept(p), "subject": self.subject,
                        "authoredOn": self.when(Stamp.decode(entry.created_hlc).wall),
                        "recorder": _who(entry.updated_by), "dosageInstruction": [self._dosage(p, label)]})
            self.add(res)

    def care_plan(self, as_of: _dt.date) -> None:
        tasks = self.data.entries(TASK_PLAN)
        meds = self.data.entries(MED_PLAN)
        if not tasks and not meds:
            return
        activities: list[dict] = [{"reference": _ref(self.med_requests[m.id], _text(m.payload.get("name")))}
                                  for m in meds]
        for entry in tasks:
            p = entry.payload
            detail: dict[str, Any] = {"kind": "Task"}
            if "window_minutes" in p:
                detail["extension"] = [{"url": EXT_WINDOW, "valueInteger": p["window_minutes"]}]
            detail["code"] = {"text": _text(p.get("name"))}
            detail["status"] = "completed" if self._status(p, as_of) == "completed" else "scheduled"
            detail["scheduledTiming"] = self._timing(p)
            if _text(p.get("instructions")):
                detail["description"] = _text(p["instructions"])
            activities.append({"id": "task-" + stable_uuid("task_plan", entry.id),
                               "extension": [{"url": ENTRY_SYSTEM, "valueString": entry.id}],
                               "detail": detail})
        everyone = meds + tasks
        newest = max(everyone, key=lambda e: e.updated_hlc)
        first = min(Stamp.decode(e.created_hlc).wall for e in everyone)
        self.add({"resourceType": "CarePlan", "id": stable_uuid("CarePlan", self.data.recipient),
                  "status": "active", "intent": "plan", "title": "Care plan (carelog)",
                  "subject": self.subject, "created": self.when(first), "author": _who(newest.updated_by),
                  "activity": activities})

    # --- what was recorded --------------------------------------------------

    def appointments(self) -> None:
        for entry in self.data.entries(logbook.APPOINTMENT):
            p = entry.payload
            try:
                start = self.when(resolve(_dt.datetime.fromisoformat(_text(p.get("starts"))), self.tz)[0])
            except ValueError:
                continue
            participants = [{"actor": self.subject, "status": "accepted"}]
            if _text(p.get("with_whom")):
                participants.append({"type": [{"text": "With"}], "actor": {"display": _text(p["with_whom"])},
                                     "status": "accepted"})
            if _text(p.get("who_goes")):
                participants.append({"type": [{"text": "Who goes"}], "actor": {"display": _text(p["who_goes"])},
                                     "status": "accepted"})
            if _text(p.get("place")):
                participants.append({"type": [{"text": "Place"}], "actor": {"display": _text(p["place"])},
                                     "status": "accepted"})
            res: dict[str, Any] = {"resourceType": "Appointment", "id": stable_uuid("Appointment", entry.id),
                                   "identifier": _ident(entry.id), "status": "booked",
                                   "description": _text(p.get("title")), "start": start, "end": start,
                                   "created": self.when(Stamp.decode(entry.created_hlc).wall)[:10]}
            if _text(p.get("notes")):
                res["comment"] = _text(p["notes"])
            res["participant"] = participants
            self.add(res)

    def _observation(self, entry: Entry, category: list, code: dict, **fields) -> dict:
        res: dict[str, Any] = {"resourceType": "Observation", "id": stable_uuid("Observation", entry.id),
                               "identifier": _ident(entry.id), "status": "amended" if entry.edited else "final",
                               "category": category, "code": code, "subject": self.subject,
                               "effectiveDateTime": self.when(entry.at), "performer": [_who(entry.created_by)]}
        res.update({k: v for k, v in fields.items() if v not in (None, [], {})})
        return res

    def vitals(self) -> None:
        for entry in self.data.entries("vital"):
            p = entry.payload
            vital = VITALS.get(_text(p.get("type")))
            if vital is None:
                continue
            ucum = _text(p.get("unit")) or vital.default_unit.ucum
            unit = vital.unit(ucum)
            label = unit.label if unit else ucum
            loinc = _text(p.get("loinc")) or vital.loinc
            coding = [{"system": LOINC, "code": loinc, "display": vital.loinc_display}]
            if vital.key == "spo2":
                coding.insert(0, {"system": LOINC, "code": "2708-6",
                                  "display": "Oxygen saturation in Arterial blood"})
            if vital.key == "blood_glucose" and loinc == "15074-8":
                coding[0]["display"] = "Glucose [Moles/volume] in Blood"
            code = {"coding": coding, "text": vital.label}
            fields: dict[str, Any] = {"note": _notes(p.get("note"))}
            if len(vital.components) > 1:
                fields["component"] = [
                    {"code": {"coding": [{"system": LOINC, "code": c.loinc, "display": c.label.split(" (")[0]
                                          + " blood pressure"}], "text": c.label},
                     "valueQuantity": _quantity(p.get(c.key), ucum, label)}
                    for c in vital.components if p.get(c.key) is not None]
            elif p.get("value") is not None:
                fields["valueQuantity"] = _quantity(p["value"], ucum, label)
            self.add(self._observation(entry, _category("vital-signs", "Vital Signs"), code, **fields))

    def symptoms(self) -> None:
        for entry in self.data.entries("symptom"):
            p = entry.payload
            fields: dict[str, Any] = {"note": _notes(p.get("note"))}
            if isinstance(p.get("severity"), int) and not isinstance(p.get("severity"), bool):
                fields["valueInteger"] = p["severity"]
            code = {"text": f"Symptom: {_text(p.get('name'))}"}
            obs = self._observation(entry, _category("survey", "Survey"), code, **fields)
            if "valueInteger" in obs:
                obs["method"] = {"text": "Severity as reported, from 0 (none) to 10 (worst)"}
            self.add(obs)

    def daily_living(self) -> None:
        for entry in self.data.entries(logbook.DAILY_LIVING):
            p = entry.payload
            category = _text(p.get("category"))
            components = []
            for key in DAILY_FIELDS:  # a fixed order: stored payloads may come back with sorted keys
                value = p.get(key)
                if value in (None, ""):
                    continue
                label, kind = DAILY_FIELDS[key]
                comp: dict[str, Any] = {"code": {"text": label}}
                if isinstance(kind, dict):
                    comp["valueCodeableConcept"] = {"text": kind.get(value, _text(value))}
                elif isinstance(kind, str) and isinstance(value, (int, float)) and not isinstance(value, bool):
                    comp["valueQuantity"] = _quantity(value, kind, kind) if kind else {"value": value}
                else:
                    comp["valueString"] = _text(value)
                components.append(comp)
            cat = _category("activity", "Activity") if category in ACTIVITY_CATEGORIES else _category("survey", "Survey")
            code = {"text": f"Daily living: {logbook.CATEGORIES.get(category, category)}"}
            self.add(self._observation(entry, cat, code, component=components, note=_notes(p.get("note"))))

    def notes(self) -> None:
        for entry in self.data.entries("note"):
            text = _text(entry.payload.get("text"))
            if text:
                self.add(self._observation(entry, _category("survey", "Survey"), {"text": "Caregiver note"},
                                           valueString=text))

    def administrations(self) -> None:
        for entry in self.data.entries(MEDICATION):
            p = entry.payload
            status = _text(p.get("status")) or GIVEN
            res: dict[str, Any] = {"resourceType": "MedicationAdministration",
                                   "id": stable_uuid("MedicationAdministration", entry.id),
                                   "identifier": _ident(entry.id),
                                   "status": "completed" if status == GIVEN else "not-done"}
            if status != GIVEN:
                outcome = MEDICATION_OUTCOMES.get(status, status)
                reason = _text(p.get("reason"))
                res["statusReason"] = [{"text": f"{outcome}: {reason}" if reason else outcome}]
            res.update({"medicationCodeableConcept": _medication_concept(p), "subject": self.subject,
                        "effectiveDateTime": self.when(entry.at),
                        "performer": [{"actor": _who(entry.created_by)}]})
            plan = _text(p.get("plan_item"))
            if plan in self.med_requests:
                res["request"] = _ref(self.med_requests[plan])
            if _text(p.get("note")):
                res["note"] = _notes(p["note"])
            dosage: dict[str, Any] = {}
            if _text(p.get("slot")):
                dosage["text"] = f"Scheduled dose of {p['slot'].replace('T', ' ')}"
            route = _route(_text(p.get("route")))
            if route:
                dosage["route"] = route
            if p.get("dose") is not None:
                unit = _text(p.get("unit"))
                dosage["dose"] = _quantity(p["dose"], unit, MEDICATION_UNITS.get(unit, unit))
            if dosage:
                res["dosage"] = dosage
            self.add(res)

    def procedures(self) -> None:
        for entry in self.data.entries(TASK):
            p = entry.payload
            done = _text(p.get("status")) != "skipped"
            res: dict[str, Any] = {"resourceType": "Procedure", "id": stable_uuid("Procedure", entry.id),
                                   "identifier": _ident(entry.id), "status": "completed" if done else "not-done"}
            if not done:
                res["statusReason"] = {"text": _text(p.get("reason")) or "Skipped"}
            res.update({"code": {"text": _text(p.get("name")) or "Care task"}, "subject": self.subject,
                        "performedDateTime": self.when(entry.at), "recorder": _who(entry.created_by),
                        "performer": [{"actor": _who(entry.created_by)}]})
            if _text(p.get("note")):
                res["note"] = _notes(p["note"])
            self.add(res)


def export_bundle(events: Iterable[Event], recipient: str, *, as_of_ms: int | None = None) -> dict:
    """The recipient's FHIR R4 Bundle (a dict ready for ``json.dumps``).

    ``as_of_ms`` dates the bundle and decides which plan items have ended
    (default: the newest event's time, so equal events give equal output).
    """
    events = [e for e in events if e.recipient == recipient]
    if not events:
        raise ExportError("There is nothing recorded for this person.")
    data = gather(events, recipient)
    newest = max(max(e.at for e in events), max(Stamp.decode(e.hlc).wall for e in events))
    as_of = newest if as_of_ms is None else as_of_ms
    as_of_day = iso_time(as_of, data.tz)[:10]
    day = _dt.date.fromisoformat(as_of_day)
    x = _Exporter(data)
    x.patient()
    if data.profile_entry is not None:
        x.conditions()
        x.allergies()
    x.medication_requests(day)
    x.care_plan(day)
    x.appointments()
    x.vitals()
    x.symptoms()
    x.daily_living()
    x.notes()
    x.administrations()
    x.procedures()
    return {"resourceType": "Bundle", "id": stable_uuid("Bundle", recipient, str(as_of), str(len(events))),
            "meta": {"lastUpdated": iso_time(as_of, data.tz)},
            "type": "collection", "timestamp": iso_time(as_of, data.tz), "entry": x.entries}

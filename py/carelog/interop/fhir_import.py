"""Import a transition-of-care FHIR Bundle (a hospital discharge, a GP summary):
preview first, then the payloads to store.

``preview_import(bundle)`` reads the Bundle's ``Patient``, ``MedicationRequest``
/ ``MedicationStatement``, ``AllergyIntolerance``, ``Condition`` (and the task
activities of a ``CarePlan``) and says what would become the profile and the
care plan, and which resources are skipped and why. Nothing is stored: the
caregiver reads the preview and confirms; then ``events_for(preview, ...)``
gives the events to store in one batch. Every payload goes through the same
form parsers as typed entries (``parse_profile``, ``parse_med_plan``...), so
an import can hold nothing a caregiver could not have typed.

A bundle that is not one (not JSON, not a Bundle, no patient, two patients,
entries of the wrong shape, too large) is refused with ``FhirImportError`` and
a plain message; no other exception escapes, whatever the input.

    >>> preview = preview_import({"resourceType": "Bundle", "type": "collection", "entry": [
    ...     {"resource": {"resourceType": "Patient", "name": [{"given": ["Mary"], "family": "Jones"}]}},
    ...     {"resource": {"resourceType": "Condition", "code": {"text": "Asthma"}}},
    ...     {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}}]},
    ...     timezone="Europe/London")
    >>> preview.profile["name"], preview.profile["conditions"]
    ('Mary Jones', ['Asthma'])
    >>> [(s.resource_type, s.reason) for s in preview.skipped]
    [('Observation', 'carelog does not import Observation resources.')]
    >>> preview_import(b"<html>")
    Traceback (most recent call last):
    ...
    carelog.interop.fhir_import.FhirImportError: This file is not a FHIR bundle: it is not JSON.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ..domain.careplan import MED_PLAN, TASK_PLAN, PlanItem, parse_med_plan, parse_task_plan, plan_items
from ..domain.catalogue import MEDICATION_UNITS, ROUTES
from ..domain.events import CREATE, EDIT, Event
from ..domain.profile import PROFILE, SEVERITIES, current_profile, parse_phone, parse_profile
from ..domain.records import norm_name
from ..domain.validation import FormErrors
from .fhir_export import (EXT_NOTES, EXT_SEVERITY, EXT_STRENGTH, EXT_WINDOW, NO_KNOWN_ALLERGY_CODES, ROUTE_SNOMED,
                          RXNORM, SNOMED, TIMEZONE_EXT, WEEKDAY_CODES)

MAX_BYTES = 10 * 1024 * 1024
MAX_ENTRIES = 5000
MAX_CONDITIONS = 50
MAX_ALLERGIES = 30
PLAN_KINDS_USED = ("MedicationRequest", "MedicationStatement")
USED = ("Patient", "Condition", "AllergyIntolerance", "CarePlan", "Medication") + PLAN_KINDS_USED
SKIP_STATUS = {"cancelled", "entered-in-error", "stopped", "not-taken", "draft", "revoked"}
GUESSED_TIMES = {1: ["08:00"], 2: ["08:00", "20:00"], 3: ["08:00", "14:00", "20:00"],
                 4: ["08:00", "12:00", "16:00", "20:00"]}
PERIOD_MINUTES = {"min": 1, "h": 60, "d": 1440}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HHMM = re.compile(r"(\d{2}):(\d{2})(:\d{2}(\.\d+)?)?")
_UNIT_WORDS = {"tablet": "{tablet}", "tablets": "{tablet}", "tab": "{tablet}", "capsule": "{capsule}",
               "capsules": "{capsule}", "cap": "{capsule}", "drop": "{drop}", "drops": "{drop}", "puff": "{puff}",
               "puffs": "{puff}", "patch": "{patch}", "patches": "{patch}", "unit": "[iU]", "units": "[iU]",
               "iu": "[iU]", "mcg": "ug", "µg": "ug", "ml": "mL", "application": "{application}"}


class FhirImportError(ValueError):
    """The file cannot be imported (plain message); nothing was changed."""


@dataclass(frozen=True)
class Skipped:
    """A resource of the bundle that does not become part of the profile or plan, and why."""

    resource_type: str
    label: str
    reason: str


@dataclass
class ImportPreview:
    """What an import would store: the profile (merged with the current one) and new plan items."""

    profile: dict
    plan: list = field(default_factory=list)       # [(kind, payload)] new plan items
    skipped: list = field(default_factory=list)    # [Skipped]
    notes: list = field(default_factory=list)      # things to check (guessed times, fields left out)

    def payloads(self) -> list[tuple[str, dict]]:
        """``[("profile", payload), ("med_plan", payload), ...]``: what confirming stores."""
        return [(PROFILE, self.profile)] + list(self.plan)

    def summary(self) -> list[str]:
        """The preview in plain lines, for the confirm screen."""
        p = self.profile
        lines = [f"Person: {p.get('name', '')}" + (f", born {p['birth_date']}" if p.get("birth_date") else "")]
        lines.append("Conditions: " + (", ".join(p.get("conditions") or ()) or "none"))
        allergies = [a["substance"] for a in p.get("allergies") or ()]
        lines.append("Allergies: " + (", ".join(allergies) if allergies else
                                      "no known allergies" if p.get("no_known_allergies") else "none recorded"))
        for kind, payload in self.plan:
            what = "Medication" if kind == MED_PLAN else "Task"
            lines.append(f"{what} to add: {payload.get('name', '')}")
        counts: dict[tuple[str, str, str], int] = {}
        for s in self.skipped:
            key = (s.resource_type, s.label, s.reason)
            counts[key] = counts.get(key, 0) + 1
        for (kind, label, reason), n in counts.items():
            what = " ".join(x for x in (f"{n} x" if n > 1 else "", kind, label) if x)
            lines.append(f"Not imported: {what}: {reason}")
        lines += [f"Check: {n}" for n in self.notes]
        return lines


# --- reading outside data safely ---------------------------------------------

def _s(value: Any, limit: int = 2000) -> str:
    """Text from outside, stripped and cut to ``limit``; '' for anything that is not text.
    Inner spaces and line breaks are kept (an export's instructions come back as typed)."""
    if not isinstance(value, str):
        return ""
    return value.strip()[:limit].strip()


def _d(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list:
    return value if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _concept_text(concept: Any) -> str:
    concept = _d(concept)
    text = _s(concept.get("text"), 200)
    if text:
        return text
    for coding in _l(concept.get("coding")):
        text = _s(_d(coding).get("display"), 200)
        if text:
            return text
    return ""


def _codes(concept: Any, system: str | None = None) -> list[str]:
    return [_s(_d(c).get("code"), 100) for c in _l(_d(concept).get("coding"))
            if system is None or _d(c).get("system") == system]


def _status_code(concept: Any) -> str:
    codes = _codes(concept)
    return codes[0] if codes else ""


def _ext(resource: Any, url: str) -> Any:
    for ext in _l(_d(resource).get("extension")):
        if _d(ext).get("url") == url:
            for key, value in ext.items():
                if key.startswith("value"):
                    return value
    return None


def _date(value: Any) -> str:
    """``YYYY-MM-DD`` from a FHIR date or dateTime (its own calendar date), '' if none."""
    text = _s(value, 40)
    if not _DATE.match(text):
        return ""
    try:
        return _dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return ""


def _hhmm(value: Any) -> str:
    match = _HHMM.fullmatch(_s(value, 20))
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return ""
    return f"{match[1]}:{match[2]}"


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _load(data: Any) -> dict:
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) > MAX_BYTES:
            raise FhirImportError("This file is too large to be a care summary.")
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FhirImportError("This file is not a FHIR bundle: it is not text.") from None
    if isinstance(data, str):
        if len(data) > MAX_BYTES:
            raise FhirImportError("This file is too large to be a care summary.")
        try:
            data = json.loads(data, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise FhirImportError("This file is not a FHIR bundle: it is not JSON.") from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise FhirImportError("This file is not a FHIR bundle (no \"resourceType\": \"Bundle\").")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(name)


# --- the preview ---------------------------------------------------------------

class _Reader:
    def __init__(self, bundle: dict, timezone: str | None, today: _dt.date, existing_profile: Mapping | None,
                 existing_plan: Iterable[PlanItem]):
        self.bundle = bundle
        self.timezone = timezone
        self.today = today
        self.existing = dict(existing_profile or {})
        self.existing_names = {(i.kind, norm_name(i.name)) for i in existing_plan
                               if i.end is None or i.end >= today}
        self.skipped: list[Skipped] = []
        self.notes: list[str] = []
        self.resources: list[tuple[str, dict]] = []   # (fullUrl, resource)
        self.by_ref: dict[str, dict] = {}

    def skip(self, resource: dict, label: str, reason: str) -> None:
        self.skipped.append(Skipped(_s(resource.get("resourceType"), 60) or "Resource", label, reason))

    def read_entries(self) -> None:
        entries = self.bundle.get("entry", [])
        if not isinstance(entries, list):
            raise FhirImportError("This bundle's entries are not a list.")
        if len(entries) > MAX_ENTRIES:
            raise FhirImportError(f"This bundle has more than {MAX_ENTRIES:,} entries; it is not a care summary.")
        for item in entries:
            if not isinstance(item, dict) or not isinstance(item.get("resource"), dict):
                raise FhirImportError("This bundle has an entry without a resource; it may be damaged.")
            resource = item["resource"]
            kind = resource.get("resourceType")
            if not isinstance(kind, str) or not re.fullmatch(r"[A-Z][A-Za-z]{1,63}", kind):
                raise FhirImportError("This bundle has a resource without a valid resourceType.")
            url = _s(item.get("fullUrl"), 500)
            self.resources.append((url, resource))
            if url:
                self.by_ref[url] = resource
            rid = _s(resource.get("id"), 64)
            if rid:
                self.by_ref[f"{kind}/{rid}"] = resource

    # --- patient ------------------------------------------------------------

    def patient(self) -> tuple[dict, set]:
        patients = [(u, r) for u, r in self.resources if r.get("resourceType") == "Patient"]
        if not patients:
            raise FhirImportError("This bundle has no patient (Patient resource), so it cannot be imported.")
        if len(patients) > 1:
            raise FhirImportError("This bundle is about more than one patient; import one person's summary.")
        url, patient = patients[0]
        refs = {url} if url else set()
        if _s(patient.get("id"), 64):
            refs.add(f"Patient/{_s(patient['id'], 64)}")
        return patient, refs

    def about_patient(self, resource: dict, refs: set, *keys: str) -> bool:
        for key in keys:
            ref = _d(resource.get(key)).get("reference")
            if isinstance(ref, str) and ref:
                return ref in refs or not refs
        return True

    @staticmethod
    def _name(patient: dict) -> str:
        for name in _l(patient.get("name")):
            name = _d(name)
            if _s(name.get("text"), 120):
                return _s(name["text"], 120)
            parts = [_s(g, 60) for g in _l(name.get("given"))] + [_s(name.get("family"), 60)]
            joined = " ".join(p for p in parts if p)
            if joined:
                return joined[:120]
        return ""

    def _contacts(self, patient: dict) -> tuple[list, list]:
        emergency, team = [], []
        for contact in _l(patient.get("contact")):
            contact = _d(contact)
            relation = _d((_l(contact.get("relationship")) or [{}])[0])
            code = _status_code(relation)
            label = _s(relation.get("text"), 80) or ("" if code in ("C", "CP") else _concept_text(relation)[:80])
            name = _s(_d(contact.get("name")).get("text"), 120) or " ".join(
                p for p in [_s(g, 60) for g in _l(_d(contact.get("name")).get("given"))]
                + [_s(_d(contact.get("name")).get("family"), 60)] if p)
            phones = [t for t in _l(contact.get("telecom")) if _d(t).get("system") == "phone"]
            phones.sort(key=lambda t: _number(_d(t).get("rank")) or 1e9)
            usable = [parse_phone(_s(_d(t).get("value"), 40)) for t in phones]
            usable = [p for p in usable if p]
            who = name or label or "a contact"
            if not usable:
                self.notes.append(f"Contact {who} left out: no phone number carelog can use.")
                continue
            row: dict[str, str] = {"phone": usable[0]}
            if len(usable) > 1:
                row["phone2"] = usable[1]
            if code == "CP" or _d(contact.get("organization")).get("display"):
                row["role"] = label or "Care team"
                if name:
                    row["name"] = name
                org = _s(_d(contact.get("organization")).get("display"), 120)
                if org:
                    row["organisation"] = org
                team.append(row)
            elif name:
                row["name"] = name
                if label:
                    row["relationship"] = label
                emergency.append(row)
            else:
                self.notes.append("A contact without a name was left out.")
        return emergency[:30], team[:30]

    # --- conditions and allergies --------------------------------------------

    def conditions(self, refs: set) -> list[str]:
        out: list[str] = []
        for _url, res in self.resources:
            if res.get("resourceType") != "Condition":
                continue
            text = _concept_text(res.get("code"))
            label = text or "(no name)"
            if not self.about_patient(res, refs, "subject", "patient"):
                self.skip(res, label, "It is about another person.")
            elif not text:
                self.skip(res, label, "It has no name carelog can show.")
            elif _status_code(res.get("verificationStatus")) in ("refuted", "entered-in-error"):
                self.skip(res, label, "It was marked as refuted or entered in error.")
            elif _status_code(res.get("clinicalStatus")) in ("inactive", "resolved", "remission"):
                self.skip(res, label, "It is no longer active.")
            elif text.casefold() in {c.casefold() for c in out}:
                self.skip(res, label, "It is listed twice.")
            elif len(out) >= MAX_CONDITIONS:
                self.skip(res, label, f"carelog keeps at most {MAX_CONDITIONS} conditions.")
            else:
                out.append(text)
        return out

    def allergies(self, refs: set) -> tuple[list[dict], bool]:
        out: list[dict] = []
        none_known = False
        for _url, res in self.resources:
            if res.get("resourceType") != "AllergyIntolerance":
                continue
            text = _concept_text(res.get("code"))
            label = text or "(no name)"
            if not self.about_patient(res, refs, "patient", "subject"):
                self.skip(res, label, "It is about another person.")
                continue
            if _status_code(res.get("verificationStatus")) in ("refuted", "entered-in-error"):
                self.skip(res, label, "It was marked as refuted or entered in error.")
                continue
            if _status_code(res.get("clinicalStatus")) in ("inactive", "resolved"):
                self.skip(res, label, "It is no longer active.")
                continue
            if set(_codes(res.get("code"), SNOMED)) & NO_KNOWN_ALLERGY_CODES:
                none_known = True
                continue
            if not text:
                self.skip(res, label, "It has no substance name carelog can show.")
                continue
            if text.casefold() in {a["substance"].casefold() for a in out}:
                self.skip(res, label, "It is listed twice.")
                continue
            if len(out) >= MAX_ALLERGIES:
                self.skip(res, label, f"carelog keeps at most {MAX_ALLERGIES} allergies.")
                continue
            allergy: dict[str, str] = {"substance": text}
            reactions = [_d(r) for r in _l(res.get("reaction"))]
            manifest = [_concept_text(m) for r in reactions for m in _l(r.get("manifestation"))]
            manifest = [m for m in manifest if m]
            if manifest:
                allergy["reaction"] = "; ".join(dict.fromkeys(manifest))[:200]
            severity = _ext(res, EXT_SEVERITY)
            if not isinstance(severity, str) or severity not in SEVERITIES:
                worst = {_s(r.get("severity"), 20) for r in reactions}
                severity = ("severe" if "severe" in worst else "moderate" if "moderate" in worst
                            else "mild" if "mild" in worst else
                            "severe" if res.get("criticality") == "high" else "unknown")
            allergy["severity"] = severity
            out.append(allergy)
        return out, none_known and not out

    # --- medications and tasks ------------------------------------------------

    def _medication_name(self, res: dict) -> tuple[str, str]:
        concept = res.get("medicationCodeableConcept")
        if concept is None and isinstance(res.get("medicationReference"), dict):
            ref = _d(res["medicationReference"])
            target = None
            if isinstance(ref.get("reference"), str):
                key = ref["reference"]
                if key.startswith("#"):
                    target = next((c for c in _l(res.get("contained")) if _d(c).get("id") == key[1:]), None)
                else:
                    target = self.by_ref.get(key)
            concept = _d(target).get("code") if target else {"text": ref.get("display")}
        rx = [c for c in _codes(concept, RXNORM) if c.isdigit() and len(c) <= 12]
        return _concept_text(concept)[:120], (rx[0] if rx else "")

    def _schedule(self, dosage: dict, form: dict, allow_prn: bool, label: str) -> str:
        """Fill the form's schedule fields from a Dosage/Timing: "read", "guessed", or "" (none to use)."""
        timing = _d(dosage.get("timing")) if "timing" in dosage else _d(dosage.get("scheduledTiming"))
        repeat = _d(timing.get("repeat"))
        bounds = _d(repeat.get("boundsPeriod"))
        if _date(bounds.get("start")):
            form["start_date"] = _date(bounds["start"])
        if _date(bounds.get("end")):
            form["end_date"] = _date(bounds["end"])
        frequency = _number(repeat.get("frequency")) or 1
        period = _number(repeat.get("period"))
        unit = _s(repeat.get("periodUnit"), 5)
        gap_minutes = (period * PERIOD_MINUTES[unit] / frequency) if period and unit in PERIOD_MINUTES else None
        times = [t for t in (_hhmm(x) for x in _l(repeat.get("timeOfDay"))) if t]
        days = [d for d in (_s(x, 3) for x in _l(repeat.get("dayOfWeek"))) if d in WEEKDAY_CODES]
        events = [_s(e, 40) for e in _l(timing.get("event")) if _s(e, 40)]
        as_needed = dosage.get("asNeededBoolean") is True or isinstance(dosage.get("asNeededCodeableConcept"), dict)
        if as_needed and allow_prn:
            form["schedule"] = "prn"
            if gap_minutes is None:
                self.notes.append(f"{label}: no least time between doses was given; 4 hours was assumed.")
                gap_minutes = 240
            form["min_interval_hours"] = _fmt(round(gap_minutes / 60, 2))
            most = None
            numerator = _d(_d(dosage.get("maxDosePerPeriod")).get("numerator"))
            denominator = _d(_d(dosage.get("maxDosePerPeriod")).get("denominator"))
            per_day = (_number(denominator.get("value")) == 1 and _s(denominator.get("code"), 5) == "d") or \
                (_number(denominator.get("value")) == 24 and _s(denominator.get("code"), 5) == "h")
            if per_day and _s(numerator.get("code"), 20) == "{dose}":
                most = _number(numerator.get("value"))
            if most is None:
                most = max(1, min(48, int(1440 // max(gap_minutes, 30))))
                self.notes.append(f"{label}: the most doses in 24 hours was not given; {most} was assumed.")
            form["max_per_day"] = _fmt(most)
            return "read"
        if as_needed:
            return ""
        if times:
            form["times"] = ", ".join(times)
            if days:
                form["schedule"], form["weekdays"] = "weekdays", ", ".join(days)
            else:
                form["schedule"] = "daily"
                if unit == "d" and period and period == int(period) and frequency == len(times):
                    form["every_days"] = _fmt(period)
            return "read"
        if events and unit == "h" and frequency == 1 and period and period == int(period):
            first = _hhmm(events[0][11:16])
            if first:
                form.update({"schedule": "interval", "every_hours": _fmt(period), "first_time": first})
                if _date(events[0]) and "start_date" not in form:
                    form["start_date"] = _date(events[0])
                return "read"
        if gap_minutes and unit in ("h", "d") and frequency == int(frequency):
            per_day = 1440 / gap_minutes
            if unit == "d" and per_day == int(per_day) and int(per_day) in GUESSED_TIMES:
                form.update({"schedule": "daily", "times": ", ".join(GUESSED_TIMES[int(per_day)])})
            elif unit == "h" and gap_minutes % 60 == 0:
                form.update({"schedule": "interval", "every_hours": _fmt(gap_minutes / 60), "first_time": "08:00"})
            else:
                return ""
            if days:
                form.update({"schedule": "weekdays", "weekdays": ", ".join(days),
                             "times": form.get("times", "08:00")})
            self.notes.append(f"{label}: the file gives no times of day; the times were guessed. Check them.")
            return "guessed"
        return ""

    def _dose(self, dosage: dict, form: dict) -> None:
        for dr in _l(dosage.get("doseAndRate")):
            q = _d(_d(dr).get("doseQuantity"))
            value = _number(q.get("value"))
            if value is None:
                continue
            code = _s(q.get("code"), 40) or _s(q.get("unit"), 40)
            unit = code if code in MEDICATION_UNITS else _UNIT_WORDS.get(code.casefold().strip("()s") if code
                                                                         else "", "")
            if not unit:
                unit = _UNIT_WORDS.get(_s(q.get("unit"), 40).casefold(), "")
            if not unit:
                unit = next((k for k, v in MEDICATION_UNITS.items() if v.casefold() == _s(q.get("unit"), 40)
                             .casefold()), "")
            form["dose"] = _fmt(value)
            if unit:
                form["unit"] = unit
            return

    @staticmethod
    def _route(dosage: dict) -> str:
        route = _d(dosage.get("route"))
        by_code = {code: key for key, (code, _display) in ROUTE_SNOMED.items()}
        for code in _codes(route, SNOMED):
            if code in by_code:
                return by_code[code]
        text = _concept_text(route).casefold()
        if not text:
            return ""
        for key, label in ROUTES.items():
            if text in (key, label.casefold()):
                return key
        return "other"

    def plan(self, refs: set) -> list[tuple[str, dict]]:
        out: list[tuple[str, dict]] = []
        seen: set[tuple[str, str]] = set()
        for _url, res in self.resources:
            kind = res.get("resourceType")
            if kind in PLAN_KINDS_USED:
                item = self._medication(res, refs)
                if item is not None:
                    key = (MED_PLAN, norm_name(item["name"]))
                    if key in seen:
                        self.skip(res, item["name"], "It is listed twice.")
                        continue
                    seen.add(key)
                    out.append((MED_PLAN, item))
            elif kind == "CarePlan":
                for payload in self._tasks(res, refs):
                    key = (TASK_PLAN, norm_name(payload["name"]))
                    if key not in seen:
                        seen.add(key)
                        out.append((TASK_PLAN, payload))
        return out

    def _medication(self, res: dict, refs: set) -> dict | None:
        name, rxnorm = self._medication_name(res)
        label = name or "(no name)"
        status = _s(res.get("status"), 40)
        if not self.about_patient(res, refs, "subject", "patient"):
            return self.skip(res, label, "It is about another person.")
        if not name:
            return self.skip(res, label, "It names no medication carelog can show.")
        if status in SKIP_STATUS:
            return self.skip(res, name, f"It is not a current medication (status {status}).")
        dosages = _l(res.get("dosageInstruction") if res.get("resourceType") == "MedicationRequest"
                     else res.get("dosage"))
        form: dict[str, Any] = {"name": name}
        if rxnorm:
            form["rxnorm"] = rxnorm
        strength = _ext(res, EXT_STRENGTH)
        if isinstance(strength, str) and _s(strength, 60):
            form["strength"] = _s(strength, 60)
        window = _ext(res, EXT_WINDOW)
        if isinstance(window, int) and not isinstance(window, bool):
            form["window_minutes"] = str(window)
        dosage = _d(dosages[0]) if dosages else {}
        if len(dosages) > 1:
            self.notes.append(f"{name}: only the first of its {len(dosages)} dosage lines was used.")
        if _s(dosage.get("patientInstruction"), 1000):
            form["instructions"] = _s(dosage["patientInstruction"], 1000)
        self._dose(dosage, form)
        route = self._route(dosage)
        if route:
            form["route"] = route
        how = self._schedule(dosage, form, allow_prn=True, label=name)
        if not how:
            text = _s(dosage.get("text"), 300)
            return self.skip(res, name, "It has no schedule carelog can use" + (f" ({text})" if text else "")
                             + "; add it to the plan by hand.")
        if "instructions" not in form and how == "guessed" and _s(dosage.get("text"), 1000):
            form["instructions"] = _s(dosage["text"], 1000)  # times were guessed: keep the words as written
        if "start_date" not in form:
            start = _date(res.get("authoredOn")) or _date(_d(res.get("effectivePeriod")).get("start")) or \
                _date(res.get("effectiveDateTime")) or _date(res.get("dateAsserted"))
            form["start_date"] = start or self.today.isoformat()
        if "end_date" not in form and _date(_d(res.get("effectivePeriod")).get("end")):
            form["end_date"] = _date(_d(res.get("effectivePeriod")).get("end"))
        if status == "completed" and "end_date" not in form:
            return self.skip(res, name, f"It is not a current medication (status {status}).")
        if form.get("end_date") and form["end_date"] < form["start_date"]:
            self.notes.append(f"{name}: its end date is before its start date and was left out.")
            form.pop("end_date")
        if (MED_PLAN, norm_name(name)) in self.existing_names:
            return self.skip(res, name, "It is already in the care plan.")
        try:
            return parse_med_plan(form)
        except FormErrors as errors:
            return self.skip(res, name, "It cannot be used as it is: " + " ".join(errors.errors.values()))

    def _tasks(self, res: dict, refs: set) -> list[dict]:
        if not self.about_patient(res, refs, "subject", "patient"):
            self.skip(res, _s(res.get("title"), 120), "It is about another person.")
            return []
        if _s(res.get("status"), 40) in SKIP_STATUS | {"completed", "revoked"}:
            self.skip(res, _s(res.get("title"), 120), "It is not a current care plan.")
            return []
        out = []
        for activity in _l(res.get("activity")):
            detail = _d(_d(activity).get("detail"))
            if not detail:
                continue  # a reference (to a MedicationRequest listed on its own)
            name = _concept_text(detail.get("code"))[:120] or _s(detail.get("description"), 120)
            fake = {"resourceType": "CarePlan activity"}
            if not name:
                self.skip(fake, "(no name)", "It has no name carelog can show.")
                continue
            if _s(detail.get("status"), 40) in ("completed", "cancelled", "stopped", "entered-in-error"):
                self.skip(fake, name, "It is no longer planned.")
                continue
            form: dict[str, Any] = {"name": name}
            if _s(detail.get("description"), 1000) and _concept_text(detail.get("code")):
                form["instructions"] = _s(detail["description"], 1000)
            window = _ext(detail, EXT_WINDOW)
            if isinstance(window, int) and not isinstance(window, bool):
                form["window_minutes"] = str(window)
            if not self._schedule(detail, form, allow_prn=False, label=name):
                self.skip(fake, name, "It has no schedule carelog can use; add it to the plan by hand.")
                continue
            form.setdefault("start_date", self.today.isoformat())
            if (TASK_PLAN, norm_name(name)) in self.existing_names:
                self.skip(fake, name, "It is already in the care plan.")
                continue
            try:
                out.append(parse_task_plan(form))
            except FormErrors as errors:
                self.skip(fake, name, "It cannot be used as it is: " + " ".join(errors.errors.values()))
        return out

    # --- everything ---------------------------------------------------------

    def preview(self) -> ImportPreview:
        self.read_entries()
        patient, refs = self.patient()
        name = self._name(patient) or _s(self.existing.get("name"), 120)
        if not name:
            raise FhirImportError("The patient in this bundle has no name, so it cannot be imported.")
        form: dict[str, Any] = {"name": self.existing.get("name") or name}
        birth = _s(patient.get("birthDate"), 10)
        if self.existing.get("birth_date"):
            form["birth_date"] = self.existing["birth_date"]
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth) and _date(birth):
            form["birth_date"] = birth
        elif birth:
            self.notes.append(f"The date of birth ({birth}) is not a full date and was left out.")
        zone_name = _ext(patient, TIMEZONE_EXT)
        form["timezone"] = self.existing.get("timezone") or (zone_name if isinstance(zone_name, str) else "") \
            or self.timezone or "UTC"
        if not self.existing.get("timezone") and not isinstance(zone_name, str) and not self.timezone:
            self.notes.append("The file gives no time zone; UTC was used. Set the right one in the profile.")
        conditions = list(self.existing.get("conditions") or [])
        for text in self.conditions(refs):
            if text.casefold() not in {c.casefold() for c in conditions}:
                conditions.append(text)
        form["conditions"] = conditions[:MAX_CONDITIONS]
        allergies = [dict(a) for a in self.existing.get("allergies") or []]
        found, none_known = self.allergies(refs)
        for allergy in found:
            if allergy["substance"].casefold() not in {a.get("substance", "").casefold() for a in allergies}:
                allergies.append(allergy)
        form["allergies"] = allergies[:MAX_ALLERGIES]
        if not allergies and (none_known or self.existing.get("no_known_allergies")):
            form["no_known_allergies"] = "yes"
        emergency, team = self._contacts(patient)
        form["emergency_contacts"] = self.existing.get("emergency_contacts") or emergency
        form["care_team"] = self.existing.get("care_team") or team
        notes = self.existing.get("notes") or _ext(patient, EXT_NOTES)
        if isinstance(notes, str) and notes.strip():
            form["notes"] = notes[:2000]
        plan = self.plan(refs)
        for url, res in self.resources:
            if res.get("resourceType") not in USED:
                self.skip(res, "", f"carelog does not import {res.get('resourceType')} resources.")
        try:
            profile = parse_profile(form)
        except FormErrors as errors:
            raise FhirImportError("The patient details cannot be used: " + " ".join(errors.errors.values())) \
                from None
        return ImportPreview(profile=profile, plan=plan, skipped=self.skipped, notes=self.notes)


def preview_import(data: Any, *, timezone: str | None = None, today: _dt.date | None = None,
                   existing_profile: Mapping | None = None, existing_plan: Iterable[PlanItem] = ()) -> ImportPreview:
    """What importing ``data`` (bytes, text or a parsed dict) would store; raises ``FhirImportError``.

    ``timezone`` is used when neither the file nor the current profile has one;
    ``today`` dates medications the file gives no start date for; the current
    profile's fields are kept and the file's are added; medications and tasks
    already in the plan (``existing_plan``) are skipped.
    """
    today = today or _dt.date.today()
    try:
        return _Reader(_load(data), timezone, today, existing_profile, list(existing_plan)).preview()
    except FhirImportError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError, OverflowError):
        raise FhirImportError("This file could not be read as a care summary; nothing was changed.") from None


def events_for(preview: ImportPreview, *, recipient: str, author: str, device: str,
               new_id: Callable[[], str], stamp: Callable[[], str], at: int,
               existing: Iterable[Event] = ()) -> list[Event]:
    """The events that store a confirmed preview (store them in one batch):
    an edit of the current profile (or a new one) and a new entry per plan item."""
    existing = list(existing)
    current, _others = current_profile(existing, recipient)
    events = []
    if current is not None:
        events.append(Event(id=new_id(), recipient=recipient, kind=PROFILE, entry=current.id, op=EDIT,
                            revises=current.head_ids, at=at, payload=dict(preview.profile), author=author,
                            device=device, hlc=stamp()))
    else:
        ident = new_id()
        events.append(Event(id=ident, recipient=recipient, kind=PROFILE, entry=ident, op=CREATE, revises=(),
                            at=at, payload=dict(preview.profile), author=author, device=device, hlc=stamp()))
    for kind, payload in preview.plan:
        ident = new_id()
        events.append(Event(id=ident, recipient=recipient, kind=kind, entry=ident, op=CREATE, revises=(), at=at,
                            payload=dict(payload), author=author, device=device, hlc=stamp()))
    return events


def current_plan(events: Iterable[Event], recipient: str) -> list[PlanItem]:
    """The recipient's plan items (to pass as ``existing_plan``)."""
    return plan_items(events, recipient)

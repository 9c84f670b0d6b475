"""One-line plain-language summaries of entries, for lists, toasts and history.

    >>> describe_payload("vital", {"type": "blood_pressure", "systolic": 120, "diastolic": 80, "unit": "mm[Hg]"})
    'Blood pressure 120/80 mmHg'
"""

from __future__ import annotations

from ..domain.catalogue import MEDICATION_OUTCOMES, MEDICATION_UNITS, ROUTES, VITALS

KIND_LABELS = {
    "medication": "Medication", "vital": "Vital sign", "symptom": "Symptom", "note": "Note",
    "recipient": "Care recipient",
}


def _num(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def describe_vital(payload: dict) -> str:
    """``Temperature 37.5 °C``."""
    vital = VITALS.get(payload.get("type", ""))
    if vital is None:
        return "Vital sign"
    unit = vital.unit(payload.get("unit", "")) or vital.default_unit
    if vital.key == "blood_pressure":
        return f"{vital.label} {_num(payload.get('systolic'))}/{_num(payload.get('diastolic'))} {unit.label}"
    if vital.key == "pain":
        return f"Pain {_num(payload.get('value'))} out of 10"
    return f"{vital.label} {_num(payload.get('value'))} {unit.label}"


def describe_medication(payload: dict) -> str:
    """``Metformin 500 mg, by mouth: Given``."""
    parts = [payload.get("name", "Medication")]
    if "dose" in payload:
        unit = MEDICATION_UNITS.get(payload.get("unit", ""), payload.get("unit", ""))
        parts.append(f" {_num(payload['dose'])} {unit}".rstrip())
    if payload.get("route"):
        parts.append(f", {ROUTES.get(payload['route'], payload['route']).lower()}")
    outcome = MEDICATION_OUTCOMES.get(payload.get("status", ""), "")
    text = "".join(parts)
    return f"{text}: {outcome}" if outcome else text


def describe_payload(kind: str, payload: dict) -> str:
    """A summary of any kind's payload."""
    if kind == "vital":
        return describe_vital(payload)
    if kind == "medication":
        return describe_medication(payload)
    if kind == "symptom":
        return f"{payload.get('name', 'Symptom')}, severity {_num(payload.get('severity', '?'))} out of 10"
    if kind == "note":
        text = payload.get("text", "")
        return text if len(text) <= 140 else text[:139] + "…"
    if kind == "recipient":
        return payload.get("name", "")
    return KIND_LABELS.get(kind, kind)

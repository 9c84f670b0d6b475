"""One-line plain-language summaries of entries, for lists, toasts and history.

    >>> describe_payload("vital", {"type": "blood_pressure", "systolic": 120, "diastolic": 80, "unit": "mm[Hg]"})
    'Blood pressure 120/80 mmHg'
"""

from __future__ import annotations

from ..domain.catalogue import MEDICATION_OUTCOMES, MEDICATION_UNITS, ROUTES, VITALS
from .describe_care import DESCRIBE as CARE_DESCRIBE, LABELS as CARE_LABELS

KIND_LABELS = {
    "medication": "Medication", "vital": "Vital sign", "symptom": "Symptom", "note": "Note",
    "recipient": "Care recipient", **CARE_LABELS,
}


def _num(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _text(payload: dict, key: str, default: str = "") -> str:
    """A payload field as text. Synced records may hold any JSON there, and a
    summary must never fail (or hash a list) because of it."""
    value = payload.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _num(value)
    return default


def describe_vital(payload: dict) -> str:
    """``Temperature 37.5 °C``."""
    vital = VITALS.get(_text(payload, "type"))
    if vital is None:
        return "Vital sign"
    unit = vital.unit(_text(payload, "unit")) or vital.default_unit
    if vital.key == "blood_pressure":
        return f"{vital.label} {_num(payload.get('systolic'))}/{_num(payload.get('diastolic'))} {unit.label}"
    if vital.key == "pain":
        return f"Pain {_num(payload.get('value'))} out of 10"
    return f"{vital.label} {_num(payload.get('value'))} {unit.label}"


def describe_medication(payload: dict) -> str:
    """``Metformin 500 mg, by mouth: Given``."""
    parts = [_text(payload, "name", "Medication")]
    if "dose" in payload:
        unit = MEDICATION_UNITS.get(_text(payload, "unit"), _text(payload, "unit"))
        parts.append(f" {_num(payload['dose'])} {unit}".rstrip())
    route = _text(payload, "route")
    if route:
        parts.append(f", {ROUTES.get(route, route).lower()}")
    outcome = MEDICATION_OUTCOMES.get(_text(payload, "status"), "")
    text = "".join(parts)
    return f"{text}: {outcome}" if outcome else text


def describe_payload(kind: str, payload: dict) -> str:
    """A summary of any kind's payload."""
    if kind == "vital":
        return describe_vital(payload)
    if kind == "medication":
        return describe_medication(payload)
    if kind == "symptom":
        return f"{_text(payload, 'name', 'Symptom')}, severity {_num(payload.get('severity', '?'))} out of 10"
    if kind == "note":
        text = _text(payload, "text")
        return text if len(text) <= 140 else text[:139] + "…"
    if kind == "recipient":
        return _text(payload, "name")
    if kind in CARE_DESCRIBE:
        return CARE_DESCRIBE[kind](payload)
    return KIND_LABELS.get(kind, kind)

"""Turn what a caregiver typed into a valid payload, or say plainly what is wrong.

Every parser takes the form's fields as text (what a browser form gives) and
returns a clean payload dict, or raises ``FormErrors`` mapping each bad field
to a message a tired caregiver understands. Nothing invalid reaches a store.

    >>> parse_entry("vital", {"type": "blood_pressure", "systolic": "900", "diastolic": "80"})
    Traceback (most recent call last):
    ...
    carelog.domain.validation.FormErrors: systolic: Systolic (top number) of 900 mmHg is not possible. Enter a number from 20 to 300.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Mapping

from . import catalogue
from .catalogue import MEDICATION_OUTCOMES, MEDICATION_UNITS, ROUTES, VITALS

MAX_NAME = 120
MAX_NOTE = 5000
EARLIEST_MS = -2_208_988_800_000  # 1900-01-01, for birth dates
EARLIEST_ENTRY_MS = 946_684_800_000  # 2000-01-01
FUTURE_SLACK_MS = 24 * 3600 * 1000


class FormErrors(ValueError):
    """One or more fields are wrong; ``errors`` maps field name to message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


Form = Mapping[str, Any]


def _text(form: Form, key: str) -> str:
    value = form.get(key, "")
    if value is None:
        return ""
    return str(value).strip()


def _required_text(form: Form, key: str, label: str, errors: dict, limit: int = MAX_NAME) -> str:
    value = _text(form, key)
    if not value:
        errors[key] = f"{label} is needed."
    elif len(value) > limit:
        errors[key] = f"{label} is too long: keep it under {limit} characters."
    elif any(ord(c) < 32 and c not in "\n\t" for c in value):
        errors[key] = f"{label} has characters that cannot be saved."
    return value


def _optional_text(form: Form, key: str, label: str, errors: dict, limit: int = MAX_NOTE) -> str:
    value = _text(form, key)
    if len(value) > limit:
        errors[key] = f"{label} is too long: keep it under {limit} characters."
    return value


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)")


def parse_number(text: str) -> float | None:
    """A number as people type it ("37,5", " 120 "), or None if it is not one.

    A comma is a decimal mark ("37,5"). "1,000" is refused: it could mean one
    thousand or one, and a dose must never be guessed. Only ASCII digits count.

    >>> parse_number("37,5"), parse_number("1,000"), parse_number("1_000")
    (37.5, None, None)
    """
    text = str(text).strip()
    if not text or len(text) > 20 or not _NUMBER.fullmatch(text):
        return None
    if re.fullmatch(r"[+-]?[0-9]{1,3},[0-9]{3}", text):
        return None
    value = float(text.replace(",", "."))
    return value if math.isfinite(value) else None


def _fmt(value: float, decimals: int = 1) -> str:
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _number_in_range(form: Form, key: str, label: str, unit_label: str, low: float, high: float,
                     decimals: int, errors: dict) -> float | int | None:
    raw = _text(form, key)
    if not raw:
        errors[key] = f"{label} is needed."
        return None
    value = parse_number(raw)
    if value is None:
        errors[key] = f"{label} must be a number, like {_fmt(low + (high - low) / 4, decimals)}."
        return None
    if not low <= value <= high:
        unit = f" {unit_label}" if unit_label else ""
        errors[key] = (f"{label} of {_fmt(value, 2)}{unit} is not possible. "
                       f"Enter a number from {_fmt(low, decimals)} to {_fmt(high, decimals)}.")
        return None
    value = round(value, decimals)
    return int(value) if decimals == 0 else value


def _choice(form: Form, key: str, label: str, options: Mapping[str, str], errors: dict,
            default: str | None = None) -> str:
    value = _text(form, key) or (default or "")
    if value not in options:
        errors[key] = f"Choose {label.lower()} from the list."
    return value


def parse_time(form: Form, now_ms: int, key: str = "at") -> int:
    """The entry's time in ms since the epoch: the form's value, or now if empty.

    The browser glue converts the local date and time the caregiver chose into
    ms before calling this, so this stays free of time-zone rules.
    """
    raw = _text(form, key)
    if not raw:
        return now_ms
    value = parse_number(raw)
    if value is None or value != int(value):
        raise FormErrors({key: "Enter the date and time, or leave it empty for now."})
    value = int(value)
    if value > now_ms + FUTURE_SLACK_MS:
        raise FormErrors({key: "That time is in the future. Enter when it happened."})
    if value < EARLIEST_ENTRY_MS:
        raise FormErrors({key: "That date is too long ago. Check the year."})
    return value


def _add_note(form: Form, payload: dict, errors: dict) -> None:
    """The entry's optional free-text note, when there is one."""
    note = _optional_text(form, "note", "The note", errors)
    if note:
        payload["note"] = note


def _checked(payload: dict, errors: dict) -> dict:
    """The payload, or FormErrors naming every field that was wrong."""
    if errors:
        raise FormErrors(errors)
    return payload


def parse_recipient(form: Form) -> dict:
    """A care recipient: a name (needed) and an optional date of birth (YYYY-MM-DD)."""
    errors: dict[str, str] = {}
    payload = {"name": _required_text(form, "name", "The name", errors)}
    birth = _text(form, "birth_date")
    if birth:
        if not _is_iso_date(birth):
            errors["birth_date"] = "Enter the date of birth as year-month-day, like 1941-05-30."
        else:
            payload["birth_date"] = birth
    return _checked(payload, errors)


def _is_iso_date(text: str) -> bool:
    import datetime as _dt
    try:
        day = _dt.date.fromisoformat(text)
    except ValueError:
        return False
    # fromisoformat also takes "19410530" and week dates ("2021-W01-1"): keep only YYYY-MM-DD
    return day.isoformat() == text and 1900 <= day.year <= 2100


def parse_caregiver_name(text: Any) -> str:
    """This device's caregiver name."""
    errors: dict[str, str] = {}
    name = _required_text({"name": text}, "name", "Your name", errors, limit=80)
    if errors:
        raise FormErrors(errors)
    return name


def parse_medication(form: Form) -> dict:
    """A dose given, skipped or refused. Skipped and refused need a reason."""
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {"name": _required_text(form, "name", "The medication name", errors)}
    outcome = _choice(form, "status", "What happened", MEDICATION_OUTCOMES, errors, default="given")
    payload["status"] = outcome
    dose_text = _text(form, "dose")
    if dose_text or outcome == catalogue.GIVEN:
        dose = _number_in_range(form, "dose", "The dose", "", 0.001, 100_000, 3, errors)
        if dose is not None:
            payload["dose"] = dose
        payload["unit"] = _choice(form, "unit", "The unit", MEDICATION_UNITS, errors)
    route = _text(form, "route")
    if route:
        payload["route"] = _choice(form, "route", "How it is given", ROUTES, errors)
    reason = _optional_text(form, "reason", "The reason", errors, limit=500)
    if outcome in (catalogue.SKIPPED, catalogue.REFUSED) and not reason and "reason" not in errors:
        errors["reason"] = f"Say why the dose was {outcome}."
    if reason:
        payload["reason"] = reason
    _add_note(form, payload, errors)
    return _checked(payload, errors)


def parse_vital(form: Form) -> dict:
    """A vital sign reading, with its LOINC code and UCUM unit."""
    errors: dict[str, str] = {}
    vital = VITALS.get(_text(form, "type"))
    if vital is None:
        raise FormErrors({"type": "Choose which vital sign you measured."})
    unit = vital.unit(_text(form, "unit")) if _text(form, "unit") else vital.default_unit
    if unit is None:
        raise FormErrors({"unit": "Choose the unit from the list."})
    payload: dict[str, Any] = {"type": vital.key, "unit": unit.ucum, "loinc": vital.loinc}
    for component in vital.components:
        value = _number_in_range(form, component.key, component.label, unit.label,
                                 unit.low, unit.high, unit.decimals, errors)
        if value is not None:
            payload[component.key] = value
    if vital.key == "blood_pressure" and not errors and payload["systolic"] <= payload["diastolic"]:
        errors["diastolic"] = "The bottom number must be lower than the top number. Check the reading."
    if vital.key == "blood_glucose":
        payload["loinc"] = catalogue.GLUCOSE_LOINC_BY_UNIT[unit.ucum]
    _add_note(form, payload, errors)
    return _checked(payload, errors)


def parse_symptom(form: Form) -> dict:
    """A symptom with a severity from 0 (none) to 10 (worst)."""
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {"name": _required_text(form, "name", "The symptom", errors)}
    severity = _number_in_range(form, "severity", "Severity", "", 0, 10, 0, errors)
    if severity is not None:
        payload["severity"] = severity
    _add_note(form, payload, errors)
    return _checked(payload, errors)


def parse_note(form: Form) -> dict:
    """A free note."""
    errors: dict[str, str] = {}
    payload = {"text": _required_text(form, "text", "The note", errors, limit=MAX_NOTE)}
    return _checked(payload, errors)


PARSERS: dict[str, Callable[[Form], dict]] = {
    "recipient": parse_recipient,
    "medication": parse_medication,
    "vital": parse_vital,
    "symptom": parse_symptom,
    "note": parse_note,
}


def parse_entry(kind: str, form: Form) -> dict:
    """Parse the form of any known kind."""
    parser = PARSERS.get(kind)
    if parser is None:
        raise FormErrors({"kind": "That kind of entry is not known."})
    return parser(form)

"""Alerts: vital-sign thresholds, a reading out of range, and acknowledgement.

Thresholds are kept in one canonical unit per vital (mmHg, /min, %, °C,
mg/dL, kg); readings in other units are converted first (°F -> °C,
mmol/L -> mg/dL at 18.016, lb -> kg). The defaults (``DEFAULT_LIMITS``) are
what a caregiver can change per recipient: each change is a ``threshold``
event for one limit, and the newest (by clock stamp) wins.

An alert's id is derived from its cause (rule, recipient, reading or day), so
every device computes the same id for the same cause, and an ``alert_ack``
event (payload ``{"alert": id}``) made on one device acknowledges it on all.
Deleting the ack event un-acknowledges it.

    >>> limits = dict(DEFAULT_LIMITS)
    >>> breaches(limits, "temperature", {"value": 100.4, "unit": "[degF]"})
    [('temperature', 'high', 38.0)]
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

from . import validation
from .catalogue import VITALS
from .events import Event
from .fold import Entry, fold
from .hlc import Stamp
from .validation import FormErrors
from .zones import format_when

THRESHOLD, ALERT_ACK, VITAL = "threshold", "alert_ack", "vital"
HIGH, LOW = "high", "low"
GLUCOSE_MGDL_PER_MMOLL = 18.016
LB_KG = 0.45359237


@dataclass(frozen=True)
class Limit:
    """When a reading of one measure raises an alert, in the canonical unit.

    Alert when ``value > high`` (``>=`` when ``high_inclusive``) or
    ``value < low`` (``<=`` when ``low_inclusive``). None turns a side off."""

    key: str            # "systolic", "heart_rate", ...
    vital: str          # the catalogue vital it reads
    component: str      # the payload field with the number
    label: str
    unit: str           # canonical UCUM unit
    unit_label: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = False
    high_inclusive: bool = False
    decimals: int = 0

    def breach(self, value: float) -> str | None:
        """``"high"``, ``"low"`` or None for a canonical value."""
        if self.high is not None and (value >= self.high if self.high_inclusive else value > self.high):
            return HIGH
        if self.low is not None and (value <= self.low if self.low_inclusive else value < self.low):
            return LOW
        return None

    def describe(self) -> str:
        """``Alert above 180 or below 90 mmHg``."""
        parts = []
        if self.high is not None:
            parts.append(f"{'at or above' if self.high_inclusive else 'above'} {validation._fmt(self.high, 2)}")
        if self.low is not None:
            parts.append(f"{'at or below' if self.low_inclusive else 'below'} {validation._fmt(self.low, 2)}")
        return f"Alert {' or '.join(parts)} {self.unit_label}" if parts else "No alert"


def _limit(key, vital, component, label, unit, unit_label, low, high, low_inc=False, high_inc=False, decimals=0):
    return Limit(key, vital, component, label, unit, unit_label, low, high, low_inc, high_inc, decimals)


# Defaults for an adult at home: they prompt a caregiver to look closer or call
# for advice; a care team should set the recipient's own.
DEFAULT_LIMITS: dict[str, Limit] = {lim.key: lim for lim in (
    _limit("systolic", "blood_pressure", "systolic", "Systolic (top number)", "mm[Hg]", "mmHg", 90, 180),
    _limit("diastolic", "blood_pressure", "diastolic", "Diastolic (bottom number)", "mm[Hg]", "mmHg", 50, 110),
    _limit("heart_rate", "heart_rate", "value", "Heart rate", "/min", "beats per minute", 50, 120),
    _limit("spo2", "spo2", "value", "Oxygen (SpO2)", "%", "%", 92, None),
    _limit("temperature", "temperature", "value", "Temperature", "Cel", "°C", 35.0, 38.0, high_inc=True, decimals=1),
    _limit("respiratory_rate", "respiratory_rate", "value", "Breathing rate", "/min", "breaths per minute", 10, 24),
    _limit("blood_glucose", "blood_glucose", "value", "Blood sugar", "mg/dL", "mg/dL", 70, 250),
    _limit("pain", "pain", "value", "Pain (0-10)", "{score}", "out of 10", None, 7, high_inc=True),
    _limit("weight", "weight", "value", "Weight", "kg", "kg", None, None, decimals=1),
)}

# Unit conversions into the canonical unit of each vital.
_TO_CANONICAL = {
    ("temperature", "[degF]"): lambda v: round((v - 32) * 5 / 9, 2),
    ("blood_glucose", "mmol/L"): lambda v: round(v * GLUCOSE_MGDL_PER_MMOLL, 1),
    ("weight", "[lb_av]"): lambda v: round(v * LB_KG, 2),
    ("height", "[in_i]"): lambda v: round(v * 2.54, 1),
}
_FROM_CANONICAL = {
    ("temperature", "[degF]"): lambda v: round(v * 9 / 5 + 32, 1),
    ("blood_glucose", "mmol/L"): lambda v: round(v / GLUCOSE_MGDL_PER_MMOLL, 1),
    ("weight", "[lb_av]"): lambda v: round(v / LB_KG, 1),
    ("height", "[in_i]"): lambda v: round(v / 2.54, 1),
}


def to_canonical(vital: str, unit: str, value: float) -> float:
    """A value in the canonical unit of its vital (monotone in ``value``)."""
    convert = _TO_CANONICAL.get((vital, unit))
    return convert(value) if convert else value


def canonical_converter(vital: str, unit: str):
    """The function ``to_canonical`` applies to a ``vital`` in ``unit``, or None when it keeps
    the value as it is (for code that converts many readings of one unit)."""
    return _TO_CANONICAL.get((vital, unit))


def from_canonical(vital: str, unit: str, value: float) -> float:
    """A canonical value in another unit, for display."""
    convert = _FROM_CANONICAL.get((vital, unit))
    return convert(value) if convert else value


def breaches(limits: Mapping[str, Limit], vital: str, payload: Mapping[str, Any]) -> list[tuple[str, str, float]]:
    """``(limit key, "high"|"low", canonical value)`` for each number of a vital
    payload out of range."""
    out = []
    unit = str(payload.get("unit", ""))
    for lim in limits.values():
        if lim.vital != vital:
            continue
        raw = payload.get(lim.component)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            continue
        value = to_canonical(vital, unit, float(raw))
        side = lim.breach(value)
        if side:
            out.append((lim.key, side, value))
    return out


# --- thresholds as events ------------------------------------------------------------

def parse_threshold(form: Mapping[str, Any]) -> dict:
    """One limit changed by a caregiver: ``limit`` (key), ``low``/``high`` as text
    (empty: no alert on that side), optional ``unit`` they are in, or ``reset``."""
    key = validation._text(form, "limit")
    base = DEFAULT_LIMITS.get(key)
    if base is None:
        raise FormErrors({"limit": "Choose which reading the alert is for."})
    if validation._text(form, "reset").lower() in ("1", "true", "yes", "on"):
        return {"limit": key, "reset": True}
    vital = VITALS[base.vital]
    unit_code = validation._text(form, "unit") or base.unit
    unit = vital.unit(unit_code)
    if unit is None:
        raise FormErrors({"unit": "Choose the unit from the list."})
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {"limit": key}
    for side in (LOW, HIGH):
        raw = validation._text(form, side)
        if not raw:
            payload[side] = None
            continue
        value = validation._number_in_range(form, side, f"The {'lower' if side == LOW else 'upper'} limit",
                                            unit.label, unit.low, unit.high, max(unit.decimals, 1), errors)
        if value is not None:
            payload[side] = to_canonical(base.vital, unit.ucum, float(value))
    if not errors and payload.get(LOW) is not None and payload.get(HIGH) is not None and payload[LOW] >= payload[HIGH]:
        errors[HIGH] = "The upper limit must be above the lower limit."
    if errors:
        raise FormErrors(errors)
    return payload


def limits_from(events: Iterable[Event], recipient: str | None = None) -> dict[str, Limit]:
    """The recipient's limits: the defaults, changed by ``threshold`` events (newest wins per limit)."""
    limits = dict(DEFAULT_LIMITS)
    newest: dict[str, Entry] = {}
    for entry in fold(e for e in events if e.kind == THRESHOLD).values():
        if recipient is not None and entry.recipient != recipient:
            continue
        key = entry.payload.get("limit")
        if key in limits and (key not in newest or entry.updated_hlc > newest[key].updated_hlc):
            newest[key] = entry
    for key, entry in newest.items():
        p = entry.payload
        if p.get("reset"):
            continue
        low, high = p.get(LOW), p.get(HIGH)
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in (low, high)):
            limits[key] = replace(limits[key], low=low, high=high)
    return limits


# --- alerts ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Alert:
    """Something that looks wrong. ``id`` is the same on every device for the same cause."""

    id: str
    rule: str
    recipient: str
    at: int              # when the cause happened
    noticed: int         # when its last cause was recorded (for "since you last looked")
    title: str
    detail: str = ""
    sources: tuple[str, ...] = ()  # entry ids it was derived from
    by: str = ""          # who recorded the cause
    level: str = "warning"  # "urgent" for a single reading out of range, else "warning"


def alert_id(rule: str, recipient: str, *cause: str) -> str:
    """A stable id from the alert's cause."""
    from hashlib import sha256  # noqa: PLC0415 - hashlib loads six hash modules: ~40 ms of a first start

    digest = sha256("\x1f".join((rule, recipient) + cause).encode()).hexdigest()
    return f"al-{digest[:24]}"


def _recorded(entry: Entry) -> int:
    return Stamp.decode(entry.created_hlc).wall


def reading_alerts(entry: Entry, limits: Mapping[str, Limit], tz: _dt.tzinfo | None = None) -> list[Alert]:
    """The alerts one vital reading raises at once."""
    if entry.kind != VITAL:
        return []
    vital = str(entry.payload.get("type", ""))
    out = []
    for key, side, value in breaches(limits, vital, entry.payload):
        lim = limits[key]
        bound = lim.high if side == HIGH else lim.low
        word = ("at or above" if lim.high_inclusive else "above") if side == HIGH else \
            ("at or below" if lim.low_inclusive else "below")
        title = (f"{lim.label} {validation._fmt(value, max(lim.decimals, 1))} {lim.unit_label} is {word} "
                 f"{validation._fmt(bound, 2)}")
        when = f" at {format_when(entry.at, tz)}" if tz is not None else ""
        out.append(Alert(alert_id(f"vital_{side}", entry.recipient, entry.id, key), f"vital_{side}",
                         entry.recipient, entry.at, _recorded(entry), title,
                         f"Recorded by {entry.created_by}{when}.", (entry.id,), entry.created_by, "urgent"))
    return out


def vital_alerts(events: Iterable[Event], limits: Mapping[str, Limit], tz: _dt.tzinfo | None = None) -> list[Alert]:
    """Every out-of-range reading among ``events``, newest first."""
    out = []
    for entry in fold(e for e in events if e.kind == VITAL).values():
        out.extend(reading_alerts(entry, limits, tz))
    out.sort(key=lambda a: (-a.at, a.id))
    return out


# --- acknowledgement --------------------------------------------------------------

@dataclass(frozen=True)
class Ack:
    """Who acknowledged an alert, and when."""

    alert: str
    by: str
    at: int
    entry_id: str
    note: str = ""


def parse_ack(form: Mapping[str, Any]) -> dict:
    """An ``alert_ack`` payload: ``alert`` (id) and an optional ``note`` (what was done)."""
    errors: dict[str, str] = {}
    alert = validation._text(form, "alert")
    if not alert.startswith("al-") or len(alert) > 40:
        errors["alert"] = "That alert is not known."
    note = validation._optional_text(form, "note", "The note", errors, limit=1000)
    if errors:
        raise FormErrors(errors)
    return {"alert": alert, "note": note} if note else {"alert": alert}


def acks_from(events: Iterable[Event]) -> dict[str, Ack]:
    """The first acknowledgement of each alert id (deleted acks left out)."""
    out: dict[str, Ack] = {}
    entries = sorted(fold(e for e in events if e.kind == ALERT_ACK).values(), key=lambda e: (e.at, e.created_hlc))
    for entry in entries:
        alert = entry.payload.get("alert")
        if isinstance(alert, str) and alert not in out:
            out[alert] = Ack(alert, entry.created_by, entry.at, entry.id, str(entry.payload.get("note", "") or ""))
    return out


@dataclass(frozen=True)
class AlertView:
    """An alert and its acknowledgement, if any."""

    alert: Alert
    ack: Ack | None = None

    @property
    def open(self) -> bool:
        return self.ack is None


def alert_list(alerts: Iterable[Alert], events: Iterable[Event]) -> list[AlertView]:
    """Alerts with their acks: open ones first, then newest first. Duplicate ids count once."""
    acks = acks_from(events)
    unique = {a.id: a for a in alerts}
    views = [AlertView(a, acks.get(a.id)) for a in unique.values()]
    views.sort(key=lambda v: (not v.open, -v.alert.at, v.alert.id))
    return views

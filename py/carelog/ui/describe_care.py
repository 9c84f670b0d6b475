"""Plain-language one-liners for the daily-care kinds in the timeline:
daily living, appointments and plan tasks done or skipped.

    >>> describe_daily_living({"category": "fluids", "amount_ml": 250, "drink": "Tea"})
    'Drinks: 250 mL of Tea'
    >>> describe_appointment({"title": "Heart clinic", "starts": "2026-03-05T14:30", "place": "City Hospital"})
    'Heart clinic, Thu 05 Mar 2026 14:30, at City Hospital'
    >>> describe_task({"name": "Reposition", "status": "skipped", "reason": "asleep"})
    'Reposition: Skipped (asleep)'
"""

from __future__ import annotations

import datetime as _dt

from ..domain import logbook
from ..domain.careplan import TASK_OUTCOMES

LABELS = {"daily_living": "Daily living", "appointment": "Appointment", "task": "Task"}


def _text(payload: dict, key: str) -> str:
    """A field as text; synced records may hold any JSON there."""
    value = payload.get(key)
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, str) else str(value) if isinstance(value, (int, float)) else ""


def _choice(options: dict, payload: dict, key: str) -> str:
    value = _text(payload, key)
    return options.get(value, value)


def describe_daily_living(payload: dict) -> str:
    """``Meals: Lunch, about half eaten``, ``Sleep: 7 hours, good``..."""
    cat = _text(payload, "category")
    label = logbook.CATEGORIES.get(cat, "Daily living")
    bits: list[str] = []
    if cat == "meals":
        bits = [_choice(logbook.MEALS, payload, "meal"),
                f"{_choice(logbook.PORTIONS, payload, 'portion')} eaten" if _text(payload, "portion") else ""]
    elif cat == "fluids":
        amount = _text(payload, "amount_ml")
        drink = _text(payload, "drink")
        bits = [(f"{amount} mL" if amount else "") + (f" of {drink}" if drink else "")]
    elif cat == "sleep":
        hours = _text(payload, "hours")
        bits = [f"{hours} hours" if hours else "", _choice(logbook.SLEEP_QUALITY, payload, "quality")]
    elif cat == "bowel":
        stool = _text(payload, "stool_type")
        bits = [f"type {stool}" if stool else "", _choice(logbook.CONTINENCE, payload, "continence")]
    elif cat == "bladder":
        bits = [_choice(logbook.CONTINENCE, payload, "continence")]
    elif cat == "mobility":
        bits = [_choice(logbook.MOBILITY, payload, "level")]
    elif cat == "fall":
        where = _text(payload, "where")
        bits = [_choice(logbook.INJURY, payload, "injury"), f"where: {where}" if where else ""]
    elif cat == "mood":
        bits = [_choice(logbook.MOODS, payload, "mood")]
    note = _text(payload, "note")
    detail = ", ".join(b for b in bits if b)
    text = f"{label}: {detail}" if detail else label
    if note:
        text += f" — {note if len(note) <= 100 else note[:99] + '…'}"
    return text


def describe_appointment(payload: dict) -> str:
    """``Heart clinic, Thu 05 Mar 2026 14:30, at City Hospital``."""
    title = _text(payload, "title") or "Appointment"
    starts = _text(payload, "starts")
    try:
        when = _dt.datetime.fromisoformat(starts).strftime("%a %d %b %Y %H:%M")
    except ValueError:
        when = ""
    place = _text(payload, "place")
    return ", ".join(p for p in (title, when, f"at {place}" if place else "") if p)


def describe_task(payload: dict) -> str:
    """``Reposition: Done``, ``Wound care: Skipped (asleep)``."""
    name = _text(payload, "name") or "Task"
    status = TASK_OUTCOMES.get(_text(payload, "status"), "Done")
    reason = _text(payload, "reason")
    return f"{name}: {status}" + (f" ({reason})" if reason else "")


DESCRIBE = {"daily_living": describe_daily_living, "appointment": describe_appointment, "task": describe_task}

"""More to log: daily living (kind ``daily_living``) and appointments (kind ``appointment``).

Daily living is one kind with a ``category``: meals, fluids, sleep, bowel,
bladder, mobility, fall, mood; each category has a few optional fields and a
note. Appointments keep their start as a **local** wall time in the
recipient's zone (``starts``: ``2024-05-30T14:30``), so they stay at 14:30
whatever zone the tablet is in; ``appointments`` splits them into upcoming and
past at an instant.

    >>> parse_daily_living({"category": "fluids", "amount_ml": "250", "drink": "Tea"})
    {'category': 'fluids', 'amount_ml': 250, 'drink': 'Tea'}
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from . import validation
from .events import Event
from .fold import Entry, fold
from .validation import FormErrors
from .zones import resolve

DAILY_LIVING, APPOINTMENT = "daily_living", "appointment"

CATEGORIES = {"meals": "Meals", "fluids": "Drinks", "sleep": "Sleep", "bowel": "Bowel", "bladder": "Bladder",
              "mobility": "Mobility", "fall": "Fall", "mood": "Mood"}
MEALS = {"breakfast": "Breakfast", "lunch": "Lunch", "dinner": "Dinner", "snack": "Snack"}
PORTIONS = {"none": "None", "some": "A little", "half": "About half", "most": "Most", "all": "All"}
SLEEP_QUALITY = {"good": "Good", "fair": "Fair", "poor": "Poor"}
CONTINENCE = {"continent": "Used the toilet", "incontinent": "Accident", "pad": "Pad / catheter"}
MOBILITY = {"independent": "On their own", "aid": "With a walking aid", "assisted": "With help",
            "chair": "Chair only", "bed": "In bed"}
INJURY = {"none": "No injury", "minor": "Minor injury", "serious": "Serious injury (get help)"}
MOODS = {"happy": "Happy", "calm": "Calm", "anxious": "Anxious", "low": "Low", "agitated": "Agitated",
         "confused": "Confused"}


def _optional_choice(form, key, label, options, errors, payload) -> None:
    if validation._text(form, key):
        payload[key] = validation._choice(form, key, label, options, errors)


def _optional_number(form, key, label, unit, low, high, decimals, errors, payload) -> None:
    if validation._text(form, key):
        value = validation._number_in_range(form, key, label, unit, low, high, decimals, errors)
        if value is not None:
            payload[key] = value


def parse_daily_living(form: Mapping[str, Any]) -> dict:
    """A daily-living entry from form text; raises FormErrors."""
    errors: dict[str, str] = {}
    category = validation._choice(form, "category", "What it is about", CATEGORIES, errors)
    if errors:
        raise FormErrors(errors)
    payload: dict[str, Any] = {"category": category}
    if category == "meals":
        _optional_choice(form, "meal", "The meal", MEALS, errors, payload)
        _optional_choice(form, "portion", "How much was eaten", PORTIONS, errors, payload)
    elif category == "fluids":
        payload["amount_ml"] = validation._number_in_range(form, "amount_ml", "The amount", "mL", 1, 5000, 0, errors)
        drink = validation._optional_text(form, "drink", "The drink", errors, limit=80)
        if drink:
            payload["drink"] = drink
    elif category == "sleep":
        _optional_number(form, "hours", "Hours of sleep", "hours", 0, 24, 1, errors, payload)
        _optional_choice(form, "quality", "How well they slept", SLEEP_QUALITY, errors, payload)
    elif category == "bowel":
        _optional_number(form, "stool_type", "The stool type (Bristol 1-7)", "", 1, 7, 0, errors, payload)
        _optional_choice(form, "continence", "Continence", CONTINENCE, errors, payload)
    elif category == "bladder":
        _optional_choice(form, "continence", "Continence", CONTINENCE, errors, payload)
    elif category == "mobility":
        _optional_choice(form, "level", "How they moved", MOBILITY, errors, payload)
    elif category == "fall":
        payload["injury"] = validation._choice(form, "injury", "Any injury", INJURY, errors, default="none")
        where = validation._optional_text(form, "where", "Where it happened", errors, limit=120)
        if where:
            payload["where"] = where
    elif category == "mood":
        payload["mood"] = validation._choice(form, "mood", "The mood", MOODS, errors)
    note = validation._optional_text(form, "note", "The note", errors)
    if note:
        payload["note"] = note
    if len(payload) == 1 and not errors:
        errors["note"] = "Add a detail or a note."
    if errors:
        raise FormErrors(errors)
    return payload


def parse_appointment(form: Mapping[str, Any]) -> dict:
    """An appointment: ``title``, ``starts`` (local ``YYYY-MM-DDTHH:MM``), optional
    ``place``, ``with_whom``, ``who_goes``, ``notes``; raises FormErrors."""
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {"title": validation._required_text(form, "title", "What the appointment is", errors)}
    starts = validation._text(form, "starts")
    try:
        moment = _dt.datetime.fromisoformat(starts) if starts else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is not None or not 2000 <= moment.year <= 2200:
        errors["starts"] = "Enter the date and time, like 2024-05-30 14:30."
    else:
        payload["starts"] = moment.isoformat(timespec="minutes")
    for key, label, limit in (("place", "The place", 200), ("with_whom", "Who it is with", 120),
                              ("who_goes", "Who goes", 120), ("notes", "The notes", 2000)):
        value = validation._optional_text(form, key, label, errors, limit=limit)
        if value:
            payload[key] = value
    if errors:
        raise FormErrors(errors)
    return payload


@dataclass(frozen=True)
class Appointment:
    """An appointment entry with its start as an instant in the recipient's zone."""

    entry: Entry
    starts: int

    @property
    def title(self) -> str:
        return str(self.entry.payload.get("title", ""))


def appointments(events: Iterable[Event], tz: _dt.tzinfo, now: int) -> tuple[list[Appointment], list[Appointment]]:
    """``(upcoming soonest first, past newest first)``; malformed ones left out."""
    upcoming, past = [], []
    for entry in fold(e for e in events if e.kind == APPOINTMENT).values():
        try:
            starts = resolve(_dt.datetime.fromisoformat(str(entry.payload.get("starts", ""))), tz)[0]
        except (ValueError, TypeError):
            continue
        (upcoming if starts >= now else past).append(Appointment(entry, starts))
    upcoming.sort(key=lambda a: (a.starts, a.entry.id))
    past.sort(key=lambda a: (-a.starts, a.entry.id))
    return upcoming, past

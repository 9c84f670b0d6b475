"""A rich sample care log for the interop tests, built through the domain's own
form parsers (so every payload is one the app could have stored). No tests here."""

from __future__ import annotations

import itertools

from carelog.domain import careplan, logbook, validation
from carelog.domain.events import DELETE, EDIT, Event
from carelog.domain.fold import fold
from carelog.domain.profile import parse_profile

BASE_MS = 1_717_000_000_000  # 2024-05-29T16:26:40Z
RECIPIENT = "rec-mary"

PROFILE_FORM = {
    "name": "Mary O'Brien", "birth_date": "1941-05-30", "timezone": "Europe/London",
    "conditions": "Heart failure\nType 2 diabetes\n=HYPERLINK(\"http://evil\")",
    "allergies": [{"substance": "Penicillin", "reaction": "Rash", "severity": "moderate"},
                  {"substance": "Peanuts", "reaction": "Throat swelling", "severity": "life_threatening"},
                  {"substance": "Latex", "severity": "unknown"},
                  {"substance": "Codeine", "reaction": "Nausea", "severity": "mild"},
                  {"substance": "Sulfa", "severity": "severe"}],
    "emergency_contacts": [{"name": "John O'Brien", "relationship": "Son", "phone": "+44 20 7946 0958",
                            "phone2": "07700 900123"},
                           {"name": "Ann Smith", "phone": "0161 496 0000"}],
    "care_team": [{"role": "GP", "name": "Dr Patel", "organisation": "High St Surgery", "phone": "020 7946 0000"},
                  {"role": "District nurse", "phone": "020 7946 0001 ext 12"}],
    "notes": "DNACPR form on the fridge",
}

MED_PLANS = [
    {"name": "Metformin", "strength": "500 mg", "dose": "1", "unit": "{tablet}", "route": "oral",
     "rxnorm": "860975", "start_date": "2024-01-01", "schedule": "daily", "times": "8:00, 20:00",
     "instructions": "With food"},
    {"name": "Bisoprolol", "strength": "2.5 mg", "dose": "2.5", "unit": "mg", "start_date": "2024-02-01",
     "end_date": "2024-12-31", "schedule": "weekdays", "weekdays": "mon, wed, fri", "times": "09:30",
     "window_minutes": "90"},
    {"name": "Insulin glargine", "dose": "12", "unit": "[iU]", "route": "subcutaneous",
     "start_date": "2024-03-01", "schedule": "interval", "every_hours": "12", "first_time": "07:00"},
    {"name": "Paracetamol", "strength": "500 mg", "dose": "2", "unit": "{tablet}", "start_date": "2024-01-01",
     "schedule": "prn", "min_interval_hours": "4", "max_per_day": "4"},
    {"name": "Eye drops", "dose": "1", "unit": "{drop}", "route": "eye", "start_date": "2024-01-01",
     "schedule": "daily", "every_days": "2", "times": "21:00"},
    {"name": "Laxido", "dose": "1", "start_date": "2024-01-01", "unit": "{application}", "route": "feeding_tube",
     "schedule": "prn", "min_interval_hours": "1.5", "max_per_day": "3"},
]
TASK_PLANS = [
    {"name": "Reposition", "start_date": "2024-01-01", "schedule": "interval", "every_hours": "2",
     "first_time": "06:00", "instructions": "Left, back, right"},
    {"name": "Weigh", "start_date": "2024-01-01", "schedule": "weekdays", "weekdays": "sun", "times": "08:00"},
]
VITALS = [
    {"type": "blood_pressure", "systolic": "142", "diastolic": "88", "note": "left arm"},
    {"type": "heart_rate", "value": "72"},
    {"type": "temperature", "value": "37.8"},
    {"type": "temperature", "unit": "[degF]", "value": "100.4"},
    {"type": "spo2", "value": "95"},
    {"type": "respiratory_rate", "value": "18"},
    {"type": "blood_glucose", "value": "126"},
    {"type": "blood_glucose", "unit": "mmol/L", "value": "7.1"},
    {"type": "weight", "value": "61.5"},
    {"type": "weight", "unit": "[lb_av]", "value": "135"},
    {"type": "height", "value": "160"},
    {"type": "pain", "value": "3"},
]
DAILY = [
    {"category": "meals", "meal": "lunch", "portion": "most"},
    {"category": "fluids", "amount_ml": "250", "drink": "Tea"},
    {"category": "sleep", "hours": "6.5", "quality": "poor"},
    {"category": "bowel", "stool_type": "4", "continence": "continent"},
    {"category": "bladder", "continence": "pad"},
    {"category": "mobility", "level": "aid"},
    {"category": "fall", "injury": "minor", "where": "Bathroom", "note": "Found on floor"},
    {"category": "mood", "mood": "anxious", "note": "@SUM(A1) asked about John"},
]


class Builder:
    """Makes events with increasing clock stamps, like one or two devices would."""

    def __init__(self, recipient: str = RECIPIENT):
        self.recipient = recipient
        self.events: list[Event] = []
        self._n = itertools.count(1)
        self._t = itertools.count(0)

    def _hlc(self, device: str) -> str:
        return f"{BASE_MS + next(self._t) * 60_000:013d}-000000-{device}"

    def create(self, kind: str, payload: dict, at: int | None = None, author: str = "Ann",
               device: str = "dev-a") -> Event:
        ident = f"{self.recipient}-{kind}-{next(self._n)}"
        event = Event.create(id=ident, recipient=self.recipient, kind=kind,
                             at=BASE_MS + next(self._t) * 60_000 if at is None else at,
                             payload=payload, author=author, device=device, hlc=self._hlc(device))
        self.events.append(event)
        return event

    def revise(self, entry: Event, payload: dict | None, author: str = "Bob", device: str = "dev-b") -> Event:
        heads = fold(e for e in self.events if e.entry == entry.entry)[entry.entry].head_ids
        event = Event(id=f"{self.recipient}-rev-{next(self._n)}", recipient=self.recipient, kind=entry.kind, entry=entry.entry,
                      op=EDIT if payload is not None else DELETE, revises=heads, at=entry.at,
                      payload=payload or {}, author=author, device=device, hlc=self._hlc(device))
        self.events.append(event)
        return event


def rich_sample(recipient: str = RECIPIENT) -> Builder:
    """Every kind the exports know, edits and a delete included."""
    b = Builder(recipient)
    b.events.append(Event.create(id=recipient, recipient=recipient, kind="recipient", at=BASE_MS,
                                 payload={"name": "Mary"}, author="Ann", device="dev-a",
                                 hlc=f"{BASE_MS - 1:013d}-000000-dev-a"))
    b.create("profile", parse_profile(PROFILE_FORM))
    plans = [b.create("med_plan", careplan.parse_med_plan(f)) for f in MED_PLANS]
    for form in TASK_PLANS:
        b.create("task_plan", careplan.parse_task_plan(form))
    items = careplan.plan_items(b.events)
    metformin = next(i for i in items if i.name == "Metformin")
    b.create("medication", careplan.parse_planned_dose(metformin, "2024-05-29T08:00", {}))
    b.create("medication", careplan.parse_planned_dose(metformin, "2024-05-29T20:00",
                                                       {"status": "refused", "reason": "Felt sick"}), author="Bob",
             device="dev-b")
    b.create("medication", validation.parse_medication({"name": "Aspirin", "status": "skipped",
                                                        "reason": "-Out of stock"}))
    b.create("medication", validation.parse_medication({"name": "Paracetamol", "dose": "1", "unit": "{tablet}",
                                                        "route": "oral", "note": "for headache"}))
    for form in VITALS:
        b.create("vital", validation.parse_vital(form))
    b.create("symptom", validation.parse_symptom({"name": "Breathless", "severity": "6", "note": "on stairs"}))
    b.create("symptom", validation.parse_symptom({"name": "Dizzy", "severity": "0"}))
    for form in DAILY:
        b.create("daily_living", logbook.parse_daily_living(form))
    note = b.create("note", validation.parse_note({"text": "+1 visitor; slept well, 日本語 ok"}))
    b.revise(note, validation.parse_note({"text": "+1 visitor; slept well, 日本語 ok (edited)"}))
    gone = b.create("note", validation.parse_note({"text": "typo entry"}))
    b.revise(gone, None)
    b.create("appointment", logbook.parse_appointment({"title": "Cardiology review", "starts": "2024-06-03T14:30",
                                                       "place": "St Thomas' Hospital", "with_whom": "Dr Jones",
                                                       "who_goes": "John", "notes": "Bring the BP diary"}))
    b.create("appointment", logbook.parse_appointment({"title": "Dentist", "starts": "2024-12-01T09:00"}))
    reposition = next(i for i in careplan.plan_items(b.events) if i.name == "Reposition")
    b.create("task", careplan.parse_task_record(reposition, "2024-05-29T08:00", {}))
    b.create("task", careplan.parse_task_record(reposition, "2024-05-29T10:00",
                                                {"status": "skipped", "reason": "Asleep"}))
    assert plans
    return b

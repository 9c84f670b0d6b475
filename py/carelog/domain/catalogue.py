"""What caregivers can record: vital signs with their codes, units and limits,
medication units, routes and outcomes.

Vital signs carry LOINC codes and UCUM units so that exports are clean FHIR.
Limits are what is physically possible for a living person, used to refuse
typing mistakes (a systolic of 900); they are not clinical thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """A unit a value may be entered in."""

    ucum: str          # the UCUM code, e.g. "mm[Hg]"
    label: str         # what a caregiver reads, e.g. "mmHg"
    low: float         # lowest possible value in this unit
    high: float        # highest possible value in this unit
    decimals: int = 0  # how many decimals are kept


@dataclass(frozen=True)
class Component:
    """One number of a vital sign (blood pressure has two)."""

    key: str
    label: str
    loinc: str


@dataclass(frozen=True)
class VitalType:
    """A kind of vital sign reading."""

    key: str
    label: str
    loinc: str
    loinc_display: str
    units: tuple[Unit, ...]
    components: tuple[Component, ...]

    @property
    def default_unit(self) -> Unit:
        """The unit a form offers first."""
        return self.units[0]

    def unit(self, ucum: str) -> Unit | None:
        """The unit with this UCUM code, if this vital allows it."""
        return next((u for u in self.units if u.ucum == ucum), None)


def _single(key, label, loinc, display, *units):
    return VitalType(key, label, loinc, display, tuple(units), (Component("value", label, loinc),))


VITALS: dict[str, VitalType] = {v.key: v for v in (
    VitalType("blood_pressure", "Blood pressure", "85354-9", "Blood pressure panel with all children optional",
              (Unit("mm[Hg]", "mmHg", 20, 300),),
              (Component("systolic", "Systolic (top number)", "8480-6"),
               Component("diastolic", "Diastolic (bottom number)", "8462-4"))),
    _single("heart_rate", "Heart rate", "8867-4", "Heart rate", Unit("/min", "beats per minute", 20, 300)),
    _single("temperature", "Temperature", "8310-5", "Body temperature",
            Unit("Cel", "°C", 25, 45, 1), Unit("[degF]", "°F", 77, 113, 1)),
    _single("spo2", "Oxygen (SpO2)", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry",
            Unit("%", "%", 50, 100)),
    _single("respiratory_rate", "Breathing rate", "9279-1", "Respiratory rate",
            Unit("/min", "breaths per minute", 2, 80)),
    _single("blood_glucose", "Blood sugar", "2339-0", "Glucose [Mass/volume] in Blood",
            Unit("mg/dL", "mg/dL", 10, 1000), Unit("mmol/L", "mmol/L", 0.5, 55, 1)),
    _single("weight", "Weight", "29463-7", "Body weight",
            Unit("kg", "kg", 0.5, 400, 1), Unit("[lb_av]", "lb", 1, 880, 1)),
    _single("height", "Height", "8302-2", "Body height",
            Unit("cm", "cm", 20, 250, 1), Unit("[in_i]", "in", 8, 100, 1)),
    _single("pain", "Pain (0-10)", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
            Unit("{score}", "out of 10", 0, 10)),
)}

# Blood sugar is coded by unit: mass (2339-0) or molar (15074-8) concentration.
GLUCOSE_LOINC_BY_UNIT = {"mg/dL": "2339-0", "mmol/L": "15074-8"}

MEDICATION_UNITS: dict[str, str] = {
    "mg": "mg", "ug": "mcg", "g": "g", "mL": "mL", "{tablet}": "tablet(s)",
    "{capsule}": "capsule(s)", "{drop}": "drop(s)", "{puff}": "puff(s)",
    "[iU]": "units", "{patch}": "patch(es)", "{application}": "application(s)",
}

ROUTES: dict[str, str] = {
    "oral": "By mouth", "sublingual": "Under the tongue", "inhaled": "Inhaled",
    "subcutaneous": "Injection under the skin", "intramuscular": "Injection into muscle",
    "intravenous": "Into a vein (IV)", "topical": "On the skin", "transdermal": "Patch",
    "eye": "Eye drops", "ear": "Ear drops", "nasal": "Nose", "rectal": "Rectal",
    "feeding_tube": "Feeding tube", "other": "Other",
}

GIVEN, SKIPPED, REFUSED = "given", "skipped", "refused"
MEDICATION_OUTCOMES: dict[str, str] = {GIVEN: "Given", SKIPPED: "Skipped", REFUSED: "Refused"}

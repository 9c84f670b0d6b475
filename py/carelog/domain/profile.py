"""The care recipient's profile: what a paramedic needs on one screen.

A ``profile`` entry per recipient (kind ``profile``; edits are new events):
name, date of birth, the recipient's time zone (an IANA name: the zone every
schedule of the plan lives in), conditions, allergies (substance, reaction,
severity) or "no known allergies", emergency contacts and care-team
contacts (role, phone), and notes (e.g. "DNACPR form on the fridge").

Lists arrive from a form either as a list of dicts of text or as flat fields
``allergies.0.substance``; errors come back under the same flat names, so a
view can put each message next to its input. Blank rows are ignored.

    >>> p = parse_profile({"name": "Mary", "timezone": "UTC", "conditions": "Heart failure\\nType 2 diabetes",
    ...                    "allergies": [{"substance": "Penicillin", "reaction": "Rash", "severity": "moderate"}]})
    >>> p["conditions"], p["allergies"][0]["severity"]
    (['Heart failure', 'Type 2 diabetes'], 'moderate')
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from . import validation
from .careplan import PlanItem
from .events import Event
from .fold import Entry, fold
from .validation import FormErrors
from .zones import UnknownZone, ZoneLookup, zone

PROFILE = "profile"
SEVERITIES = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe",
              "life_threatening": "Life-threatening (anaphylaxis)", "unknown": "Not known"}
MAX_ROWS = 30
_PHONE = re.compile(r"\+?[0-9 ()./\-]+((\s*(ext\.?|x)\s*[0-9]{1,6})?)", re.IGNORECASE)
_FLAT = re.compile(r"([a-z_]+)\.(\d{1,3})\.([a-z_0-9]+)")


def rows(form: Mapping[str, Any], prefix: str) -> list[tuple[int, dict]]:
    """The rows of a repeated group: ``form[prefix]`` as a list of dicts, or the
    flat fields ``prefix.N.field``; as ``(N, row)`` pairs, blank rows left out."""
    value = form.get(prefix)
    found: dict[int, dict] = {}
    if isinstance(value, (list, tuple)):
        found = {i: dict(r) for i, r in enumerate(value) if isinstance(r, Mapping)}
    else:
        for key, text in form.items():
            match = _FLAT.fullmatch(str(key))
            if match and match[1] == prefix:
                found.setdefault(int(match[2]), {})[match[3]] = text
    return [(i, r) for i, r in sorted(found.items()) if any(str(v or "").strip() for v in r.values())]


def parse_phone(text: Any) -> str | None:
    """A phone number as people write it (``+44 20 7946 0958``, ``(555) 123-4567 ext 2``,
    ``112``), tidied; None if it cannot be one."""
    text = " ".join(str(text or "").split())
    if not text or len(text) > 40 or not _PHONE.fullmatch(text):
        return None
    digits = sum(c.isdigit() for c in text)
    return text if 3 <= digits <= 20 and "+" not in text[1:] else None


def _lines(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        parts = [str(v) for v in value]
    else:
        parts = str(value or "").splitlines()
    return [" ".join(p.split()) for p in parts if p.strip()]


def _row_text(row: Mapping, key: str, label: str, field: str, errors: dict, required: bool, limit: int) -> str:
    sub: dict[str, str] = {}
    if required:
        value = validation._required_text(row, key, label, sub, limit=limit)
    else:
        value = validation._optional_text(row, key, label, sub, limit=limit)
    if key in sub:
        errors[field] = sub[key]
    return value


def _contacts(form: Mapping, prefix: str, errors: dict, role_needed: bool) -> list[dict]:
    out = []
    found = rows(form, prefix)
    if len(found) > MAX_ROWS:
        errors[prefix] = f"Keep the list under {MAX_ROWS} people."
    for i, row in found[:MAX_ROWS]:
        at = f"{prefix}.{i}."
        contact: dict[str, Any] = {}
        if role_needed:
            contact["role"] = _row_text(row, "role", "Their role (like GP or district nurse)", at + "role",
                                        errors, True, 80)
        contact["name"] = _row_text(row, "name", "The name", at + "name", errors, not role_needed, 120)
        if not role_needed:
            relationship = _row_text(row, "relationship", "The relationship", at + "relationship", errors, False, 80)
            if relationship:
                contact["relationship"] = relationship
        else:
            org = _row_text(row, "organisation", "The organisation", at + "organisation", errors, False, 120)
            if org:
                contact["organisation"] = org
        for key, needed in (("phone", True), ("phone2", False)):
            raw = validation._text(row, key)
            if not raw:
                if needed:
                    errors[at + key] = "A phone number is needed."
                continue
            phone = parse_phone(raw)
            if phone is None:
                errors[at + key] = "Enter a phone number using digits, spaces, + ( ) and -, like +44 20 7946 0958."
            else:
                contact[key] = phone
        out.append({k: v for k, v in contact.items() if v != ""})
    return out


def parse_profile(form: Mapping[str, Any], lookup: ZoneLookup | None = None,
                  today: _dt.date | None = None) -> dict:
    """The profile from form text; raises FormErrors (flat field names)."""
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {"name": validation._required_text(form, "name", "The name", errors)}
    birth = validation._text(form, "birth_date")
    if birth:
        if not validation._is_iso_date(birth):
            errors["birth_date"] = "Enter the date of birth as year-month-day, like 1941-05-30."
        elif today is not None and _dt.date.fromisoformat(birth) > today:
            errors["birth_date"] = "The date of birth is in the future. Check the year."
        else:
            payload["birth_date"] = birth
    tz_name = validation._text(form, "timezone")
    if not tz_name:
        errors["timezone"] = "Choose the time zone where they live."
    else:
        try:
            zone(tz_name, lookup)
            payload["timezone"] = tz_name
        except UnknownZone:
            errors["timezone"] = "That time zone is not known. Choose one from the list, like Europe/London."

    conditions = _lines(form.get("conditions", ""))
    if len(conditions) > 50 or any(len(c) > 200 for c in conditions):
        errors["conditions"] = "Keep conditions to 50 lines of under 200 characters."
    payload["conditions"] = conditions

    allergies = []
    found = rows(form, "allergies")
    if len(found) > MAX_ROWS:
        errors["allergies"] = f"Keep the list under {MAX_ROWS} allergies."
    for i, row in found[:MAX_ROWS]:
        if not any(validation._text(row, k) for k in ("substance", "reaction")) \
                and validation._text(row, "severity") in ("", "unknown"):
            continue  # the form's spare row: its severity list starts at "Not known"
        at = f"allergies.{i}."
        allergy = {"substance": _row_text(row, "substance", "What they are allergic to", at + "substance",
                                          errors, True, 120)}
        reaction = _row_text(row, "reaction", "The reaction", at + "reaction", errors, False, 200)
        if reaction:
            allergy["reaction"] = reaction
        severity = validation._text(row, "severity") or "unknown"
        if severity not in SEVERITIES:
            errors[at + "severity"] = "Choose how severe from the list."
        allergy["severity"] = severity
        allergies.append(allergy)
    payload["allergies"] = allergies
    nka = validation._text(form, "no_known_allergies").lower() in ("1", "true", "yes", "on")
    if nka and allergies:
        errors["no_known_allergies"] = "Either tick 'No known allergies' or list the allergies, not both."
    if nka:
        payload["no_known_allergies"] = True

    payload["emergency_contacts"] = _contacts(form, "emergency_contacts", errors, role_needed=False)
    payload["care_team"] = _contacts(form, "care_team", errors, role_needed=True)
    notes = validation._optional_text(form, "notes", "The notes", errors, limit=2000)
    if notes:
        payload["notes"] = notes
    if errors:
        raise FormErrors(errors)
    return payload


def current_profile(events: Iterable[Event], recipient: str) -> tuple[Entry | None, list[Entry]]:
    """The recipient's profile and any others (two devices each made one before
    syncing): the first made is the profile; the rest are for a caregiver to merge."""
    found = [e for e in fold(ev for ev in events if ev.kind == PROFILE).values() if e.recipient == recipient]
    found.sort(key=lambda e: (e.created_hlc, e.id))
    return (found[0] if found else None), found[1:]


def profile_zone(profile: Mapping[str, Any] | None, lookup: ZoneLookup | None = None,
                 fallback: str = "UTC") -> _dt.tzinfo:
    """The tzinfo of the profile's zone (``fallback`` when none is set or it is unknown)."""
    name = (profile or {}).get("timezone") or fallback
    try:
        return zone(name, lookup)
    except UnknownZone:
        return zone(fallback, lookup)


def age_on(birth: _dt.date, day: _dt.date) -> int:
    """Whole years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class Section:
    """One block of the emergency sheet."""

    title: str
    lines: tuple[str, ...]


def emergency_sheet(profile: Mapping[str, Any], today: _dt.date, plan: Iterable[PlanItem] = ()) -> list[Section]:
    """The one-screen summary for a paramedic, in the order they need it."""
    name = str(profile.get("name", ""))
    who = [name]
    if profile.get("birth_date"):
        birth = _dt.date.fromisoformat(profile["birth_date"])
        who.append(f"Born {birth:%d %b %Y} (age {age_on(birth, today)})")
    allergies = profile.get("allergies") or []
    if allergies:
        allergy_lines = tuple(
            f"{a.get('substance', '')}: {SEVERITIES.get(a.get('severity', 'unknown'), 'Not known').lower()}"
            + (f" ({a['reaction']})" if a.get("reaction") else "") for a in allergies)
    elif profile.get("no_known_allergies"):
        allergy_lines = ("No known allergies",)
    else:
        allergy_lines = ("Allergies not recorded",)
    meds = tuple(f"{i.label} — {i.when}" for i in plan if i.is_medication and i.active_on(today))
    sections = [Section("Person", tuple(who)), Section("Allergies", allergy_lines),
                Section("Conditions", tuple(profile.get("conditions") or ()) or ("None recorded",)),
                Section("Medications", meds or ("None in the care plan",))]
    contacts = tuple(f"{c.get('name', '')}" + (f" ({c['relationship']})" if c.get("relationship") else "")
                     + f": {c.get('phone', '')}" + (f" or {c['phone2']}" if c.get("phone2") else "")
                     for c in profile.get("emergency_contacts") or ())
    sections.append(Section("Emergency contacts", contacts or ("None recorded",)))
    team = tuple(f"{c.get('role', '')}: " + ", ".join(x for x in (c.get("name"), c.get("organisation")) if x)
                 + f" — {c.get('phone', '')}" for c in profile.get("care_team") or ())
    if team:
        sections.append(Section("Care team", team))
    if profile.get("notes"):
        sections.append(Section("Important notes", (str(profile["notes"]),)))
    return sections


# --- two versions of the profile: compare and merge ---------------------------------
#
# Two devices may each make a profile before they sync (two profile entries), or
# two caregivers may change the one profile at the same time (one entry in
# conflict). Either way a caregiver sees the versions field by field and keeps
# one, or takes each field from the version that has it right.

# The fields compared and merged, in the order a caregiver reads them: (label, payload keys).
# Allergies carry "no known allergies" with them: the two only make sense together.
MERGE_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("Name", ("name",)),
    "birth_date": ("Date of birth", ("birth_date",)),
    "conditions": ("Conditions", ("conditions",)),
    "allergies": ("Allergies", ("allergies", "no_known_allergies")),
    "emergency_contacts": ("Emergency contacts", ("emergency_contacts",)),
    "care_team": ("Care team", ("care_team",)),
    "timezone": ("Time zone", ("timezone",)),
    "notes": ("Important notes", ("notes",)),
}


@dataclass(frozen=True)
class ProfileVersion:
    """One version of the profile a caregiver can keep: the payload of a live
    head of a profile entry, who wrote it and when (its clock stamp)."""

    entry_id: str
    event_id: str
    payload: Mapping[str, Any]
    author: str
    hlc: str


def _blank(value: Any) -> Any:
    """Missing, empty text, an empty list and False all mean "not recorded"."""
    return None if value in (None, "", [], (), False, {}) else value


def field_value(payload: Mapping[str, Any], name: str) -> tuple:
    """What a version says for one merge field, comparable across versions."""
    return tuple(_blank(payload.get(key)) for key in MERGE_FIELDS[name][1])


def differing_fields(versions: Iterable[Mapping[str, Any]]) -> list[str]:
    """The merge fields on which the versions do not all agree, in screen order.

    >>> differing_fields([{"name": "Mary", "conditions": []}, {"name": "Mary"}])
    []
    >>> differing_fields([{"name": "Mary"}, {"name": "Mary S", "timezone": "UTC"}])
    ['name', 'timezone']
    """
    payloads = list(versions)
    return [name for name in MERGE_FIELDS
            if len({repr(field_value(p, name)) for p in payloads}) > 1]


def merge_profiles(versions: list[Mapping[str, Any]], choice: Mapping[str, int]) -> dict:
    """One payload taking each merge field from the version ``choice`` names
    (by index; a field not named comes from the first version). Keys outside
    the merge fields (written by a newer carelog) come from the first version.
    Raises ValueError for a choice of a version that is not there.

    >>> merged = merge_profiles([{"name": "Mary", "timezone": "UTC"},
    ...                          {"name": "Mary Smith", "timezone": "Europe/London"}], {"name": 1})
    >>> merged["name"], merged["timezone"]
    ('Mary Smith', 'UTC')
    """
    if not versions:
        raise ValueError("no version to merge")
    unknown = set(choice) - set(MERGE_FIELDS)
    if unknown:
        raise ValueError(f"not a field of the profile: {sorted(unknown)}")
    merged: dict[str, Any] = {k: v for k, v in versions[0].items()
                              if not any(k in keys for _label, keys in MERGE_FIELDS.values())}
    for name, (_label, keys) in MERGE_FIELDS.items():
        index = choice.get(name, 0)
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(versions):
            raise ValueError(f"no version {index!r} to take the {name} from")
        source = versions[index]
        for key in keys:
            if _blank(source.get(key)) is not None:
                merged[key] = source[key]
            elif key in ("conditions", "allergies", "emergency_contacts", "care_team"):
                merged[key] = []
    return merged


def _written_by(head: Event, by_id: Mapping[str, Event]) -> Event:
    """The earliest event, back along ``head``'s revisions, that wrote the same
    payload: an Undo copies a version back, and the version is still the
    caregiver's who wrote it."""
    same, seen, todo = [], set(), list(head.revises)
    while todo:
        event = by_id.get(todo.pop())
        if event is None or event.id in seen:
            continue
        seen.add(event.id)
        todo += event.revises
        if event.op != "delete" and event.payload == head.payload:
            same.append(event)
    return min(same, key=lambda e: (e.hlc, e.id)) if same else head


def profile_versions(events: Iterable[Event], recipient: str) -> list[ProfileVersion]:
    """Every version of the recipient's profile a caregiver could keep, oldest
    profile entry first (the one ``current_profile`` shows), each entry's
    conflicting heads newest first. One version: nothing to choose. A version
    names who wrote its content (not who brought it back with Undo)."""
    events = [e for e in events if e.kind == PROFILE and e.recipient == recipient]
    by_id = {e.id: e for e in events}
    first, others = current_profile(events, recipient)
    found: list[ProfileVersion] = []
    for entry in ([first] if first else []) + others:
        heads = [h for h in entry.conflict if h.op != "delete"] if entry.in_conflict else [by_id[entry.head_ids[0]]]
        for head in heads:
            origin = _written_by(head, by_id)
            found.append(ProfileVersion(entry.id, head.id, head.payload, origin.author, origin.hlc))
    return found


def versions_token(versions: Iterable[ProfileVersion]) -> str:
    """The versions a screen showed, as text (a merge checks nothing changed since)."""
    return ",".join(v.event_id for v in versions)

"""CSV export: one file per kind of entry, ready for a spreadsheet.

- UTF-8 with a byte-order mark (so Excel reads accents and non-Latin text),
  comma-separated, CRLF line ends, every text cell quoted when needed;
- times in ISO 8601 with the recipient's UTC offset (``2024-05-29T17:26:40+01:00``);
- safe against formula injection: a text cell starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading ``'``, so a
  spreadsheet shows it as text instead of running it. Numbers we wrote
  ourselves are left as numbers.

Columns: ``entry_id``, ``time``, ``recorded_by``, ``recorded_at``, ``edited``,
``in_conflict``, then the kind's fields (known ones first, in a fixed order).

    >>> from carelog.domain.events import Event
    >>> e = Event.create(id="n1", recipient="r1", kind="note", at=0, payload={"text": "=1+1"},
    ...                  author="Ann", device="d1", hlc="0000000000000-000000-d1")
    >>> files = csv_files([e], "r1")
    >>> files["notes.csv"].decode("utf-8-sig").splitlines()[1]
    "n1,1970-01-01T00:00:00+00:00,Ann,1970-01-01T00:00:00+00:00,no,no,'=1+1"
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable

from ..domain.events import Event
from ..domain.hlc import Stamp
from ..domain.schedule import describe, schedule_from_payload
from .common import gather, iso_time

FILE_NAMES = {
    "medication": "doses.csv", "vital": "vitals.csv", "symptom": "symptoms.csv", "note": "notes.csv",
    "daily_living": "daily_living.csv", "appointment": "appointments.csv", "task": "tasks.csv",
    "med_plan": "plan_medications.csv", "task_plan": "plan_tasks.csv",
}
FIELD_ORDER = {
    "medication": ["name", "status", "dose", "unit", "route", "reason", "note", "plan_item", "slot"],
    "vital": ["type", "value", "systolic", "diastolic", "unit", "loinc", "note"],
    "symptom": ["name", "severity", "note"],
    "note": ["text"],
    "daily_living": ["category", "meal", "portion", "amount_ml", "drink", "hours", "quality", "stool_type",
                     "continence", "level", "injury", "where", "mood", "note"],
    "appointment": ["title", "starts", "place", "with_whom", "who_goes", "notes"],
    "task": ["name", "status", "reason", "note", "plan_item", "slot"],
    "med_plan": ["name", "strength", "dose", "unit", "route", "rxnorm", "start_date", "end_date", "schedule",
                 "schedule_words", "window_minutes", "instructions"],
    "task_plan": ["name", "start_date", "end_date", "schedule", "schedule_words", "window_minutes",
                  "instructions"],
}
HEAD = ["entry_id", "time", "recorded_by", "recorded_at", "edited", "in_conflict"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as it is: text that could start a formula gets a ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def _rows(kind: str, entries: list, tz) -> tuple[list[str], list[list[Any]]]:
    known = FIELD_ORDER.get(kind, [])
    extra = sorted({k for e in entries for k in e.payload} - set(known))
    present = {k for e in entries for k in e.payload}
    if kind.endswith("_plan"):
        present.add("schedule_words")
    columns = [k for k in known if k in present] + extra
    rows = []
    for entry in entries:
        payload = dict(entry.payload)
        if kind.endswith("_plan"):
            try:
                payload["schedule_words"] = describe(schedule_from_payload(payload.get("schedule")))
            except (ValueError, TypeError):
                payload["schedule_words"] = ""
        head = [entry.id, iso_time(entry.at, tz), entry.created_by,
                iso_time(Stamp.decode(entry.created_hlc).wall, tz), entry.edited, entry.in_conflict]
        rows.append([safe_cell(v) for v in head] + [safe_cell(payload.get(c)) for c in columns])
    return HEAD + columns, rows


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    """CSV bytes: UTF-8 with BOM, CRLF, minimal quoting."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def csv_files(events: Iterable[Event], recipient: str) -> dict[str, bytes]:
    """``{file name: CSV bytes}``: one file per kind the recipient has entries of
    (current versions; deleted entries left out), oldest first."""
    data = gather(events, recipient)
    files = {}
    for kind in sorted(data.by_kind, key=lambda k: (k not in FILE_NAMES, FILE_NAMES.get(k, k))):
        entries = data.entries(kind)
        if not entries:
            continue
        name = FILE_NAMES.get(kind, f"{kind}.csv")
        header, rows = _rows(kind, entries, data.tz)
        files[name] = to_csv(header, rows)
    return files

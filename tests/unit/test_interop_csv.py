"""CSV export: one file per kind, UTF-8 with BOM, ISO 8601 times with offset,
and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_interop_helpers import RECIPIENT, rich_sample

from carelog.interop.csv_export import csv_files, safe_cell, to_csv


@pytest.fixture(scope="module")
def files():
    return csv_files(rich_sample().events, RECIPIENT)


def _read(body: bytes) -> list[dict]:
    assert body.startswith(b"\xef\xbb\xbf")
    text = body[3:].decode("utf-8")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_one_file_per_kind(files):
    assert set(files) == {"doses.csv", "vitals.csv", "symptoms.csv", "notes.csv", "daily_living.csv",
                          "appointments.csv", "tasks.csv", "plan_medications.csv", "plan_tasks.csv"}
    assert len(_read(files["vitals.csv"])) == 12
    assert len(_read(files["doses.csv"])) == 4
    assert len(_read(files["notes.csv"])) == 1  # the deleted note is left out


def test_times_are_iso_8601_with_offset(files):
    for row in _read(files["vitals.csv"]):
        assert row["time"].endswith("+01:00") and row["time"][10] == "T"
        assert row["recorded_at"].endswith("+01:00")


def test_values_and_who_recorded(files):
    bp = next(r for r in _read(files["vitals.csv"]) if r["type"] == "blood_pressure")
    assert (bp["systolic"], bp["diastolic"], bp["unit"], bp["loinc"], bp["note"]) == \
        ("142", "88", "mm[Hg]", "85354-9", "left arm")
    refused = next(r for r in _read(files["doses.csv"]) if r["status"] == "refused")
    assert refused["recorded_by"] == "Bob" and refused["reason"] == "Felt sick"
    note = _read(files["notes.csv"])[0]
    assert note["edited"] == "yes" and "日本語" in note["text"]
    plan = {r["name"]: r for r in _read(files["plan_medications.csv"])}
    assert plan["Metformin"]["schedule_words"] == "Every day at 08:00 and 20:00"


def test_formula_injection_is_neutralised(files):
    skipped = next(r for r in _read(files["doses.csv"]) if r["status"] == "skipped")
    assert skipped["reason"] == "'-Out of stock"
    mood = next(r for r in _read(files["daily_living.csv"]) if r["category"] == "mood")
    assert mood["note"].startswith("'@SUM")
    assert _read(files["notes.csv"])[0]["text"].startswith("'+1 visitor")
    for body in files.values():
        for row in csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@given(st.text(max_size=40))
def test_safe_cell_never_starts_a_formula(text):
    cell = safe_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (text, "'" + text)
    back = list(csv.reader(io.StringIO(to_csv(["a"], [[cell]])[3:].decode("utf-8"), newline="")))
    assert back[1] == [cell]


def test_numbers_stay_numbers():
    assert safe_cell(-5) == -5 and safe_cell(1.5) == 1.5 and safe_cell(True) == "yes" and safe_cell(None) == ""
    assert safe_cell({"kind": "prn"}) == '{"kind":"prn"}'

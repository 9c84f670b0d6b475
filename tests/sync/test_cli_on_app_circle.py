"""The care team's command-line tool on a circle written by the app in Chromium.

Two devices share an end-to-end encrypted circle on a real nginx WebDAV
endpoint: Ann records a blood pressure, a symptom and a note, Bea joins and
records a note (with script and formula payloads), both sync. Then
``python -m carelog`` runs as a separate CPython process, once on nginx's
folder on disk and once on the endpoint's URL, with the circle passphrase, and
its FHIR Bundle and CSV files hold exactly the entries the devices hold: the
same entry ids, the same values, who recorded each. A wrong passphrase stops
it with a plain message and exit code 1.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from ..browser.helpers import REPO, setup_person, wait_for_toast, wait_ready, wait_screen
from .devices import RECIPIENT, add_note, set_up_sync, state, sync_until_clean, welcome

pytestmark = [pytest.mark.sync, pytest.mark.browser]

PASSPHRASE = "a long circle passphrase for the team"
BEA_NOTE = '=HYPERLINK("x") <script type="py">print(1)</script>'
LOG_KINDS = ("vital", "symptom", "note", "medication")


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "py")}
    env.pop("CARELOG_PASSPHRASE", None)
    return subprocess.run([sys.executable, "-m", "carelog", *args], capture_output=True, env=env, timeout=300,
                          cwd=REPO)


def _log_vital(page, systolic: str, diastolic: str) -> None:
    page.click("main a.log-button[data-kind=vital]")
    page.click("main a.log-button[data-vital=blood_pressure]")
    page.fill("[name=systolic]", systolic)
    page.fill("[name=diastolic]", diastolic)
    page.click("form[data-form='log:vital'] button[type=submit]")
    wait_for_toast(page, "Saved")
    wait_screen(page, RECIPIENT)


def _log_symptom(page, name: str, severity: str) -> None:
    page.click("main a.log-button[data-kind=symptom]")
    page.fill("#f-name", name)
    page.fill("#f-severity", severity)
    page.click("form[data-form='log:symptom'] button[type=submit]")
    wait_for_toast(page, "Saved")
    wait_screen(page, RECIPIENT)


def test_the_cli_exports_exactly_what_the_app_recorded(nginx, make_device, tmp_path):
    a = make_device()
    setup_person(a, "Ann", RECIPIENT)
    _log_vital(a, "152", "96")
    _log_symptom(a, "Dizzy", "4")
    add_note(a, "Ate half of lunch")
    set_up_sync(a, nginx.endpoint, PASSPHRASE, create=True)
    b = make_device()
    welcome(b, "Bea")
    set_up_sync(b, nginx.endpoint, PASSPHRASE)
    b.reload()
    wait_ready(b)
    wait_screen(b, RECIPIENT)
    add_note(b, BEA_NOTE)
    sync_until_clean(b)
    sync_until_clean(a)
    held = state(a)
    assert held["events"] == state(b)["events"]
    entries = {eid: e for eid, e in held["entries"].items() if e["kind"] in LOG_KINDS}
    assert sorted(e["kind"] for e in entries.values()) == ["note", "note", "symptom", "vital"]
    files = nginx.files()
    assert not any(b"Ate half of lunch" in body for body in files.values())  # ciphertext only

    # --- FHIR from nginx's folder on disk ------------------------------------------------
    bundle_path = tmp_path / "circle.json"
    done = _cli(str(nginx.root / "circle"), "--passphrase", PASSPHRASE, "--format", "fhir",
                "--out", str(bundle_path))
    assert done.returncode == 0, done.stderr.decode()
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    made_from = {}
    for item in bundle["entry"]:
        resource = item["resource"]
        for ident in resource.get("identifier", ()):
            if ident.get("system") == "urn:carelog:entry" and resource["resourceType"] == "Observation":
                made_from[ident["value"]] = resource
    assert set(made_from) == set(entries)
    bp = next(r for r in made_from.values() if r["code"].get("coding", [{}])[0].get("code") == "85354-9")
    assert [c["valueQuantity"]["value"] for c in bp["component"]] == [152, 96]
    assert bp["performer"] == [{"display": "Ann"}]
    notes = sorted(r["valueString"] for r in made_from.values() if "valueString" in r)
    assert notes == sorted(["Ate half of lunch", BEA_NOTE])
    patient = next(i["resource"] for i in bundle["entry"] if i["resource"]["resourceType"] == "Patient")
    assert patient["name"][0]["text"] == RECIPIENT

    # --- CSV from the endpoint's URL ----------------------------------------------------
    out = tmp_path / "csv"
    done = _cli(nginx.endpoint, "--passphrase", PASSPHRASE, "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr.decode()
    assert sorted(p.name for p in out.iterdir()) == ["notes.csv", "symptoms.csv", "vitals.csv"]

    def rows(name):
        return list(csv.DictReader(io.StringIO((out / name).read_text(encoding="utf-8-sig"))))

    note_rows = rows("notes.csv")
    assert {r["entry_id"] for r in note_rows} == {k for k, e in entries.items() if e["kind"] == "note"}
    assert sorted((r["recorded_by"], r["text"]) for r in note_rows) == [("Ann", "Ate half of lunch"),
                                                                      ("Bea", "'" + BEA_NOTE)]
    (vital,) = rows("vitals.csv")
    assert (vital["systolic"], vital["diastolic"], vital["recorded_by"]) == ("152", "96", "Ann")
    (symptom,) = rows("symptoms.csv")
    assert (symptom["name"], symptom["severity"]) == ("Dizzy", "4")

    # --- a wrong passphrase: a plain message, exit code 1, nothing written ----------------
    wrong = tmp_path / "wrong.json"
    done = _cli(str(nginx.root / "circle"), "--passphrase", "not the words", "--out", str(wrong))
    assert done.returncode == 1 and not wrong.exists()
    assert "Traceback" not in done.stderr.decode() and done.stderr.decode().startswith("carelog: ")
    expect(a.locator("main h1")).to_have_text(RECIPIENT)

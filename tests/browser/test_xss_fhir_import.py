"""A transition-of-care FHIR Bundle carrying hostile text is imported through
the export screen (file picker, preview, confirm) in Chromium: all 246 payloads
of ``xss_payloads`` arrive as the patient's name, conditions, allergies and
their reactions, medication names and instructions. The import preview, the
emergency sheet and the care plan show every one literally; no script runs
(``window.pwned`` stays unset, no script/img/svg made from the text) and no
dialog opens (the page guard fails the test on any dialog or console error)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from playwright.sync_api import expect

from carelog.domain.records import norm_name
from carelog.interop.fhir_import import preview_import

from .helpers import TABLET, setup_person, wait_for_toast, wait_ready, wait_screen
from .test_xss_forms import assert_not_pwned
from .test_xss_import import as_parsed
from .xss_payloads import payloads

pytestmark = pytest.mark.browser

COUNT = 246
CONDITIONS = 50   # fhir_import.MAX_CONDITIONS
ALLERGIES = 30    # fhir_import.MAX_ALLERGIES
TEXTS = "els => els.map((e) => e.textContent)"
PATIENT = {"reference": "urn:uuid:p1"}


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 and c not in "\n\t" for c in text)


def _medication(name: str, instructions: str) -> dict:
    return {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
            "medicationCodeableConcept": {"text": name}, "subject": PATIENT, "authoredOn": "2026-02-20",
            "dosageInstruction": [{"patientInstruction": instructions,
                                   "timing": {"repeat": {"timeOfDay": ["08:00:00"], "frequency": 1,
                                                         "period": 1, "periodUnit": "d"}},
                                   "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]}


def hostile_bundle(texts: list[str]) -> dict:
    """A valid discharge Bundle with every text in some field. Names (patient,
    conditions, substances, medicines) must be distinct ignoring case and spacing
    and hold no control characters, so repeats and NUL-bearing texts go to the
    free-text fields (reactions, instructions)."""
    seen: set[str] = set()
    names, free = [], []
    for t in texts:
        key = norm_name(t)
        if _has_control(t) or key in seen:
            free.append(t)
        else:
            seen.add(key)
            names.append(t)
    profile_names = names[:1 + CONDITIONS + ALLERGIES]
    rest = names[len(profile_names):]
    reactions = free[:ALLERGIES] + rest[:max(0, ALLERGIES - len(free))]
    rest = rest[len(reactions) - len(free[:ALLERGIES]):]
    free = free[ALLERGIES:]
    meds = (len(rest) + len(free) + 1) // 2
    med_names, instructions = rest[:meds], free + rest[meds:]
    instructions += ["Take with water"] * (meds - len(instructions))
    assert len(reactions) == ALLERGIES and len(instructions) == meds

    entries = [{"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1",
                                                       "name": [{"text": profile_names[0]}]}}]
    entries += [{"resource": {"resourceType": "Condition", "code": {"text": t}, "subject": PATIENT,
                              "clinicalStatus": {"coding": [{"code": "active"}]}}}
                for t in profile_names[1:1 + CONDITIONS]]
    entries += [{"resource": {"resourceType": "AllergyIntolerance", "code": {"text": t}, "patient": PATIENT,
                              "reaction": [{"manifestation": [{"text": r}], "severity": "severe"}]}}
                for t, r in zip(profile_names[1 + CONDITIONS:], reactions)]
    entries += [{"resource": _medication(n, i)} for n, i in zip(med_names, instructions)]
    return {"resourceType": "Bundle", "type": "document", "entry": entries}


def test_hostile_fhir_import_shows_literally_and_never_runs(make_page, app_server, tmp_path):
    texts = payloads(COUNT)
    assert len(texts) == COUNT
    bundle = hostile_bundle(texts)
    # what the app will store, read by the same code in CPython: nothing refused or merged away
    preview = preview_import(bundle, timezone="UTC", today=dt.date(2026, 3, 2))
    assert preview.skipped == [] and preview.notes == []
    profile = preview.profile
    stored = [profile["name"], *profile["conditions"]]
    stored += [x for a in profile["allergies"] for x in (a["substance"], a["reaction"])]
    plan = [(p["name"], p.get("instructions", "")) for _kind, p in preview.plan]
    stored += [x for pair in plan for x in pair]
    assert {t.strip() for t in texts} <= set(stored)  # every payload goes through (import strips the ends)
    path = tmp_path / "discharge.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")

    page = make_page(viewport=TABLET, timezone_id="UTC")
    page.goto(app_server.url)
    wait_ready(page)
    setup_person(page, "Ann", "Mum")
    page.click("main a[data-care=export]")
    wait_screen(page, "Export and import")
    page.set_input_files("#f-import-file", str(path))
    page.click("button[data-action=import-preview]")
    wait_screen(page, "Check the import")

    # --- the preview: every line as the importer wrote it, as text ----------------------
    lines = page.locator("ul.preview-lines li").evaluate_all(TEXTS)
    assert lines == [as_parsed(line) for line in preview.summary()]
    assert_not_pwned(page)

    page.click("button[data-action=import-confirm]")
    wait_for_toast(page, "Imported")
    page.wait_for_function("(n) => document.querySelector('main h1').textContent === 'Emergency information: ' + n",
                           arg=as_parsed(profile["name"]))

    # --- the emergency sheet: name, conditions, allergies and reactions ----------------
    sheet = page.locator("main section.sheet li").evaluate_all(TEXTS)
    sheet_text = "\n".join(sheet)
    for text in profile["conditions"]:
        assert as_parsed(text) in sheet, text
    for allergy in profile["allergies"]:
        assert as_parsed(allergy["substance"]) in sheet_text, allergy
        assert as_parsed(allergy["reaction"]) in sheet_text, allergy
    assert_not_pwned(page)

    # --- the care plan: every medicine's name and instructions --------------------------
    page.goto(app_server.url + "#/plan")
    expect(page.locator("main li.plan-item")).to_have_count(len(plan))
    cards = page.locator("main li.plan-item").evaluate_all(
        "els => els.map((e) => [e.querySelector('strong').textContent, "
        "(e.querySelector('p.hint') || {textContent: ''}).textContent])")
    shown_names = [c[0] for c in cards]
    shown_hints = {c[1] for c in cards}
    for name, instructions in plan:
        assert any(s == as_parsed(name) or s.startswith(as_parsed(name) + ": ") for s in shown_names), name
        assert as_parsed(instructions) in shown_hints, instructions
    assert_not_pwned(page)

    page.wait_for_timeout(1500)  # PyScript picks up new <script type="py"> asynchronously
    assert_not_pwned(page)
    assert page.evaluate("document.querySelectorAll('#app :is(iframe, object, embed, template, style, meta, script, "
                         "form[action]), #toast *:not(div, span, button)').length") == 0

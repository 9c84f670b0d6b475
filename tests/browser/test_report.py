"""Charts, the printable visit report, export/import and the handoff share in Chromium.

A year of blood pressure (two readings a day, one far too high), a symptom and a
note carrying script payloads are written into the app's IndexedDB through the
app's own code (``?debug=1``), with the recipient's systolic limit changed to
150. Then, on a tablet:

- Charts: one tap from home; the SVG (role img, a description in words) has the
  recipient's band and limit lines; "Show as table" lists exactly the readings
  of the period; the 365-day button switches to daily low/high/mean rows.
- The visit report under print media: no top bar, no buttons, the report and its
  charts and tables shown; the note's payloads are text, no element is made of
  them; "Print or save as PDF" calls ``window.print``.
- Export: the FHIR download is a Bundle that ``fhir.resources`` accepts, holding
  every reading; the CSV download has one row per reading.
- Import: a broken file is refused with a plain message and changes nothing; a
  hospital discharge bundle shows its preview and, confirmed, fills the profile.
- Share: without the Web Share API (desktop Linux Chromium has none) the
  handoff is copied to the clipboard and a message says so.

axe-core runs on every new screen.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from playwright.sync_api import expect

from .a11y import check_screen, install_axe
from .helpers import TABLET, run_python, setup_person, wait_for_toast, wait_ready, wait_screen

pytestmark = pytest.mark.browser

NOW = dt.datetime(2026, 3, 2, 13, 10, tzinfo=dt.timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)
HALF_DAY_MS = 12 * 3_600_000
READINGS = 730  # every 12 hours for a year, newest at NOW
HIGH_INDEX = 5  # this one is 195/100
XSS_NOTE = '<script type="py">import js; js.document.title = "owned"</script><img src=x onerror="alert(1)">'

SEED = f"""
from carelog.bootstrap import build_for_browser
from carelog.domain.events import CREATE, Event
from carelog.domain import validation

log = await build_for_browser()
rid = (await log.recipients())[0].id
await log.save_threshold(rid, {{"limit": "systolic", "low": "90", "high": "150"}})
events = []
for i in range({READINGS}):
    at = {NOW_MS} - i * {HALF_DAY_MS}
    sys_, dia = (195, 100) if i == {HIGH_INDEX} else (120 + i % 20, 70 + i % 10)
    payload = validation.parse_entry("vital", {{"type": "blood_pressure", "systolic": str(sys_),
                                                "diastolic": str(dia), "unit": "mm[Hg]"}})
    eid = f"bp-{{i:04d}}"
    events.append(log._new_event(id=eid, recipient=rid, kind="vital", entry=eid, op=CREATE, revises=(),
                                 at=at, payload=payload))
await log.store.put_events(events)
await log.log(rid, "symptom", {{"name": "Dizzy <b>bold</b>", "severity": "6", "at": str({NOW_MS} - 3_600_000)}})
await log.log(rid, "note", {{"text": {XSS_NOTE!r}, "at": str({NOW_MS} - 7_200_000)}})
rid
"""


FIGURE = """
import json
from carelog.ui import lock_dom
from carelog.ui.chart_views import chart_figure
state = lock_dom.SCREEN.app.controller.state
json.dumps(str(chart_figure(state.report.chart, state.care.tz, ident=f"chart-{state.report.vital}")))
"""


def _readings_between(first: dt.date, last: dt.date) -> list[int]:
    lo = dt.datetime.combine(first, dt.time(), dt.timezone.utc).timestamp() * 1000
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.timezone.utc).timestamp() * 1000
    return [i for i in range(READINGS) if lo <= NOW_MS - i * HALF_DAY_MS < hi]


def _open_seeded(make_page, app_server, **options):
    page = make_page(viewport=TABLET, timezone_id="UTC", **options)
    install_axe(page)
    page.clock.set_fixed_time(NOW)
    page.goto(app_server.url + "?debug=1")
    wait_ready(page)
    setup_person(page, "Ann", "Mum")
    run_python(page, SEED)
    return page


def test_charts_and_the_printed_report(make_page, app_server):
    page = _open_seeded(make_page, app_server)
    seen: list[str] = []

    # --- charts: one tap from home ---------------------------------------------------
    page.click("main a[data-care=charts]")
    wait_screen(page, "Vital sign charts")
    svg = page.locator("figure.chart svg[role=img]")
    expect(svg).to_have_attribute("data-days", "30")
    expect(svg).to_have_attribute("data-daily", "no")
    assert page.locator("figure.chart svg rect.band").count() == 2  # systolic and diastolic bands
    high_line = page.locator("figure.chart svg line.limit[data-series=systolic][data-side=high]")
    expect(high_line).to_have_count(1)
    assert "150" in page.locator("figure.chart svg g.limits").text_content()  # the recipient's limit, not 180
    desc = page.locator("figure.chart svg desc").text_content()
    expect_30 = _readings_between(NOW.date() - dt.timedelta(days=29), NOW.date())
    assert f"Systolic (top number): {len(expect_30)} readings" in desc
    assert page.locator("figure.chart svg .series-1 .mark.out").count() >= 1  # 195 and 120+ values over 150
    check_screen(page, "charts 30 days", seen)
    page.click("details.as-table > summary")
    rows = page.locator("figure.chart table tbody tr")
    expect(rows).to_have_count(len(expect_30))
    expect(page.locator("figure.chart table caption")).to_contain_text("Alert above 150 or below 90 mmHg")
    first_row = rows.first.locator("td").all_inner_texts()
    oldest = max(expect_30)
    assert first_row[0].split(" ")[0] == str(120 + oldest % 20)
    check_screen(page, "charts with the table open", seen)

    page.click("nav.range-buttons a[data-days='365']")
    expect(svg).to_have_attribute("data-days", "365")
    expect(svg).to_have_attribute("data-daily", "yes")
    expect(page.locator("details.as-table table")).to_have_count(0)  # made when it is opened
    page.click("details.as-table > summary")
    expect(page.locator("figure.chart table tbody tr")).to_have_count(365)
    # opened, the disclosure is the one a figure built with its table has (as the page parses it)
    same = page.evaluate("""(markup) => {
        const made = document.createElement("template");
        made.innerHTML = markup;
        const whole = made.content.querySelector("details.as-table");
        whole.open = true;  // as the one on screen now is
        return whole.outerHTML === document.querySelector("details.as-table").outerHTML; }""", json.loads(run_python(page, FIGURE)))
    assert same
    assert page.locator("figure.chart table thead th").all_inner_texts()[1] == "Systolic (top number) lowest"
    check_screen(page, "charts 365 days", seen)
    page.click("nav.range-buttons a[data-days='7']")
    expect(svg).to_have_attribute("data-days", "7")
    assert page.url.endswith("#/charts/blood_pressure/7")

    # --- visit report, printed -----------------------------------------------------------
    page.evaluate("""() => { window.__preparing = []; new MutationObserver((changes) => {
        for (const change of changes) for (const node of change.addedNodes)
          if (node.classList && node.classList.contains("preparing"))
            window.__preparing.push([node.textContent, node.getAttribute("role"),
                                     node.parentElement.getAttribute("aria-busy")]);
      }).observe(document.body, { childList: true, subtree: true }); }""")
    page.goto(app_server.url + "?debug=1#/report")  # the same document: a hash change
    expect(page.locator("main h1#report-title")).to_have_text("Visit report: Mum")
    # while it was read and built, the page said so; the rendered report replaced the note
    assert page.evaluate("window.__preparing") == [["Preparing the report…", "status", "true"]]
    assert page.locator("p.preparing").count() == 0 and page.get_attribute("main", "aria-busy") is None
    check_screen(page, "report", seen)
    report = page.locator("article.report")
    expect(report.locator("figure.chart[data-vital=blood_pressure] svg rect.band")).to_have_count(2)
    expect(report.locator("figure.chart table tbody tr")).to_have_count(len(expect_30))
    expect(report).to_contain_text("Dizzy <b>bold</b>")
    expect(report).to_contain_text(XSS_NOTE)  # shown as text
    assert page.locator("article.report script, article.report img, article.report b").count() == 0
    assert page.title() == "carelog"
    expect(report.locator("#rep-alerts + table")).to_contain_text("Not acknowledged")
    expect(report.locator("#rep-who + table")).to_contain_text("Ann")

    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator(".report-tools")).to_be_hidden()
    expect(page.locator("button[data-action=print]")).to_be_hidden()
    expect(report).to_be_visible()
    expect(report.locator("figure.chart svg")).to_be_visible()
    expect(report.locator("#rep-notes + table")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('figure.chart')).breakInside") == "avoid"
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
    assert page.pdf(format="Letter")[:4] == b"%PDF"
    page.emulate_media(media="screen")
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")  # no dialog
    page.click("button[data-action=print]")
    page.wait_for_function("() => window.__printed === 1")

    # the period form: a wrong period is refused in words, a right one is shown
    page.fill("#f-first_day", "2026-02-20")
    page.fill("#f-last_day", "2026-02-10")
    page.click("form[data-form=report-period] button[type=submit]")
    expect(page.locator("#err-last_day")).to_contain_text("on or after the first day")
    page.fill("#f-last_day", "2026-02-24")
    page.click("form[data-form=report-period] button[type=submit]")
    expect(page.locator("p.report-period")).to_have_text("Fri 20 Feb 2026 to Tue 24 Feb 2026 (5 days)")
    expect(report.locator("figure.chart table tbody tr")).to_have_count(
        len(_readings_between(dt.date(2026, 2, 20), dt.date(2026, 2, 24))))
    assert page.url.endswith("#/report/2026-02-20/2026-02-24")
    assert len(seen) == 4


def _count_events(page) -> int:
    return run_python(page, "from carelog.bootstrap import build_for_browser\n"
                            "log = await build_for_browser()\n"
                            "rid = (await log.recipients())[0].id\n"
                            "len(await log.store.events_in_range(rid))")


def test_export_downloads_and_import(make_page, app_server, tmp_path):
    from fhir.resources.R4B.bundle import Bundle

    page = _open_seeded(make_page, app_server)
    page.click("main a[data-care=export]")
    wait_screen(page, "Export and import")
    check_screen(page, "export", [])

    with page.expect_download() as info:
        page.click("button[data-action=download][data-id=fhir]")
    download = info.value
    wait_for_toast(page, "Saved to downloads")  # before the checks below: the message goes after 10 s
    assert download.suggested_filename.startswith("carelog-mum-2026-03-02") and download.suggested_filename.endswith(
        "-fhir.json")
    bundle = json.loads(open(download.path(), encoding="utf-8").read())
    Bundle.model_validate(bundle)
    observations = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    bp = [o for o in observations if any(c.get("code") == "85354-9" for c in o["code"].get("coding", []))]
    assert len(bp) == READINGS
    assert any(o.get("valueString") == XSS_NOTE for o in observations)

    with page.expect_download() as info:
        page.click("button[data-action=download][data-id='vitals.csv']")
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8-sig").read())))
    assert len(rows) == READINGS
    assert sorted(int(float(r["systolic"])) for r in rows)[-1] == 195

    # --- a broken file: a plain message, nothing changed ------------------------------------
    before = _count_events(page)
    broken = tmp_path / "discharge.json"
    broken.write_text('{"resourceType": "Bundle", "entry": [', encoding="utf-8")
    page.set_input_files("#f-import-file", str(broken))
    page.click("button[data-action=import-preview]")
    expect(page.locator("#import-problem")).to_contain_text("not JSON")
    expect(page.locator("#import-problem")).to_contain_text(re.compile("nothing was changed", re.I))
    check_screen(page, "export with a refused file", [])
    assert _count_events(page) == before

    # --- a discharge bundle: preview, then confirm ---------------------------------------
    good = tmp_path / "hospital.json"
    good.write_text(json.dumps(HOSPITAL), encoding="utf-8")
    page.set_input_files("#f-import-file", str(good))
    page.click("button[data-action=import-preview]")
    wait_screen(page, "Check the import")
    lines = page.locator("ul.preview-lines li").all_inner_texts()
    assert "Medication to add: Amlodipine 5 MG Oral Tablet" in lines
    assert any(line.startswith("Not imported: Encounter") for line in lines)
    check_screen(page, "import preview", [])
    assert _count_events(page) == before  # nothing saved before confirming
    page.click("button[data-action=import-confirm]")
    wait_screen(page, "Emergency information: Arthur J Dent")
    wait_for_toast(page, "Imported")
    expect(page.locator("main")).to_contain_text("Hypertension")
    assert _count_events(page) == before + 2  # the profile and one plan medication, in one batch


def test_handoff_share_copies_to_the_clipboard(make_page, app_server):
    page = _open_seeded(make_page, app_server, permissions=["clipboard-read", "clipboard-write"])
    assert page.evaluate("typeof navigator.share") == "undefined"  # desktop Linux Chromium: no Web Share
    page.click("main a[data-care=export]")
    wait_screen(page, "Export and import")
    page.click("main a[href='#/handoff']")
    wait_screen(page, "Share the handoff")
    text = page.locator("#handoff-text").input_value()
    assert text.startswith("Shift handoff for Mum")
    assert XSS_NOTE in text and "Dizzy" not in text  # notes in full; symptoms counted
    assert "1 symptom" in text
    check_screen(page, "handoff share", [])
    page.click("button[data-action=share-handoff]")
    wait_for_toast(page, "Copied the handoff summary")
    assert page.evaluate("navigator.clipboard.readText()") == text
    page.click("nav.range-buttons a[data-hours='24']")
    expect(page.locator("nav.range-buttons a[aria-current=true]")).to_have_text("Last 24 hours")


HOSPITAL = {
    "resourceType": "Bundle", "type": "document", "entry": [
        {"fullUrl": "urn:uuid:p1", "resource": {
            "resourceType": "Patient", "id": "p1", "name": [{"given": ["Arthur", "J"], "family": "Dent"}],
            "birthDate": "1950-03-01"}},
        {"resource": {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                      "medicationCodeableConcept": {"text": "Amlodipine 5 MG Oral Tablet"},
                      "subject": {"reference": "urn:uuid:p1"}, "authoredOn": "2026-02-20",
                      "dosageInstruction": [{"text": "One tablet in the morning",
                                             "timing": {"repeat": {"timeOfDay": ["08:00:00"], "frequency": 1,
                                                                   "period": 1, "periodUnit": "d"}},
                                             "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}]}},
        {"resource": {"resourceType": "Condition", "code": {"text": "Hypertension"},
                      "clinicalStatus": {"coding": [{"code": "active"}]}, "subject": {"reference": "urn:uuid:p1"}}},
        {"resource": {"resourceType": "Encounter", "status": "finished"}},
    ]}

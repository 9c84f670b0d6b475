"""Charts, the visit report, export/import and the handoff text under CPython:
data to markup, downsampling, the recipient's thresholds as the band, script
payloads shown as text, and the report screens driven through the Controller
over in-memory adapters (an invalid import changes nothing)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re

import pytest

from carelog.adapters.memory import CountingIds, FixedClock, MemoryEntryStore, MemorySettings
from carelog.bootstrap import TEST_EPOCH_MS, build_for_tests
from carelog.domain.alerts import DEFAULT_LIMITS
from carelog.domain.events import CREATE, Event
from carelog.domain.trends import Reading
from carelog.domain.validation import FormErrors
from carelog.domain.zones import day_bounds, local_date, zone
from carelog.domain.vitalseries import MAX_POINTS, daily_points, downsample, span, vital_chart
from carelog.interop.report import visit_report
from carelog.ui import views
from carelog.ui.chart_views import chart_figure, chart_svg, chart_table, nice_ticks, summary
from carelog.ui.controller import Controller
from carelog.ui.markup import h
from carelog.ui.report_controller import _period

UTC = dt.timezone.utc
HOUR = 3_600_000
DAY_MS = 24 * HOUR
NOW = TEST_EPOCH_MS  # 2025-11-24 16:00 UTC
TODAY = dt.date(2025, 11, 24)
XSS = '<script type="py">import js</script><py-script>1</py-script><img src=x onerror=alert(1)>'


def run(coro):
    return asyncio.run(coro)


def _vital(i: int, at: int, vital: str, by: str = "Ann", **payload) -> Event:
    return Event.create(id=f"v{i:05d}", recipient="r1", kind="vital", at=at,
                        payload={"type": vital, **payload}, author=by, device="d1",
                        hlc=f"{at:013d}-{i:06d}-d1")


def _bp_events(n: int, step: int = 12 * HOUR, high_at: int | None = None) -> list[Event]:
    out = []
    for i in range(n):
        sys_, dia = (195, 100) if i == high_at else (120 + i % 20, 70 + i % 10)
        out.append(_vital(i, NOW - i * step, "blood_pressure", systolic=sys_, diastolic=dia, unit="mm[Hg]"))
    return out


# --- series and downsampling -------------------------------------------------------------

def test_downsample_keeps_readings_up_to_the_limit_then_gives_daily_low_high_mean():
    day = dt.date(2025, 1, 1)
    rows = [Reading(i * HOUR, day + dt.timedelta(days=i // 4), float(100 + i), f"e{i}", "r1", "Ann", 0)
            for i in range(MAX_POINTS)]
    points, daily = downsample(rows)
    assert not daily and len(points) == MAX_POINTS and points[3].by == "Ann" and points[3].entry_id == "e3"
    rows.append(Reading(MAX_POINTS * HOUR, day + dt.timedelta(days=MAX_POINTS // 4), 999.0, "last", "r1", "Bo", 0))
    points, daily = downsample(rows)
    assert daily and len(points) == MAX_POINTS // 4 + 1
    first = points[0]
    assert (first.low, first.high, first.value, first.count) == (100.0, 103.0, 101.5, 4)
    assert points[-1].count == 1 and points[-1].value == 999.0
    assert sum(p.count for p in points) == len(rows)


def test_daily_points_of_nothing_is_nothing():
    assert daily_points([]) == []


def test_a_year_of_blood_pressure_is_two_daily_series_with_the_recipients_band():
    events = _bp_events(730)
    limits = dict(DEFAULT_LIMITS)
    limits["systolic"] = DEFAULT_LIMITS["systolic"].__class__(**{**DEFAULT_LIMITS["systolic"].__dict__, "high": 150})
    first, last = span(TODAY, 365)
    chart = vital_chart(events, "blood_pressure", UTC, first, last, limits)
    assert [s.key for s in chart.series] == ["systolic", "diastolic"]
    assert chart.daily and all(len(s.points) == 365 for s in chart.series)
    assert chart.series[0].limit.high == 150 and chart.series[1].limit.high == 110
    assert sum(p.count for p in chart.series[0].points) == chart.series[0].readings
    short = vital_chart(events, "blood_pressure", UTC, *span(TODAY, 30), limits)
    assert not short.daily and short.series[0].readings == 60  # 16:00 and 04:00 each day


def test_edits_and_deletes_count_once_and_units_are_converted():
    at = NOW - HOUR
    base = _vital(1, at, "temperature", value=100.4, unit="[degF]")
    edit = Event(id="e2", recipient="r1", kind="vital", entry=base.id, op="edit", revises=(base.id,), at=at,
                 payload={"type": "temperature", "value": 101.3, "unit": "[degF]"}, author="Bo", device="d2",
                 hlc=f"{NOW:013d}-000001-d2")
    gone = _vital(3, at, "temperature", value=39.0, unit="Cel")
    delete = Event(id="e4", recipient="r1", kind="vital", entry=gone.id, op="delete", revises=(gone.id,), at=at,
                   payload={}, author="Bo", device="d2", hlc=f"{NOW:013d}-000002-d2")
    chart = vital_chart([base, edit, gone, delete], "temperature", UTC, *span(TODAY, 7))
    (series,) = chart.series
    assert [p.value for p in series.points] == [38.5]  # 101.3 °F, the edited value, in °C
    assert chart.unit_label == "°C"


def test_an_entry_whose_vital_was_corrected_moves_to_the_other_chart():
    at = NOW - HOUR
    base = _vital(1, at, "heart_rate", value=97, unit="/min")
    fix = Event(id="e2", recipient="r1", kind="vital", entry=base.id, op="edit", revises=(base.id,), at=at,
                payload={"type": "spo2", "value": 97, "unit": "%"}, author="Bo", device="d2",
                hlc=f"{NOW:013d}-000001-d2")
    other = _vital(3, at - HOUR, "heart_rate", value=70, unit="/min")
    for events in ([base, fix, other], [fix, other, base]):
        assert [p.value for p in vital_chart(events, "heart_rate", UTC, *span(TODAY, 7)).series[0].points] == [70]
        (point,) = vital_chart(events, "spo2", UTC, *span(TODAY, 7)).series[0].points
        assert (point.value, point.entry_id, point.by) == (97, base.id, "Ann")


def test_readings_fall_on_their_local_day_across_a_clock_change():
    london = zone("Europe/London")  # clocks went back at 02:00 BST on Sun 26 Oct 2025
    start = day_bounds(dt.date(2025, 10, 25), london)[0]
    events = [_vital(i, start + i * HOUR, "heart_rate", value=60 + i % 30, unit="/min") for i in range(24 * 5)]
    chart = vital_chart(events, "heart_rate", london, dt.date(2025, 10, 25), dt.date(2025, 10, 29), max_points=1)
    (series,) = chart.series
    assert [(p.day, p.count) for p in series.points] == [
        (dt.date(2025, 10, 25), 24), (dt.date(2025, 10, 26), 25), (dt.date(2025, 10, 27), 24),
        (dt.date(2025, 10, 28), 24), (dt.date(2025, 10, 29), 23)]
    assert all(p.day == local_date(p.at, london) for p in series.points)


# --- markup ---------------------------------------------------------------------------------

def _chart(n=60, high_at=3):
    return vital_chart(_bp_events(n, high_at=high_at), "blood_pressure", UTC, *span(TODAY, 30))


def test_chart_svg_is_an_image_with_words_a_band_limit_lines_and_marks():
    chart = _chart()
    svg = str(chart_svg(chart, UTC, "c1"))
    assert svg.startswith("<svg ") and 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert svg.count('class="band"') == 2
    assert svg.count('class="limit"') == 4  # systolic 90/180, diastolic 50/110
    assert svg.count('class="mark out"') == 1  # 195 over 180 (100 is under 110)
    assert svg.count("<polyline") == 2 and 'stroke-dasharray="6 4"' in svg  # diastolic dashed
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg).group(1)
    assert "Systolic (top number): 60 readings, from 120 to 195 mmHg" in desc
    assert "1 reading beyond the alert limits (above 180 or below 90 mmHg)" in desc
    assert "style=" not in svg  # the CSP forbids inline styles: presentation attributes only


def test_the_band_sits_between_the_limits():
    chart = _chart()
    svg = str(chart_svg(chart, UTC))
    band = re.search(r'<rect class="band" data-series="systolic"[^>]*y="([\d.]+)" height="([\d.]+)"', svg)
    high = re.search(r'<line class="limit" data-series="systolic" data-side="high"[^>]*y1="([\d.]+)"', svg)
    low = re.search(r'<line class="limit" data-series="systolic" data-side="low"[^>]*y1="([\d.]+)"', svg)
    top, height = float(band.group(1)), float(band.group(2))
    assert top == pytest.approx(float(high.group(1)), abs=0.11)
    assert top + height == pytest.approx(float(low.group(1)), abs=0.2)


def test_a_downsampled_chart_draws_day_bars_and_a_table_per_day():
    chart = vital_chart(_bp_events(730, high_at=5), "blood_pressure", UTC, *span(TODAY, 365))
    svg = str(chart_svg(chart, UTC))
    assert 'data-daily="yes"' in svg and svg.count('class="day-range"') == 2
    assert svg.count("<circle") < 20  # marks only where a limit was crossed
    table = str(chart_table(chart, UTC))
    assert table.count("<tr>") == 366  # header + 365 days
    assert "Systolic (top number) lowest" in table and "195 (high)" in table


def test_an_empty_chart_says_so():
    chart = vital_chart([], "weight", UTC, *span(TODAY, 7))
    assert chart.empty
    assert "No readings in this period" in str(chart_svg(chart, UTC))
    assert summary(chart).endswith("no readings.")
    assert "Show as table" not in str(chart_figure(chart, UTC))


def test_the_table_lists_each_reading_with_who_recorded_it():
    events = _bp_events(3)
    events.append(_vital(9, NOW - 5 * HOUR, "blood_pressure", by=XSS, systolic=200, diastolic=90, unit="mm[Hg]"))
    chart = vital_chart(events, "blood_pressure", UTC, *span(TODAY, 7))
    table = str(chart_table(chart, UTC))
    assert table.count("<tr>") == 5
    assert "<script" not in table and "&lt;script type=&quot;py&quot;&gt;" not in table
    assert "&lt;script type=\"py\"&gt;" in table  # the caregiver name, as text
    assert "200 (high)" in table


def test_nice_ticks():
    assert nice_ticks(0, 10) == [0, 2.5, 5, 7.5, 10]
    assert nice_ticks(35.2, 38.9)[0] <= 35.2 and nice_ticks(35.2, 38.9)[-1] >= 38.9


@pytest.mark.parametrize("tag", ["script", "foreignObject", "foreignobject", "animate", "set", "use", "iframe",
                                 "image", "feImage", "style", "object", "embed", "py-script"])
def test_the_allow_list_refuses_tags_that_run_or_fetch(tag):
    with pytest.raises(ValueError):
        h(tag, None)


@pytest.mark.parametrize("attr", ["onload", "onclick", "onbegin", "py-click", "mpy-click", "xlink:href", "style=",
                                  "ONLOAD"])
def test_the_svg_tags_refuse_handlers(attr):
    for tag in ("svg", "rect", "text", "g", "figcaption", "pre"):
        with pytest.raises(ValueError):
            h(tag, {attr: "alert(1)"})


def test_figcaption_and_pre_escape_their_text():
    assert str(h("pre", None, XSS)).startswith("<pre>&lt;script")
    assert str(h("figcaption", None, XSS)).count("<") == 2


# --- the report ---------------------------------------------------------------------------

class Session:
    def __init__(self):
        self.store = MemoryEntryStore()
        self.clock = FixedClock(NOW)
        self.log = build_for_tests(store=self.store, settings=MemorySettings(), clock=self.clock,
                                   ids=CountingIds("id"))
        self.c = Controller(self.log, build="test")
        self.c.care.set_device_zone("UTC")

    def start(self, name="Ann"):
        run(self.c.start())
        run(self.c.submit("caregiver", {"name": name}))
        run(self.c.submit("recipient", {"name": "Mum"}))
        return self

    @property
    def rid(self):
        return self.c.state.recipient.id

    def html(self):
        return str(views.render(self.c.state))


def _seed(s: Session):
    log = s.log
    run(log.save_threshold(s.rid, {"limit": "systolic", "low": "90", "high": "150"}))
    run(log.save_plan_item(s.rid, "med_plan", {"name": "Metformin", "dose": "1", "unit": "{tablet}",
                                               "start_date": "2025-11-01", "schedule": "daily", "times": "08:00"}))
    for i, (sys_, dia) in enumerate([(120, 80), (160, 90), (130, 85)]):
        run(log.log(s.rid, "vital", {"type": "blood_pressure", "systolic": str(sys_), "diastolic": str(dia),
                                     "unit": "mm[Hg]", "at": str(NOW - (i + 1) * DAY_MS)}))
    run(log.log(s.rid, "note", {"text": XSS, "at": str(NOW - HOUR)}))
    run(log.log(s.rid, "symptom", {"name": "Dizzy", "severity": "5", "at": str(NOW - 2 * HOUR)}))


def test_the_report_screen_has_everything_and_shows_payloads_as_text():
    s = Session().start()
    _seed(s)
    run(s.c.navigate("#/alerts"))
    alert = next(a for a in s.c.state.care.alerts if "160" in a.alert.title)
    run(s.c.action("ack", {"id": alert.alert.id}))
    run(s.c.navigate("#/report"))
    assert s.c.state.screen == "report" and s.c.state.route == "#/report/2025-10-26/2025-11-24"
    page = s.html()
    assert "<script" not in page and "<py-script" not in page and "<img" not in page
    assert "&lt;script type=&quot;py&quot;&gt;" in page or "&lt;script type=\"py\"&gt;" in page
    assert 'data-action="print"' in page and "Print or save as PDF" in page
    assert "Metformin" in page and "Adherence" in page
    assert page.count('class="band"') == 2 and "Alert above 150 or below 90 mmHg" in page
    assert "Acknowledged by Ann" in page
    assert "Dizzy" in page and "Who recorded what" in page
    report = s.c.state.report.report
    ((item, counts),) = report.medications
    assert (item.name, counts.first_day, counts.due, counts.given) == ("Metformin", dt.date(2025, 11, 1), 24, 0)
    assert "0 of 24 due" in page
    assert [c.vital for c in report.charts] == ["blood_pressure"]
    assert dict(report.authors)["Ann"] == {"vital": 3, "note": 1, "symptom": 1, "alert_ack": 1}


def test_the_report_shows_each_entrys_current_version_and_respects_edited_times():
    """Whole histories: a range read alone would keep the moved-out note, lose the moved-in note's author,
    and show the old text and the deleted note."""
    s = Session().start("Bea")
    log, rid = s.log, s.rid
    old = run(log.log(rid, "note", {"text": "Written long ago", "at": str(NOW - 60 * DAY_MS)}))
    moved = run(log.log(rid, "note", {"text": "Moved away", "at": str(NOW - 2 * DAY_MS)}))
    kept = run(log.log(rid, "symptom", {"name": "Dizzy", "severity": "3", "at": str(NOW - 3 * DAY_MS)}))
    gone = run(log.log(rid, "note", {"text": "Deleted note", "at": str(NOW - 4 * DAY_MS)}))
    reading = run(log.log(rid, "vital", {"type": "heart_rate", "value": "150", "unit": "/min",
                                         "at": str(NOW - 5 * DAY_MS)}))
    run(log.set_caregiver("Ann"))
    run(log.edit(old.id, {"text": "Now in the period", "at": str(NOW - 1 * DAY_MS)}))
    run(log.edit(moved.id, {"text": "Moved away", "at": str(NOW - 90 * DAY_MS)}))
    run(log.edit(kept.id, {"name": "Dizzy", "severity": "8", "at": str(NOW - 3 * DAY_MS)}))
    run(log.delete(gone.id))
    run(log.edit(reading.id, {"type": "heart_rate", "value": "72", "unit": "/min", "at": str(NOW - 80 * DAY_MS)}))
    run(s.c.navigate("#/report"))
    report = s.c.state.report.report
    assert [(n.id, n.payload["text"], n.created_by) for n in report.notes] == [
        (old.id, "Now in the period", "Bea")]
    assert [(e.id, e.payload["severity"]) for e in report.symptoms] == [(kept.id, 8)]
    assert report.charts == ()  # the only reading was moved out of the period
    assert dict(report.authors) == {"Bea": {"note": 1, "symptom": 1}}


def test_report_period_is_checked_in_plain_words():
    assert _period("2025-11-01", "2025-11-10", TODAY) == (dt.date(2025, 11, 1), dt.date(2025, 11, 10))
    for first, last, field, words in [("", "2025-11-10", "first_day", "first day"),
                                      ("2025-11-10", "2025-11-01", "last_day", "on or after"),
                                      ("2024-01-01", "2025-11-01", "last_day", "at most a year"),
                                      ("2025-12-01", "2025-12-02", "first_day", "future")]:
        with pytest.raises(FormErrors) as problem:
            _period(first, last, TODAY)
        assert words in problem.value.errors[field]
    s = Session().start()
    run(s.c.submit("report-period", {"first_day": "2025-11-20", "last_day": "2025-11-01"}))
    assert s.c.state.form_errors == {"last_day": "The last day must be on or after the first day."}
    run(s.c.submit("report-period", {"first_day": "2025-11-20", "last_day": "2025-11-22"}))
    assert s.c.state.route == "#/report/2025-11-20/2025-11-22" and s.c.state.report.report.days == 3


def test_visit_report_of_nothing():
    r = visit_report([], "r1", TODAY, TODAY, UTC, NOW, [], None)
    assert r.empty and r.days == 1


def test_charts_screen_switches_vital_and_range():
    s = Session().start()
    _seed(s)
    run(s.c.navigate("#/charts"))
    assert s.c.state.screen == "charts" and s.c.state.route == "#/charts/blood_pressure/30"
    assert s.html().count('aria-current="true" data-days=') == 1 and 'aria-current="true" data-days="30"' in s.html()
    run(s.c.navigate("#/charts/weight/365"))
    assert s.c.state.report.chart.vital == "weight" and s.c.state.report.days == 365
    assert "No readings in this period" in s.html()
    run(s.c.navigate("#/charts/blood_pressure/13"))  # not a range: 30 days
    assert s.c.state.report.days == 30


# --- export, import, handoff -----------------------------------------------------------------

def test_export_files_are_a_bundle_and_csv_of_the_recipient():
    s = Session().start()
    _seed(s)
    run(s.c.navigate("#/export"))
    assert "vitals.csv" in s.c.state.report.files and "doses.csv" not in s.c.state.report.files
    name, mime, body = run(s.c.reports.export_file("fhir"))
    assert name == "carelog-mum-2025-11-24-fhir.json" and mime == "application/fhir+json"
    bundle = json.loads(body)
    assert bundle["resourceType"] == "Bundle"
    assert sum(1 for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation") == 5
    name, mime, body = run(s.c.reports.export_file("vitals.csv"))
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert name.endswith("-vitals.csv") and [r["systolic"] for r in rows] == ["130", "160", "120"]
    assert run(s.c.reports.export_file("doses.csv")) is None


def test_an_invalid_import_changes_nothing_and_a_valid_one_waits_for_confirm():
    s = Session().start()
    _seed(s)
    before = len(s.store)
    run(s.c.reports.preview_file("broken.json", b'{"resourceType": "Bundle", "entry": ['))
    rep = s.c.state.report
    assert rep.preview is None and "nothing was changed" in rep.import_problem.lower()
    assert s.c.state.screen == "export" and s.c.state.toast.tone == "warn"
    run(s.c.reports.preview_file("", None))
    assert "Choose a file first" in rep.import_problem
    assert len(s.store) == before
    bundle = {"resourceType": "Bundle", "type": "document", "entry": [
        {"resource": {"resourceType": "Patient", "name": [{"text": XSS}]}},
        {"resource": {"resourceType": "Condition", "code": {"text": "Heart failure"},
                      "clinicalStatus": {"coding": [{"code": "active"}]}}}]}
    run(s.c.reports.preview_file("discharge.json", json.dumps(bundle).encode()))
    assert s.c.state.screen == "import_preview" and len(s.store) == before
    page = s.html()
    assert "Conditions: Heart failure" in page and "<script" not in page
    run(s.c.action("import-cancel", {}))
    assert len(s.store) == before and s.c.state.toast.message == "Nothing was imported."
    run(s.c.reports.preview_file("discharge.json", json.dumps(bundle).encode()))
    run(s.c.action("import-confirm", {}))
    assert len(s.store) == before + 1 and s.c.state.screen == "profile"
    assert run(s.log.profile(s.rid)).payload["conditions"] == ["Heart failure"]


def test_handoff_text_has_everyones_entries_and_payloads_as_plain_text():
    s = Session().start()
    _seed(s)
    run(s.c.navigate("#/handoff"))
    text = s.c.state.report.handoff_text
    assert s.c.state.route == "#/handoff/12"
    assert text.splitlines()[0] == "Shift handoff for Mum"
    assert f"Ann: {XSS}" in text and "1 symptom" in text
    assert "<textarea" in s.html() and "&lt;script" in s.html() and "<script" not in s.html()
    run(s.c.navigate("#/handoff/24"))
    assert s.c.state.report.handoff_hours == 24

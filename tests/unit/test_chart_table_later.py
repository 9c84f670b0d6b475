"""The charts screen's "Show as table" disclosure is drawn without its table, which the DOM
glue (``report_dom.fill_table``) makes when it is opened: once filled, the disclosure's markup
is byte for byte the one a figure built with its table has (raw and daily charts, limits, text
that needs escaping), and only the chart on screen fills it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from carelog.domain.alerts import DEFAULT_LIMITS
from carelog.domain.events import CREATE, Event
from carelog.domain.vitalseries import span, vital_chart
from carelog.domain.zones import zone
from carelog.ui import report_dom
from carelog.ui.chart_views import TABLE_LATER, chart_figure
from carelog.ui.report_state import ReportState

HOUR, DAY = 3_600_000, 86_400_000
NOW = 1_764_000_000_000  # 2025-11-24, UTC
XSS = '<script>alert(1)</script> & "Ann"'


def _events(n: int, step: int) -> list[Event]:
    return [Event.create(id=f"v{i}", recipient="r", kind="vital", at=NOW - i * step, device="d1",
                         hlc=f"{i:013d}-000000-d1", author=XSS if i % 3 == 0 else "Bo",
                         payload={"type": "blood_pressure", "systolic": 100 + (i * 7) % 100,
                                  "diastolic": 60 + i % 40, "unit": "mm[Hg]"})
            for i in range(n)]


class FakeDetails:
    """A ``<details>`` element as far as ``fill_table`` uses it: its attributes, its open state,
    and its inner markup (``insertAdjacentHTML("beforeend", ...)`` appends)."""

    def __init__(self, attributes: dict, inner: str, open_: bool):
        self.attributes, self.inner, self.open = dict(attributes), inner, open_

    def getAttribute(self, name):  # noqa: N802 - the DOM's name
        return self.attributes.get(name)

    def removeAttribute(self, name):  # noqa: N802
        self.attributes.pop(name, None)

    def insertAdjacentHTML(self, where, markup):  # noqa: N802
        assert where == "beforeend"
        self.inner += markup


class FakeApp:
    def __init__(self, chart, tz, screen="charts"):
        report = ReportState()
        report.chart = chart
        self.controller = type("C", (), {})()
        self.controller.state = type("S", (), {"report": report, "screen": screen,
                                               "care": type("Care", (), {"tz": tz})()})()


DETAILS = re.compile(r'<details class="as-table"(?P<attrs>[^>]*)>(?P<inner>.*)</details>', re.S)


def _details(markup: str) -> tuple[dict, str]:
    found = DETAILS.search(markup)
    attrs = dict(re.findall(r'\s([\w-]+)="([^"]*)"', found["attrs"]))
    return {"class": "as-table", **attrs}, found["inner"]


def _markup(attributes: dict, inner: str) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return f"<details{attrs}>{inner}</details>"


@pytest.mark.parametrize("days, n, step, zone_name", [(7, 20, 6 * HOUR, "UTC"), (365, 900, 9 * HOUR, "UTC"),
                                                      (30, 60, 11 * HOUR, "America/New_York"),
                                                      (365, 700, 12 * HOUR, "Australia/Lord_Howe")])
def test_a_later_table_once_opened_is_the_figures_table(days, n, step, zone_name):
    tz = zone(zone_name)
    first, last = span(dt.datetime.fromtimestamp(NOW / 1000, tz).date(), days)
    chart = vital_chart(_events(n, step), "blood_pressure", tz, first, last, DEFAULT_LIMITS)
    later = str(chart_figure(chart, tz, ident="chart-x", table="later"))
    whole = str(chart_figure(chart, tz, ident="chart-x"))
    assert "<table" not in later and "<table" in whole
    assert chart.daily or "&lt;script&gt;" in whole  # who recorded a reading (raw tables only)
    attributes, inner = _details(later)
    assert attributes[TABLE_LATER] == f"blood_pressure/{days}"
    details = FakeDetails(attributes, inner, open_=False)
    assert not report_dom.fill_table(FakeApp(chart, tz), details)  # closed: nothing made yet
    details.open = True
    assert report_dom.fill_table(FakeApp(chart, tz), details)
    filled = _markup(details.attributes, details.inner)
    assert whole == later.replace(DETAILS.search(later)[0], filled)  # the whole figure, byte for byte
    assert not report_dom.fill_table(FakeApp(chart, tz), details)  # filled once: not again
    assert filled.count("<table") == 1


def test_only_the_chart_on_screen_fills_its_disclosure():
    tz = zone("UTC")
    first, last = span(dt.datetime.fromtimestamp(NOW / 1000, tz).date(), 30)
    chart = vital_chart(_events(40, 12 * HOUR), "blood_pressure", tz, first, last, DEFAULT_LIMITS)
    other = vital_chart(_events(40, 12 * HOUR), "blood_pressure", tz, *span(last, 90), DEFAULT_LIMITS)
    attributes, inner = _details(str(chart_figure(chart, tz, table="later")))
    details = FakeDetails(attributes, inner, open_=True)
    assert not report_dom.fill_table(FakeApp(other, tz), details)  # another period's chart is on screen now
    assert not report_dom.fill_table(FakeApp(chart, tz, screen="report"), details)
    assert not report_dom.fill_table(FakeApp(None, tz), details)
    assert "<table" not in details.inner and TABLE_LATER in details.attributes
    empty = vital_chart([], "weight", tz, first, last, DEFAULT_LIMITS)
    assert str(chart_figure(empty, tz, table="later")) == str(chart_figure(empty, tz))  # nothing to open

"""The chart's SVG marks and table are built as joined strings (a year is 365 rows of
8 cells and two series of 365 marks): they give byte for byte the markup the element-by-element
builders below (``h`` per element, as the charts drew before) give, for raw and daily charts,
with and without limits, in several zones, and with text that needs escaping."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from carelog.domain.alerts import DEFAULT_LIMITS, Limit
from carelog.domain.events import Event
from carelog.domain.vitalseries import Point, Series, VitalChart, vital_chart
from carelog.domain.zones import day_bounds, format_clock, to_wall, zone
from carelog.ui import chart_views
from carelog.ui.chart_views import COLOURS, DASHES, OUT_FILL, _day, _points_attr, _v, chart_svg, chart_table
from carelog.ui.markup import Markup, h

HOUR, DAY = 3_600_000, 86_400_000
FIRST = dt.date(2025, 3, 1)


# --- the builders as they were (one ``h`` call per element) -----------------------------------

def ref_n(value: float, decimals: int = 1) -> str:
    """A coordinate: short and locale-free."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def ref_series_marks(s: Series, i: int, x, y) -> Markup:
    colour, dash = COLOURS[i % 2], DASHES[i % 2]
    parts = []
    if s.daily:
        bars = "".join(f"M{ref_n(x(p.at + 43_200_000))} {ref_n(y(p.low))}V{ref_n(y(p.high))}" for p in s.points)
        parts.append(h("path", {"class": "day-range", "d": bars, "stroke": colour, "stroke-width": "2",
                                "stroke-opacity": "0.45", "fill": "none"}))
        coords = [(x(p.at + 43_200_000), y(p.value)) for p in s.points]
    else:
        coords = [(x(p.at), y(p.value)) for p in s.points]
    parts.append(h("polyline", {"class": "line", "points": _points_attr(coords), "fill": "none", "stroke": colour,
                                "stroke-width": "2.5", "stroke-dasharray": dash, "stroke-linejoin": "round"}))
    marks = []
    limit = s.limit
    for p, (cx, cy) in zip(s.points, coords):
        out = limit is not None and bool(limit.breach(p.high) or limit.breach(p.low))
        if s.daily and not out and len(s.points) > 60:
            continue  # a year of days: the line and bars carry it; marks only where a limit was crossed
        r = 6 if out else 4
        fill = OUT_FILL if out else colour
        cls = "mark out" if out else "mark"
        if i % 2 == 0:
            marks.append(h("circle", {"class": cls, "cx": ref_n(cx), "cy": ref_n(cy), "r": r, "fill": fill,
                                      "stroke": "#fff", "stroke-width": "1"}))
        else:
            marks.append(h("rect", {"class": cls, "x": ref_n(cx - r), "y": ref_n(cy - r), "width": 2 * r,
                                    "height": 2 * r, "fill": fill, "stroke": "#fff", "stroke-width": "1"}))
    parts.append(h("g", {"class": "marks"}, marks))
    return h("g", {"class": f"series series-{i + 1}", "data-series": s.key}, parts)


def ref_cell(value: float, s: Series) -> str:
    return _v(value, s.limit.decimals if s.limit is not None else 1)


def ref_flag(s: Series, p: Point) -> str:
    if s.limit is None:
        return ""
    side = s.limit.breach(p.high) or s.limit.breach(p.low)
    return {"high": " (high)", "low": " (low)"}.get(side or "", "")


def ref_chart_table(chart: VitalChart, tz: dt.tzinfo) -> Markup:
    """Every point of the chart as a table (per reading, or per day when downsampled)."""
    caption = f"{chart.label} ({chart.unit_label}), {_day(chart.first_day)} to {_day(chart.last_day)}"
    limits = [f"{s.label}: {s.limit.describe()}" for s in chart.series if s.limit is not None and s.points]
    cap = h("caption", None, caption, " ",
            h("span", {"class": "limits-line"}, " · ".join(limits)) if limits else None)
    if chart.empty:
        return h("p", {"class": "empty"}, "No readings in this period.")
    if chart.daily:
        head = [h("th", {"scope": "col"}, "Day")]
        for s in chart.series:
            head += [h("th", {"scope": "col"}, f"{s.label} lowest"), h("th", {"scope": "col"}, f"{s.label} highest"),
                     h("th", {"scope": "col"}, f"{s.label} average")]
        head.append(h("th", {"scope": "col"}, "Readings"))
        days: dict[dt.date, dict[str, Point]] = {}
        for s in chart.series:
            for p in s.points:
                days.setdefault(p.day, {})[s.key] = p
        rows = []
        for day in sorted(days):
            cells = [h("th", {"scope": "row"}, f"{day:%a} {day.day} {day:%b %Y}")]
            count = 0
            for s in chart.series:
                p = days[day].get(s.key)
                if p is None:
                    cells += [h("td", None, "—")] * 3
                    continue
                count = max(count, p.count)
                cells += [h("td", None, ref_cell(p.low, s) + (ref_flag(s, Point(0, p.low, p.low, p.low)))),
                          h("td", None, ref_cell(p.high, s) + ref_flag(s, Point(0, p.high, p.high, p.high))),
                          h("td", None, ref_cell(p.value, s))]
            cells.append(h("td", None, str(count)))
            rows.append(h("tr", None, cells))
        return h("table", {"class": "data-table"}, cap, h("thead", None, h("tr", None, head)), h("tbody", None, rows))
    by_entry: dict[str, dict] = {}
    for s in chart.series:
        for p in s.points:
            row = by_entry.setdefault(p.entry_id, {"at": p.at, "by": p.by})
            row[s.key] = (s, p)
    head = [h("th", {"scope": "col"}, "When")] + [h("th", {"scope": "col"}, s.label) for s in chart.series] + \
           [h("th", {"scope": "col"}, "Recorded by")]
    rows = []
    for row in sorted(by_entry.values(), key=lambda r: r["at"]):
        local = to_wall(row["at"], tz)
        cells = [h("th", {"scope": "row"}, f"{local:%a} {local.day} {local:%b %Y} {format_clock(row['at'], tz)}")]
        for s in chart.series:
            found = row.get(s.key)
            cells.append(h("td", None, ref_cell(found[1].value, s) + ref_flag(s, found[1]) if found else "—"))
        cells.append(h("td", None, row["by"]))
        rows.append(h("tr", None, cells))
    return h("table", {"class": "data-table"}, cap, h("thead", None, h("tr", None, head)), h("tbody", None, rows))


# --- the same markup -----------------------------------------------------------------------------

def _events(values: list[tuple[int, str, float, float | None]], tz) -> list[Event]:
    start = day_bounds(FIRST, tz)[0]
    out = []
    for i, (minute, vital, a, b) in enumerate(values):
        if vital == "blood_pressure":
            payload = {"type": vital, "systolic": a, "unit": "mm[Hg]"}
            if b is not None:
                payload["diastolic"] = b
        else:
            payload = {"type": vital, "value": a, "unit": "[lb_av]" if b is not None and b > 80 else "kg"}
        out.append(Event.create(id=f"e{i:04d}", recipient="r", kind="vital", at=start + minute * 60_000,
                                payload=payload, author=["Ann", "Bo & <Cy>", "Dee \"D\""][i % 3], device="d",
                                hlc=f"{i + 1:013d}-000000-d"))
    return out


readings = st.lists(st.tuples(st.integers(0, 95 * 24 * 60), st.sampled_from(["blood_pressure", "weight"]),
                              st.floats(20, 260, allow_nan=False).map(lambda v: round(v, 1)),
                              st.one_of(st.none(), st.floats(30, 160, allow_nan=False).map(lambda v: round(v, 1)))),
                    max_size=120)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(readings, st.sampled_from(["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe"]),
       st.sampled_from(["blood_pressure", "weight"]), st.sampled_from([7, 30, 90]), st.integers(1, 80),
       st.booleans())
def test_table_and_marks_are_the_markup_built_element_by_element(values, zone_name, vital, days, max_points,
                                                                 own_limits):
    tz = zone(zone_name)
    limits = dict(DEFAULT_LIMITS)
    if own_limits:
        limits["weight"] = Limit("weight", "weight", "value", "Weight", "kg", "kg", 60.0, 75.0, decimals=1)
    chart = vital_chart(_events(values, tz), vital, tz, FIRST, FIRST + dt.timedelta(days=days - 1), limits,
                        max_points=max_points)
    assert str(chart_table(chart, tz)) == str(ref_chart_table(chart, tz))
    fast = str(chart_svg(chart, tz))
    old_marks, old_n = chart_views._series_marks, chart_views._n
    try:
        chart_views._series_marks, chart_views._n = ref_series_marks, ref_n
        assert fast == str(chart_svg(chart, tz))
    finally:
        chart_views._series_marks, chart_views._n = old_marks, old_n


@pytest.mark.parametrize("value", [0.0, -0.0, 0.04, -0.04, 0.05, 12.0, 12.25, 12.35, -3.95, 100.0, 1e6, 719.96,
                                   float("nan"), float("inf")])
@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_coordinates_are_the_same_text(value, decimals):
    assert chart_views._n(value, decimals) == ref_n(value, decimals)


@given(st.floats(-1e7, 1e7, allow_nan=False))
def test_any_coordinate_is_the_same_text(value):
    assert chart_views._n(value) == ref_n(value)

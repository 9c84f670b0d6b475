"""Vital-sign charts as escaped SVG markup, with a table of the same data.

``chart_svg`` draws a ``vitalseries.VitalChart``: the usual range between the
recipient's alert limits as a shaded band, each limit as a dashed line, each
series as a line with marks (readings out of range drawn as large red marks),
and, for a downsampled series, each day's lowest-to-highest reading as a bar
with the day's mean on the line. Blood pressure draws two series (systolic
solid with round marks, diastolic dashed with square marks), so colour is
never the only difference. Colours are SVG presentation attributes (the CSP
forbids inline styles), so the chart prints as it shows.

The SVG is ``role="img"`` with a ``<title>`` and a ``<desc>`` holding the text
summary; ``chart_table`` gives every point as a table for screen readers and
print. Everything goes through ``markup.h``, so no text can become markup.

    >>> import datetime as dt
    >>> from carelog.domain.vitalseries import VitalChart
    >>> empty = VitalChart("weight", "Weight", "kg", dt.date(2025, 1, 1), dt.date(2025, 1, 7), ())
    >>> summary(empty)
    'Weight, 1 Jan 2025 to 7 Jan 2025: no readings.'
"""

from __future__ import annotations

import datetime as _dt
import html
import math

from ..domain.validation import _fmt
from ..domain.vitalseries import RANGES, Point, Series, VitalChart
from ..domain.zones import day_bounds, to_wall
from .markup import Markup, h

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 48, 16, 44
COLOURS = ("#1f5f8b", "#a04a00")     # series 1 and 2 (contrast > 4.5:1 on white)
DASHES = (None, "6 4")
BAND_FILL, LIMIT_STROKE, OUT_FILL, GRID = "#2e7d32", "#b71c1c", "#b71c1c", "#c9ced6"
RANGE_WORDS = {7: "7 days", 30: "30 days", 90: "90 days", 365: "365 days"}


def _n(value: float, decimals: int = 1) -> str:
    """A coordinate: short and locale-free."""
    if decimals == 1:  # every coordinate: the same text, without building a format spec per call
        text = f"{value:.1f}"
        if text[-1] != "0":
            return text
        text = text[:-2]  # "12.0" -> "12"
        return "0" if text in ("-0", "") else text
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _v(value: float, decimals: int = 1) -> str:
    return _fmt(round(value, decimals), decimals)


def _day(day: _dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round numbers spanning ``low..high`` (about ``count`` of them).

    >>> nice_ticks(62, 138)
    [60, 80, 100, 120, 140]
    """
    if high <= low:
        high = low + 1
    raw = (high - low) / max(1, count - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value < high + step * 0.999:
        ticks.append(round(value, 6))
        value += step
    return [int(t) if float(t).is_integer() else t for t in ticks]


def _limits(chart: VitalChart) -> list[float]:
    out = []
    for s in chart.series:
        if s.limit is not None and s.points:
            out += [x for x in (s.limit.low, s.limit.high) if x is not None]
    return out


def _y_range(chart: VitalChart) -> tuple[float, float]:
    values = [p.low for s in chart.series for p in s.points] + [p.high for s in chart.series for p in s.points]
    values += _limits(chart)
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or max(1.0, abs(high) * 0.05)
    ticks = nice_ticks(low - pad, high + pad)
    return ticks[0], ticks[-1]


def summary(chart: VitalChart) -> str:
    """The chart in words (the SVG's description and the line under it)."""
    head = f"{chart.label}, {_day(chart.first_day)} to {_day(chart.last_day)}"
    if chart.empty:
        return f"{head}: no readings."
    parts = []
    for s in chart.series:
        if not s.points:
            continue
        low = min(p.low for p in s.points)
        high = max(p.high for p in s.points)
        mean = sum(p.value * p.count for p in s.points) / sum(p.count for p in s.points)
        dec = s.limit.decimals if s.limit is not None else 1
        text = (f"{s.label}: {s.readings} reading{'s' if s.readings != 1 else ''}, from {_v(low, dec)} to "
                f"{_v(high, dec)} {chart.unit_label}, average {_v(mean, dec)}")
        if s.limit is not None and (s.limit.low is not None or s.limit.high is not None):
            out = s.out_of_range()
            unit = "day" if s.daily else "reading"
            text += (f"; {out} {unit}{'s' if out != 1 else ''} beyond the alert limits "
                     f"({s.limit.describe().removeprefix('Alert ')})")
        parts.append(text)
    return f"{head}. " + ". ".join(parts) + "."


def _points_attr(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def chart_svg(chart: VitalChart, tz: _dt.tzinfo, ident: str = "chart") -> Markup:
    """The chart as an SVG element (see the module)."""
    title_id, desc_id = f"{ident}-title", f"{ident}-desc"
    x0, x1 = LEFT, WIDTH - RIGHT
    y0, y1 = TOP, HEIGHT - BOTTOM
    start = day_bounds(chart.first_day, tz)[0]
    end = day_bounds(chart.last_day, tz)[1]
    head = [h("title", {"id": title_id}, f"{chart.label} chart, last {chart.days} days ({chart.unit_label})"),
            h("desc", {"id": desc_id}, summary(chart))]
    attrs = {"viewBox": f"0 0 {WIDTH} {HEIGHT}", "class": "chart-svg", "role": "img", "focusable": "false",
             "aria-labelledby": f"{title_id} {desc_id}", "data-vital": chart.vital,
             "data-days": str(chart.days), "data-daily": "yes" if chart.daily else "no",
             "preserveAspectRatio": "xMidYMid meet"}
    if chart.empty:
        return h("svg", attrs, head,
                 h("rect", {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0, "fill": "none",
                            "stroke": GRID}),
                 h("text", {"x": (x0 + x1) // 2, "y": (y0 + y1) // 2, "text-anchor": "middle",
                            "font-size": "18", "fill": "#333"}, "No readings in this period"))
    vmin, vmax = _y_range(chart)

    def x(ms: int) -> float:
        return x0 + (x1 - x0) * (ms - start) / max(1, end - start)

    def y(value: float) -> float:
        return y1 - (y1 - y0) * (value - vmin) / max(1e-9, vmax - vmin)

    grid = []
    for tick in nice_ticks(vmin, vmax):
        if vmin - 1e-9 <= tick <= vmax + 1e-9:
            grid.append(h("line", {"x1": x0, "x2": x1, "y1": _n(y(tick)), "y2": _n(y(tick)), "stroke": GRID,
                                   "stroke-width": "1"}))
            grid.append(h("text", {"x": x0 - 6, "y": _n(y(tick) + 5), "text-anchor": "end", "font-size": "14",
                                   "fill": "#333"}, _fmt(tick, 2)))
    for day in _x_ticks(chart):
        at = day_bounds(day, tz)[0]
        grid.append(h("line", {"x1": _n(x(at)), "x2": _n(x(at)), "y1": y0, "y2": y1, "stroke": GRID,
                               "stroke-width": "1"}))
        grid.append(h("text", {"x": _n(x(at)), "y": y1 + 20, "text-anchor": "middle", "font-size": "14",
                               "fill": "#333"}, f"{day.day} {day:%b}"))
    bands, lines = [], []
    for i, s in enumerate(chart.series):
        lim = s.limit
        if lim is None or not s.points or (lim.low is None and lim.high is None):
            continue
        top = y(min(vmax, lim.high)) if lim.high is not None else y0
        bottom = y(max(vmin, lim.low)) if lim.low is not None else y1
        bands.append(h("rect", {"class": "band", "data-series": s.key, "x": x0, "width": x1 - x0,
                                "y": _n(top), "height": _n(max(0.0, bottom - top)), "fill": BAND_FILL,
                                "fill-opacity": "0.10"}))
        for side, value in (("high", lim.high), ("low", lim.low)):
            if value is None or not vmin <= value <= vmax:
                continue
            lines.append(h("line", {"class": "limit", "data-series": s.key, "data-side": side,
                                    "x1": x0, "x2": x1, "y1": _n(y(value)), "y2": _n(y(value)),
                                    "stroke": LIMIT_STROKE, "stroke-width": "1.5", "stroke-dasharray": "3 3"}))
            lines.append(h("text", {"x": x1 + 4, "y": _n(y(value) + 5), "font-size": "13", "fill": LIMIT_STROKE},
                           _fmt(value, 2)))
    data = [_series_marks(s, i, x, y) for i, s in enumerate(chart.series) if s.points]
    frame = h("rect", {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0, "fill": "none", "stroke": "#555",
                       "stroke-width": "1"})
    axis = h("text", {"x": 8, "y": y0 + 4, "font-size": "13", "fill": "#333"}, chart.unit_label)
    return h("svg", attrs, head, h("g", {"class": "bands"}, bands), h("g", {"class": "grid"}, grid),
             h("g", {"class": "limits"}, lines), h("g", {"class": "data"}, data), frame, axis)


def _x_ticks(chart: VitalChart) -> list[_dt.date]:
    """A handful of day labels: every day for a week, then weekly, monthly."""
    days = chart.days
    first = chart.first_day
    if days <= 7:
        return [first + _dt.timedelta(days=i) for i in range(days)]
    if days <= 31:
        return [first + _dt.timedelta(days=i) for i in range(0, days, 7)]
    if days <= 92:
        return [first + _dt.timedelta(days=i) for i in range(0, days, 14)]
    out, day = [], first.replace(day=1)
    while day <= chart.last_day:
        if day >= first:
            out.append(day)
        day = (day.replace(day=28) + _dt.timedelta(days=4)).replace(day=1)
    return out[::2] if len(out) > 7 else out


def _series_marks(s: Series, i: int, x, y) -> Markup:
    colour, dash = COLOURS[i % 2], DASHES[i % 2]
    parts = []
    if s.daily:
        xs = [x(p.at + 43_200_000) for p in s.points]
        texts = [_n(cx) for cx in xs]
        bars = "".join([f"M{tx} {_n(y(p.low))}V{_n(y(p.high))}" for tx, p in zip(texts, s.points)])
        parts.append(h("path", {"class": "day-range", "d": bars, "stroke": colour, "stroke-width": "2",
                                "stroke-opacity": "0.45", "fill": "none"}))
    else:
        xs = [x(p.at) for p in s.points]
        texts = [_n(cx) for cx in xs]
    ys = [y(p.value) for p in s.points]
    coords = list(zip(xs, ys))
    line = " ".join([f"{tx},{_n(cy)}" for tx, cy in zip(texts, ys)])  # _points_attr(coords), x formatted once
    parts.append(h("polyline", {"class": "line", "points": line, "fill": "none", "stroke": colour,
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
            marks.append(h("circle", {"class": cls, "cx": _n(cx), "cy": _n(cy), "r": r, "fill": fill,
                                      "stroke": "#fff", "stroke-width": "1"}))
        else:
            marks.append(h("rect", {"class": cls, "x": _n(cx - r), "y": _n(cy - r), "width": 2 * r,
                                    "height": 2 * r, "fill": fill, "stroke": "#fff", "stroke-width": "1"}))
    parts.append(h("g", {"class": "marks"}, marks))
    return h("g", {"class": f"series series-{i + 1}", "data-series": s.key}, parts)


def legend(chart: VitalChart) -> Markup:
    """What the lines, marks and band mean (in words, not colour alone)."""
    items = []
    for i, s in enumerate(chart.series):
        if not s.points:
            continue
        look = ("solid line, round marks" if i % 2 == 0 else "dashed line, square marks")
        if s.daily:
            look += "; bars: each day's lowest to highest, line: the day's average"
        items.append(h("li", {"class": f"legend-{i + 1}"}, f"{s.label}: {look}"))
    if _limits(chart):
        items.append(h("li", {"class": "legend-band"},
                       "Shaded band between dashed red lines: the usual range (the alert limits). "
                       "Large red marks: beyond a limit."))
    return h("ul", {"class": "chart-legend"}, items)


def _cell(value: float, s: Series) -> str:
    return _v(value, s.limit.decimals if s.limit is not None else 1)


def _flag(s: Series, p: Point) -> str:
    if s.limit is None:
        return ""
    side = s.limit.breach(p.high) or s.limit.breach(p.low)
    return {"high": " (high)", "low": " (low)"}.get(side or "", "")


_SIDE_WORDS = {"high": " (high)", "low": " (low)"}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # what %a and %b give in the C locale
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _Cells:
    """A table's cell texts, each number formatted once (a year of days repeats most values)."""

    def __init__(self) -> None:
        self._seen: dict[tuple, str] = {}

    def value(self, value: float, s: Series, flagged: bool = True) -> str:
        """``_cell`` and, when ``flagged``, the side of a limit ``value`` alone is beyond (``_flag``)."""
        key = (value, id(s), flagged)
        text = self._seen.get(key)
        if text is None:
            text = _cell(value, s)
            if flagged and s.limit is not None:
                text += _SIDE_WORDS.get(s.limit.breach(value) or "", "")
            text = self._seen[key] = _text(text)
        return text


def _text(text: str) -> str:
    """Text as ``h`` puts a text child in the page (escaped)."""
    return html.escape(text, quote=False)


def _day_words(day: _dt.date) -> str:
    """``f"{day:%a} {day.day} {day:%b %Y}"`` without three strftime calls."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def chart_table(chart: VitalChart, tz: _dt.tzinfo) -> Markup:
    """Every point of the chart as a table (per reading, or per day when downsampled).

    The rows are one string join (a year is 365 rows of 8 cells): each text
    escaped as ``h`` escapes it, the same markup ``h`` would build cell by cell."""
    caption = f"{chart.label} ({chart.unit_label}), {_day(chart.first_day)} to {_day(chart.last_day)}"
    limits = [f"{s.label}: {s.limit.describe()}" for s in chart.series if s.limit is not None and s.points]
    cap = h("caption", None, caption, " ",
            h("span", {"class": "limits-line"}, " · ".join(limits)) if limits else None)
    if chart.empty:
        return h("p", {"class": "empty"}, "No readings in this period.")
    cells = _Cells()
    out: list[str] = []
    if chart.daily:
        head = [h("th", {"scope": "col"}, "Day")]
        for s in chart.series:
            head += [h("th", {"scope": "col"}, f"{s.label} lowest"), h("th", {"scope": "col"}, f"{s.label} highest"),
                     h("th", {"scope": "col"}, f"{s.label} average")]
        head.append(h("th", {"scope": "col"}, "Readings"))
        days: dict[_dt.date, dict[str, Point]] = {}
        for s in chart.series:
            for p in s.points:
                days.setdefault(p.day, {})[s.key] = p
        for day in sorted(days):
            out += ['<tr><th scope="row">', _text(_day_words(day)), "</th>"]
            count = 0
            for s in chart.series:
                p = days[day].get(s.key)
                if p is None:
                    out.append("<td>—</td>" * 3)
                    continue
                count = max(count, p.count)
                out += ["<td>", cells.value(p.low, s), "</td><td>", cells.value(p.high, s), "</td><td>",
                        cells.value(p.value, s, flagged=False), "</td>"]
            out += ["<td>", str(count), "</td></tr>"]
        return h("table", {"class": "data-table"}, cap, h("thead", None, h("tr", None, head)),
                 h("tbody", None, Markup("".join(out))))
    by_entry: dict[str, dict] = {}
    for s in chart.series:
        for p in s.points:
            row = by_entry.setdefault(p.entry_id, {"at": p.at, "by": p.by})
            row[s.key] = (s, p)
    head = [h("th", {"scope": "col"}, "When")] + [h("th", {"scope": "col"}, s.label) for s in chart.series] + \
           [h("th", {"scope": "col"}, "Recorded by")]
    for row in sorted(by_entry.values(), key=lambda r: r["at"]):
        local = to_wall(row["at"], tz)
        out += ['<tr><th scope="row">', _text(f"{_day_words(local)} {local:%H:%M}"), "</th>"]
        for s in chart.series:
            found = row.get(s.key)
            if found is None:
                out.append("<td>—</td>")
                continue
            p = found[1]
            out += ["<td>", _text(_cell(p.value, s) + _flag(s, p)), "</td>"]
        out += ["<td>", _text(row["by"]), "</td></tr>"]
    return h("table", {"class": "data-table"}, cap, h("thead", None, h("tr", None, head)),
             h("tbody", None, Markup("".join(out))))


TABLE_LATER = "data-table-later"  # a "Show as table" disclosure whose table is made when it opens


def chart_figure(chart: VitalChart, tz: _dt.tzinfo, ident: str = "chart", table: str = "details") -> Markup:
    """Chart, legend, text summary and table. ``table``: "details" (a "Show as table"
    disclosure), "later" (the same disclosure, its table made when it is opened: the DOM glue
    puts ``chart_table`` in it and drops the ``data-table-later`` mark, so it is then the
    "details" markup; the charts screen) or "open" (always shown, for the report)."""
    if table == "later" and not chart.empty:
        data = h("details", {"class": "as-table", TABLE_LATER: later_key(chart)},
                 h("summary", {"class": "button secondary big"}, "Show as table"))
    else:
        data = chart_table(chart, tz)
    if table == "details" and not chart.empty:
        data = h("details", {"class": "as-table"}, h("summary", {"class": "button secondary big"}, "Show as table"),
                 data)
    return h("figure", {"class": "chart", "id": ident, "data-vital": chart.vital},
             h("figcaption", None, h("strong", None, chart.label), f" ({chart.unit_label})"),
             chart_svg(chart, tz, ident + "-svg"),
             legend(chart) if not chart.empty else None,
             h("p", {"class": "chart-summary"}, summary(chart)),
             data)


def later_key(chart: VitalChart) -> str:
    """Which chart a "later" table disclosure belongs to (its vital and period)."""
    return f"{chart.vital}/{chart.days}"


def range_buttons(base_route: str, days: int) -> Markup:
    """Big links to switch between 7, 30, 90 and 365 days."""
    return h("nav", {"class": "range-buttons", "aria-label": "Period"},
             [h("a", {"href": f"{base_route}/{n}", "class": "button big " + ("primary" if n == days else "secondary"),
                      "aria-current": "true" if n == days else None, "data-days": str(n)}, RANGE_WORDS[n])
              for n in RANGES])

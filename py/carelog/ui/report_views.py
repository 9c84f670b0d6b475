"""Charts, the printable visit report, export/import and the handoff share, as pure
functions of ``State`` (see ``report_controller``). Markup only through ``markup.h``.

The report is one ``<article class="report">``: everything around it (top bar,
period form, buttons) is marked ``no-print`` and ``public/css/report.css``
hides it on paper; tables and charts do not split across pages.
"""

from __future__ import annotations

from ..domain.catalogue import VITALS
from ..domain.zones import format_clock, to_wall
from .chart_views import chart_figure, range_buttons
from .markup import Markup, fragment, h
from .state import State

KIND_WORDS = {"medication": "doses", "task": "tasks", "vital": "vital signs", "symptom": "symptoms",
              "note": "notes", "daily_living": "daily living", "appointment": "appointments",
              "alert_ack": "alerts acknowledged"}


def _h1(text: str) -> Markup:
    return h("h1", {"tabindex": "-1"}, text)


def _back(route: str = "#/", label: str = "Back") -> Markup:
    return h("a", {"href": route, "class": "button secondary big"}, label)


def _day(d) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def _at(state: State, ms: int) -> str:
    local = to_wall(ms, state.care.tz)
    return f"{local:%a} {local.day} {local:%b} {format_clock(ms, state.care.tz)}"


# --- charts --------------------------------------------------------------------

def charts_screen(state: State) -> Markup:
    """One vital sign's chart with its band and table; big buttons for the vital and the period."""
    rep = state.report
    chart = rep.chart
    shown = rep.vitals or [rep.vital]
    if rep.vital not in shown:
        shown = shown + [rep.vital]
    return fragment(
        _h1("Vital sign charts"),
        h("nav", {"class": "vital-buttons", "aria-label": "Vital sign"},
          [h("a", {"href": f"#/charts/{key}/{rep.days}", "data-vital": key,
                   "class": "button big " + ("primary" if key == rep.vital else "secondary"),
                   "aria-current": "true" if key == rep.vital else None}, VITALS[key].label) for key in shown]),
        range_buttons(f"#/charts/{rep.vital}", rep.days),
        # the table is made when "Show as table" is opened (report_dom.fill_table)
        chart_figure(chart, state.care.tz, ident=f"chart-{rep.vital}", table="later") if chart is not None else None,
        h("p", {"class": "meta"}, f"Times in {state.care.tz_name}. Alert limits can be changed under Alerts."),
        h("div", {"class": "actions"},
          h("a", {"href": "#/report", "class": "button secondary big"}, "Visit report"),
          h("a", {"href": "#/alerts/limits", "class": "button secondary big"}, "Alert limits"),
          _back()))


# --- visit report --------------------------------------------------------------

def _period_form(state: State) -> Markup:
    base = _views()
    return h("form", {"data-form": "report-period", "novalidate": True, "class": "entry-form period-form no-print"},
             h("div", {"class": "row"},
               base.text_input(state, "first_day", "From", kind="date", required=True),
               base.text_input(state, "last_day", "To", kind="date", required=True)),
             h("div", {"class": "actions"},
               h("button", {"type": "submit", "class": "secondary big"}, "Show this period"),
               [h("a", {"href": f"#/report/{n}", "class": "button secondary big"}, f"Last {n} days")
                for n in (7, 30, 90)]))


def _section(ident: str, title: str, *body) -> Markup:
    return h("section", {"class": "report-section", "aria-labelledby": ident}, h("h2", {"id": ident}, title), *body)


def _table(caption: str, head: list[str], rows: list[list], cls: str = "data-table") -> Markup:
    return h("table", {"class": cls}, h("caption", None, caption),
             h("thead", None, h("tr", None, [h("th", {"scope": "col"}, c) for c in head])),
             h("tbody", None, [h("tr", None, h("th", {"scope": "row"}, r[0]), [h("td", None, c) for c in r[1:]])
                               for r in rows]))


def _medications(state: State, rep) -> Markup:
    rows = []
    for item, a in rep.medications:
        if item.prn:
            taken = f"{a.as_needed} as needed"
            rate = "—"
        else:
            taken = f"{a.given} of {a.due} due"
            rate = a.percent
        detail = ", ".join(x for x in (f"{a.late} late" if a.late else "", f"{a.missed} missed" if a.missed else "",
                                       f"{a.skipped} skipped" if a.skipped else "",
                                       f"{a.refused} refused" if a.refused else "") if x) or "—"
        rows.append([item.label, item.when, taken, rate, detail])
    body = [_table("Medications in the care plan and how many doses were given", ["Medication", "Schedule", "Given",
                                                                                   "Adherence", "Late, missed, not given"],
                   rows) if rows else h("p", {"class": "empty"}, "No medications in the care plan for this period.")]
    if rep.not_given:
        body.append(_table("Doses not given", ["When", "Medication", "What happened", "Why", "Recorded by"],
                           [[_at(state, r.at), r.name, r.status, r.reason or "—", r.by] for r in rep.not_given]))
    return _section("rep-meds", "Medications and adherence", *body)


def _alerts(state: State, rep) -> Markup:
    if not rep.alerts:
        return _section("rep-alerts", "Alerts", h("p", {"class": "empty"}, "No alerts in this period."))
    rows = [[_at(state, v.alert.at), v.alert.title, v.alert.detail or "—",
             f"Acknowledged by {v.ack.by}, {_at(state, v.ack.at)}" if v.ack else "Not acknowledged"]
            for v in rep.alerts]
    return _section("rep-alerts", "Alerts", _table("Alerts and who acknowledged them",
                                                   ["When", "Alert", "Details", "Acknowledged"], rows))


def _symptoms_notes(state: State, rep) -> Markup:
    body = []
    if rep.symptoms:
        body.append(_table("Symptoms", ["When", "Symptom", "Severity (0-10)", "Note", "Recorded by"],
                           [[_at(state, e.at), str(e.payload.get("name", "")), describe_severity(e.payload),
                             str(e.payload.get("note", "") or "—"), e.created_by] for e in rep.symptoms]))
    else:
        body.append(h("p", {"class": "empty"}, "No symptoms recorded in this period."))
    if rep.notes:
        body.append(_table("Notes", ["When", "Note", "Recorded by"],
                           [[_at(state, e.at), str(e.payload.get("text", "")), e.created_by] for e in rep.notes]))
    else:
        body.append(h("p", {"class": "empty"}, "No notes in this period."))
    return _section("rep-notes", "Symptoms and notes", *body)


def describe_severity(payload: dict) -> str:
    value = payload.get("severity")
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else "—"


def _authors(rep) -> Markup:
    if not rep.authors:
        return _section("rep-who", "Who recorded what", h("p", {"class": "empty"}, "Nothing recorded in this period."))
    rows = [[who, str(sum(kinds.values())), ", ".join(f"{n} {KIND_WORDS.get(k, k)}" for k, n in
                                                      sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))]
            for who, kinds in rep.authors]
    return _section("rep-who", "Who recorded what", _table("Entries per caregiver", ["Caregiver", "Entries", "Of which"],
                                                            rows))


def report_body(state: State) -> Markup:
    """The report itself (what prints)."""
    rep = state.report.report
    p = rep.profile
    facts = []
    if p.get("birth_date"):
        facts.append(f"Born {p['birth_date']}")
    if p.get("conditions"):
        facts.append("Conditions: " + ", ".join(str(c) for c in p["conditions"]))
    allergies = [str(a.get("substance", "")) for a in p.get("allergies") or () if isinstance(a, dict)]
    if allergies:
        facts.append("Allergies: " + ", ".join(allergies))
    elif p.get("no_known_allergies"):
        facts.append("No known allergies")
    charts = [chart_figure(c, state.care.tz, ident=f"report-chart-{c.vital}", table="open") for c in rep.charts]
    return h("article", {"class": "report", "aria-labelledby": "report-title",
                         "data-period": f"{rep.first_day.isoformat()}/{rep.last_day.isoformat()}"},
             h("header", {"class": "report-head"},
               h("h1", {"id": "report-title", "tabindex": "-1"}, f"Visit report: {rep.name}"),
               h("p", {"class": "report-period"}, f"{_day(rep.first_day)} to {_day(rep.last_day)} ({rep.days} days)"),
               [h("p", None, f) for f in facts],
               h("p", {"class": "meta"}, f"Made with carelog on {_at(state, rep.now)}; times in {state.care.tz_name}.")),
             _medications(state, rep),
             _section("rep-vitals", "Vital signs",
                      charts or h("p", {"class": "empty"}, "No vital signs recorded in this period.")),
             _alerts(state, rep),
             _symptoms_notes(state, rep),
             _authors(rep))


def report_screen(state: State) -> Markup:
    """Period choice, "Print or save as PDF", and the report."""
    if state.report.report is None:
        return fragment(_h1("Visit report"), h("p", None, "Loading…"))
    problem = _views()._problem(state)
    return fragment(
        h("div", {"class": "no-print report-tools"},
          h("p", {"class": "lead"}, "Choose the period, then print it or save it as a PDF to give to a nurse or doctor."),
          problem,
          _period_form(state),
          h("div", {"class": "actions"},
            h("button", {"type": "button", "class": "primary big", "data-action": "print"}, "Print or save as PDF"),
            _back())),
        report_body(state))


# --- export and import ---------------------------------------------------------

def export_screen(state: State) -> Markup:
    """Download FHIR and CSV; import a care summary from a file."""
    rep = state.report
    csv_buttons = [h("button", {"type": "button", "class": "secondary big", "data-action": "download",
                                "data-id": name}, f"CSV: {name}") for name in rep.files]
    return fragment(
        _h1("Export and import"),
        h("section", {"aria-labelledby": "export-title"},
          h("h2", {"id": "export-title"}, "Save a copy for the care team"),
          h("p", None, "The files are made on this tablet and saved to its downloads. Nothing is sent anywhere."),
          h("div", {"class": "actions"},
            h("button", {"type": "button", "class": "primary big", "data-action": "download", "data-id": "fhir"},
              "Download FHIR R4 (JSON)")),
          h("p", {"class": "hint"}, "FHIR is the format hospital and GP systems read. CSV opens in a spreadsheet."),
          h("div", {"class": "actions csv-buttons"}, csv_buttons) if csv_buttons else
          h("p", {"class": "empty"}, "Nothing recorded yet, so there is no CSV to download.")),
        h("section", {"aria-labelledby": "import-title"},
          h("h2", {"id": "import-title"}, "Import a care summary"),
          h("p", None, "A discharge or transition-of-care summary (a FHIR Bundle file) adds to the profile and "
                       "the care plan. You see what it holds before anything is saved."),
          h("div", {"class": "problem", "role": "alert", "id": "import-problem"}, rep.import_problem)
          if rep.import_problem else None,
          h("div", {"class": "field"},
            h("label", {"for": "f-import-file"}, "Care summary file"),
            h("input", {"type": "file", "id": "f-import-file", "name": "import_file",
                        "accept": ".json,application/json,application/fhir+json"})),
          h("div", {"class": "actions"},
            h("button", {"type": "button", "class": "primary big", "data-action": "import-preview"},
              "Preview the import"))),
        h("div", {"class": "actions"},
          h("a", {"href": "#/report", "class": "button secondary big"}, "Visit report"),
          h("a", {"href": "#/handoff", "class": "button secondary big"}, "Share the handoff"),
          _back()))


def import_preview_screen(state: State) -> Markup:
    """What the file would change; confirm or cancel."""
    preview = state.report.preview
    if preview is None:
        return fragment(_h1("Nothing to import"), _back("#/export"))
    return fragment(
        _h1("Check the import"),
        h("p", {"class": "lead"}, f"From the file {state.report.preview_name}. Nothing has been saved yet."),
        h("ul", {"class": "preview-lines"}, [h("li", None, line) for line in preview.summary()]),
        h("div", {"class": "actions"},
          h("button", {"type": "button", "class": "primary big", "data-action": "import-confirm"},
            "Import into the profile and plan"),
          h("button", {"type": "button", "class": "secondary big", "data-action": "import-cancel"},
            "Cancel, import nothing")))


# --- handoff share -------------------------------------------------------------

def handoff_share_screen(state: State) -> Markup:
    """The handoff as text with a Share (or Copy) button."""
    text = state.report.handoff_text
    return fragment(
        _h1("Share the handoff"),
        h("p", None, "A summary for the next caregiver. Share it by message or copy it to paste anywhere."),
        h("nav", {"class": "range-buttons", "aria-label": "Hours covered"},
          [h("a", {"href": f"#/handoff/{n}", "data-hours": str(n),
                   "class": "button big " + ("primary" if n == state.report.handoff_hours else "secondary"),
                   "aria-current": "true" if n == state.report.handoff_hours else None}, f"Last {n} hours")
           for n in (8, 12, 24)]),
        h("div", {"class": "field"},
          h("label", {"for": "handoff-text"}, "Handoff summary"),
          h("textarea", {"id": "handoff-text", "readonly": True, "rows": str(min(18, 4 + text.count("\n"))),
                         "class": "handoff-text"}, text)),
        h("div", {"class": "actions"},
          h("button", {"type": "button", "class": "primary big", "data-action": "share-handoff"},
            "Share or copy the summary"),
          _back()))


def _views():
    from . import views  # the form helpers; views imports this module at its end
    return views


SCREENS = {"charts": charts_screen, "report": report_screen, "export": export_screen,
           "import_preview": import_preview_screen, "handoff_share": handoff_share_screen}

"""Daily-care screens as pure functions of ``State`` (see ``care_controller``).

Today, the care plan, the profile a paramedic can read, alerts and their
limits, daily living and appointments, plus home's "since you last looked"
panel. Markup only through ``markup.h``; the form helpers are ``views``'s
(imported when called: ``views`` imports this module to register SCREENS).

Times are shown in the recipient's zone (``state.care.tz``).
"""

from __future__ import annotations

from ..domain import careplan, logbook
from ..domain.alerts import DEFAULT_LIMITS
from ..domain.catalogue import MEDICATION_UNITS, ROUTES
from ..domain.handoff import HANDOFF_MAX_MS
from ..domain.profile import SEVERITIES
from ..domain.schedule import KINDS as SCHEDULE_KINDS
from ..domain.today import DONE, DUE, MISSED, OVERDUE, UPCOMING
from ..domain.zones import format_clock, format_when, local_date
from . import profile_choice_views
from .markup import Markup, fragment, h
from .state import State

STATE_LABELS = {UPCOMING: "Later", DUE: "Due now", OVERDUE: "Overdue", MISSED: "Missed", DONE: "Done",
                "skipped": "Skipped", "refused": "Refused"}
NOT_GIVEN = {"refused": "Refused", "skipped": "Skipped"}


def _h1(text: str) -> Markup:
    return h("h1", {"tabindex": "-1"}, text)


def _missing(back: str = "#/") -> Markup:
    return fragment(_h1("Not found"), h("p", None, "This is no longer there. It may have been changed on "
                                                   "another device."), _back(back))


def _back(route: str = "#/", label: str = "Back") -> Markup:
    return h("a", {"href": route, "class": "button secondary big"}, label)


def _route_key(slot: str) -> str:
    from urllib.parse import quote  # noqa: PLC0415 - urllib.parse imports ipaddress: ~100 ms a cold start does not need

    return quote(slot, safe="")


def _today(state: State):
    return local_date(state.now_ms, state.care.tz)


def _when(state: State, ms: int) -> str:
    return format_when(ms, state.care.tz, _today(state))


# --- home ----------------------------------------------------------------------

def home_panel(state: State) -> Markup:
    """Home's daily-care entry points and "since you last looked"."""
    care = state.care
    board = care.board
    to_do = len(board.to_do) if board is not None else 0
    links = [
        ("#/today", "Today", f"{to_do} to do" if to_do else "Nothing due now", "today"),
        ("#/alerts", "Alerts", f"{care.open_alerts} open" if care.open_alerts else "None open", "alerts"),
        ("#/plan", "Care plan", "Medicines and tasks", "plan"),
        ("#/profile", "Profile", "For a paramedic", "profile"),
        ("#/daily", "Daily living", "Meals, drinks, sleep, mood…", "daily"),
        ("#/appointments", "Appointments", "Upcoming and past", "appointments"),
        ("#/charts", "Charts", "Vital signs over time", "charts"),
        ("#/export", "Reports and sharing", "Visit report, export, handoff", "export"),
    ]
    return fragment(
        h("nav", {"aria-label": "Daily care", "class": "care-buttons"},
          [h("a", {"href": href, "class": "log-button" + (" attention" if key == "alerts" and care.open_alerts else ""),
                   "data-care": key},
             h("strong", None, label), h("small", None, sub)) for href, label, sub, key in links]),
        handoff_panel(state))


def handoff_panel(state: State) -> Markup | None:
    """What others recorded since this device last looked."""
    hand = state.care.handoff
    if hand is None:
        return None
    items = []
    for r in hand.given[:5]:
        items.append(h("li", None, f"{r.name}: {'given' if r.kind == 'medication' else 'done'} "
                                   f"{_when(state, r.at)} by {r.by}"))
    for r in hand.not_given[:5]:
        items.append(h("li", None, f"{r.name}: {r.status} {_when(state, r.at)} by {r.by}"
                                   + (f" ({r.reason})" if r.reason else "")))
    for d in hand.missed[:5]:
        items.append(h("li", None, f"Missed: {d.item.name} due {_when(state, d.at)}"))
    for a in hand.alerts[:5]:
        items.append(h("li", None, ("Alert: " if a.open else "Alert (acknowledged): ") + a.alert.title))
    for n in hand.notes[:3]:
        items.append(h("li", None, f"Note by {n.created_by}: {str(n.payload.get('text', ''))[:120]}"))
    return h("section", {"class": "handoff", "aria-labelledby": "handoff-title"},
             h("h2", {"id": "handoff-title"}, "Since you last looked"),
             h("p", {"class": "headline"}, hand.headline()),
             h("ul", None, items) if items else None,
             h("p", {"class": "hint"}, "This shows the last 3 days at most; the timeline has everything.")
             if hand.now - hand.since >= HANDOFF_MAX_MS else None)


# --- today ---------------------------------------------------------------------

def _slot_id(row) -> str:
    return f"{row.item.id}@{row.slot.key}"


def _row(state: State, row) -> Markup:
    item = row.item
    flags = []
    if row.late:
        flags.append(h("span", {"class": "flag late"}, "Late"))
    if row.early:
        flags.append(h("span", {"class": "flag"}, "Early"))
    if row.extra:
        flags.append(h("span", {"class": "flag conflict"}, f"Given {1 + len(row.extra)} times"))
    who = None
    if row.record is not None:
        r = row.record
        who = h("p", {"class": "by"}, f"{STATE_LABELS.get(row.state, row.state)} {_when(state, r.at)} by {r.by}"
                + (f": {r.reason}" if r.reason else ""))
    buttons = None
    if row.state in (UPCOMING, DUE, OVERDUE):
        key = _route_key(row.slot.key)
        if item.is_medication:
            buttons = h("div", {"class": "actions tight"},
                        h("button", {"type": "button", "class": "primary big", "data-action": "dose-given",
                                     "data-id": _slot_id(row)}, f"Given: {item.name}"),
                        h("a", {"href": f"#/today/not-given/{item.id}/{key}", "class": "button secondary big"},
                          "Not given…"))
        else:
            buttons = h("div", {"class": "actions tight"},
                        h("button", {"type": "button", "class": "primary big", "data-action": "task-done",
                                     "data-id": _slot_id(row)}, f"Done: {item.name}"),
                        h("a", {"href": f"#/today/skip/{item.id}/{key}", "class": "button secondary big"},
                          "Skip…"))
    return h("li", {"class": f"due-row state-{row.state}", "data-slot": row.slot.key, "data-item": item.id},
             h("div", {"class": "due-head"},
               h("time", None, format_clock(row.slot.at, state.care.tz)),
               h("strong", None, item.label),
               h("span", {"class": f"badge state-{row.state}"}, STATE_LABELS.get(row.state, row.state)),
               flags),
             h("p", {"class": "hint"}, item.instructions) if item.instructions else None,
             who, buttons)


def today_screen(state: State) -> Markup:
    """What is due, overdue and done today, in time order; one tap to record."""
    care, board = state.care, state.care.board
    if board is None:
        return fragment(_h1("Today"), h("p", None, "Loading…"))
    to_do = board.to_do
    done = board.in_state(DONE, "skipped", "refused", MISSED)
    prn = [h("li", {"class": "due-row"},
             h("div", {"class": "due-head"}, h("strong", None, p.item.label),
               h("span", {"class": "hint"}, p.item.when)),
             h("p", {"class": "by"}, (f"Last given {_when(state, p.last.at)} by {p.last.by}. " if p.last else "")
               + f"{p.in_24h} in the last 24 hours."
               + (f" Next allowed {_when(state, p.next_allowed)}." if p.next_allowed else " Can be given now.")),
             h("div", {"class": "actions tight"},
               h("button", {"type": "button", "class": "primary big", "data-action": "dose-given",
                            "data-id": f"{p.item.id}@"}, f"Given: {p.item.name}"),
               h("a", {"href": f"#/today/not-given/{p.item.id}/-", "class": "button secondary big"}, "Not given…")))
           for p in board.prn]
    empty_plan = not board.rows and not board.prn
    return fragment(
        _h1("Today"),
        h("p", {"class": "meta"}, f"{board.day:%A %d %B %Y}, times in {care.tz_name}"),
        h("p", None, "Nothing is planned today.") if empty_plan else None,
        h("a", {"href": "#/plan", "class": "button secondary big"}, "Open the care plan") if empty_plan else None,
        h("section", {"aria-labelledby": "todo-title"},
          h("h2", {"id": "todo-title"}, "To do"),
          h("ol", {"class": "due-list"}, [_row(state, r) for r in to_do]) if to_do else
          h("p", {"class": "empty"}, "Nothing left to do today.")) if not empty_plan else None,
        h("section", {"aria-labelledby": "prn-title"},
          h("h2", {"id": "prn-title"}, "As needed"), h("ul", {"class": "due-list"}, prn)) if prn else None,
        h("section", {"aria-labelledby": "done-title"},
          h("h2", {"id": "done-title"}, "Done and missed"),
          h("ol", {"class": "due-list"}, [_row(state, r) for r in done])) if done else None,
        _back())


def dose_reason_screen(state: State) -> Markup:
    """Why a dose was not given, or a task skipped."""
    base = _views()
    if state.care.target is None or state.care.item is None:
        return _missing("#/today")
    kind, item_id, slot = state.care.target
    item = state.care.item
    when = f" ({slot[11:16]})" if len(slot) >= 16 else ""
    if kind == "dose":
        return base._form(f"dose-not:{item_id}@{slot}", f"Not given: {item.name}{when}", state,
                          base.choice_buttons(state, "status", "What happened", NOT_GIVEN, "refused"),
                          base.text_input(state, "reason", "Why", required=True,
                                          hint="For example: asleep, felt sick, none left."),
                          submit="Save", cancel_route="#/today")
    return base._form(f"task-skip:{item_id}@{slot}", f"Skip: {item.name}{when}", state,
                      base.text_input(state, "reason", "Why", required=True),
                      submit="Save", cancel_route="#/today")


def dose_confirm_screen(state: State) -> Markup:
    """The double-dose guard said stop: say who gave it and when, before anything is saved."""
    if state.care.confirm is None:
        return _missing("#/today")
    item_id, slot, cautions = state.care.confirm
    name = state.care.item.name if state.care.item is not None else "this medicine"
    return fragment(
        h("h1", {"tabindex": "-1"}, f"Check before giving {name}"),
        h("div", {"class": "problem guard", "role": "alert", "id": "guard"},
          h("p", None, "Nothing has been saved yet."),
          h("ul", None, [h("li", None, c.message) for c in cautions])),
        h("div", {"class": "actions"},
          h("a", {"href": "#/today", "class": "button primary big"}, "Do not give"),
          h("button", {"type": "button", "class": "danger big", "data-action": "dose-given-confirmed",
                       "data-id": f"{item_id}@{slot}"}, "Give anyway and record it")))


# --- care plan -----------------------------------------------------------------

def _plan_card(state: State, item) -> Markup:
    today = _today(state)
    ended = item.end is not None and item.end < today
    dates = f"From {item.start:%d %b %Y}" + (f" to {item.end:%d %b %Y}" if item.end else "")
    return h("li", {"class": "card plan-item" + (" ended" if ended else ""), "data-item": item.id},
             h("strong", None, item.label),
             h("p", None, item.when),
             h("p", {"class": "meta"}, dates + (" (stopped)" if ended else "")),
             h("p", {"class": "hint"}, item.instructions) if item.instructions else None,
             _adherence_line(state, item),
             h("div", {"class": "actions tight"},
               h("a", {"href": f"#/plan/{item.id}", "class": "button secondary big",
                       "aria-label": f"Change {item.name}"}, "Change"),
               h("button", {"type": "button", "class": "danger big", "data-action": "plan-end", "data-id": item.id,
                            "aria-label": f"Stop {item.name} after today"}, "Stop after today")
               if not ended and (item.end is None or item.end > today) else None))


def _adherence_line(state: State, item) -> Markup | None:
    pair = state.care.adherence.get(item.id)
    if not pair or not item.is_medication:
        return None
    today, week = pair
    if item.prn:
        return h("p", {"class": "adherence"}, f"Given today: {today.as_needed}; this week: {week.as_needed}")
    return h("p", {"class": "adherence"},
             f"Today: {today.given} of {today.due} due given · This week: {week.given} of {week.due} ({week.percent})"
             + (f", {week.missed} missed" if week.missed else ""))


def plan_screen(state: State) -> Markup:
    """Medications and tasks with their schedules."""
    meds = [i for i in state.care.plan if i.is_medication]
    tasks = [i for i in state.care.plan if not i.is_medication]
    return fragment(
        _h1("Care plan"),
        h("p", {"class": "meta"}, f"Times are in {state.care.tz_name}."),
        h("div", {"class": "actions"},
          h("a", {"href": "#/plan/new/med_plan", "class": "button primary big"}, "Add a medication"),
          h("a", {"href": "#/plan/new/task_plan", "class": "button secondary big"}, "Add a task")),
        h("h2", None, "Medications"),
        h("ul", {"class": "cards"}, [_plan_card(state, i) for i in meds]) if meds else
        h("p", {"class": "empty"}, "No medications in the plan."),
        h("h2", None, "Tasks and routines"),
        h("ul", {"class": "cards"}, [_plan_card(state, i) for i in tasks]) if tasks else
        h("p", {"class": "empty"}, "No tasks in the plan."),
        _back())


def plan_form_screen(state: State) -> Markup:
    """Add or change a medication or task."""
    base = _views()
    care = state.care
    med = care.plan_kind == careplan.MED_PLAN
    kinds = dict(SCHEDULE_KINDS) if med else {k: v for k, v in SCHEDULE_KINDS.items() if k != "prn"}
    if care.item is not None:
        name, title = f"plan-edit:{care.item.id}", f"Change {care.item.name}"
    else:
        name, title = f"plan:{care.plan_kind}", "Add a medication" if med else "Add a task"
    fields = [base.text_input(state, "name", "Medication" if med else "Task", required=True,
                              hint="As on the label, e.g. Metformin." if med else "e.g. Reposition, check feet.")]
    if med:
        fields += [base.text_input(state, "strength", "Strength (optional)", hint="e.g. 500 mg"),
                   h("div", {"class": "row"},
                     base.text_input(state, "dose", "Dose", inputmode="decimal", hint="A number, e.g. 1"),
                     base.select(state, "unit", "Unit", MEDICATION_UNITS, default="{tablet}")),
                   base.select(state, "route", "How it is given", ROUTES, default="oral")]
    fields += [
        base.select(state, "schedule", "How often", kinds, default="daily"),
        base.text_input(state, "times", "Times of day", hint="For set times: e.g. 08:00, 20:00"),
        base.text_input(state, "weekdays", "Days of the week", hint="For chosen days: e.g. Mon, Wed, Fri"),
        h("div", {"class": "row"},
          base.text_input(state, "every_hours", "Every how many hours", inputmode="numeric",
                          hint="For every few hours"),
          base.text_input(state, "first_time", "First time on the start date", hint="e.g. 06:00")),
    ]
    if med:
        fields.append(h("div", {"class": "row"},
                        base.text_input(state, "min_interval_hours", "Hours between doses", inputmode="decimal",
                                        hint="Only when needed: at least this long apart"),
                        base.text_input(state, "max_per_day", "Most doses in 24 hours", inputmode="numeric",
                                        hint="Only when needed")))
    fields += [
        h("div", {"class": "row"},
          base.text_input(state, "start_date", "Start date", kind="date", required=True),
          base.text_input(state, "end_date", "End date (optional)", kind="date")),
        base.text_input(state, "window_minutes", "On time within (minutes, optional)", inputmode="numeric",
                        hint="Default 60 minutes either side."),
        base.textarea(state, "instructions", "Instructions (optional)"),
    ]
    return base._form(name, title, state, *fields, cancel_route="#/plan")


# --- profile -------------------------------------------------------------------

def profile_screen(state: State) -> Markup:
    """One screen a paramedic could read."""
    care = state.care
    if care.profile is None:
        return fragment(_h1("Profile"),
                        h("p", None, "No profile yet: add allergies, conditions and who to call."),
                        h("div", {"class": "actions"},
                          h("a", {"href": "#/profile/edit", "class": "button primary big"}, "Add the profile"),
                          _back()))
    return fragment(
        _h1(f"Emergency information: {care.profile.payload.get('name', '')}"),
        profile_choice_views.notice(state),
        [h("section", {"class": f"sheet sheet-{sec.title.split()[0].lower()}"},
           h("h2", None, sec.title),
           h("ul", None, [h("li", None, line) for line in sec.lines])) for sec in care.sheet],
        h("p", {"class": "meta"}, f"Time zone: {care.tz_name}. Last changed by {care.profile.updated_by}."),
        h("div", {"class": "actions"},
          h("a", {"href": "#/profile/edit", "class": "button secondary big"}, "Change the profile"),
          _back()))


def _rows(state: State, group: str, fields: list[tuple[str, str]], legend: str, extra_blank: int = 1) -> Markup:
    base = _views()
    prefix = f"{group}."
    used = sorted({int(k.split(".")[1]) for k in state.form_values if k.startswith(prefix) and k.split(".")[1].isdigit()})
    count = (max(used) + 1 if used else 0) + extra_blank
    sets = []
    for i in range(count):
        controls = []
        for key, label in fields:
            name = f"{group}.{i}.{key}"
            if key == "severity":
                controls.append(base.select(state, name, label, SEVERITIES, default="unknown"))
            else:
                controls.append(base.text_input(state, name, label, kind="tel" if key.startswith("phone") else "text"))
        sets.append(h("fieldset", {"class": "group-row"}, h("legend", None, f"{legend} {i + 1}"), controls))
    return fragment(sets)


def profile_form_screen(state: State) -> Markup:
    """Name, time zone, conditions, allergies, contacts."""
    base = _views()
    nka = str(state.form_values.get("no_known_allergies", "")).lower() in ("1", "true", "yes", "on")
    return base._form(
        "profile", "Profile", state,
        base.text_input(state, "name", "Name", required=True),
        base.text_input(state, "birth_date", "Date of birth (optional)", kind="date"),
        base.text_input(state, "timezone", "Time zone where they live", required=True,
                        hint="Like Europe/London or America/New_York. The care plan's times are in this zone."),
        base.textarea(state, "conditions", "Conditions (one per line)"),
        h("h2", None, "Allergies"),
        h("div", {"class": "field"},
          h("label", {"class": "choice"},
            h("input", {"type": "checkbox", "name": "no_known_allergies", "value": "yes", "checked": nka,
                        "id": "f-no_known_allergies"}),
            h("span", None, "No known allergies")),
          h("p", {"class": "error", "role": "alert"}, state.form_errors["no_known_allergies"])
          if "no_known_allergies" in state.form_errors else None),
        _rows(state, "allergies", [("substance", "Allergic to"), ("reaction", "Reaction"),
                                   ("severity", "How severe")], "Allergy"),
        h("h2", None, "Emergency contacts"),
        _rows(state, "emergency_contacts", [("name", "Name"), ("relationship", "Relationship"),
                                            ("phone", "Phone")], "Contact"),
        h("h2", None, "Care team"),
        _rows(state, "care_team", [("role", "Role (GP, nurse…)"), ("name", "Name"),
                                   ("organisation", "Organisation"), ("phone", "Phone")], "Care team member"),
        base.textarea(state, "notes", "Important notes (optional)", hint="e.g. DNACPR form on the fridge."),
        cancel_route="#/profile")


# --- alerts --------------------------------------------------------------------

def alerts_screen(state: State) -> Markup:
    """Alerts of the last 7 days: open first; acknowledge with one tap."""
    views = state.care.alerts
    cards = []
    for v in views:
        a = v.alert
        cards.append(h("li", {"class": f"card alert {'open' if v.open else 'acked'} level-{a.level}",
                              "data-alert": a.id},
                       h("strong", None, a.title),
                       h("p", None, a.detail) if a.detail else None,
                       h("p", {"class": "meta"}, _when(state, a.at)),
                       h("button", {"type": "button", "class": "primary big", "data-action": "ack", "data-id": a.id,
                                    "aria-label": f"Acknowledge: {a.title}"}, "Acknowledge")
                       if v.open else
                       h("p", {"class": "by"}, f"Acknowledged by {v.ack.by} at {_when(state, v.ack.at)}")))
    return fragment(
        _h1("Alerts"),
        h("ul", {"class": "cards"}, cards) if cards else h("p", {"class": "empty"}, "No alerts in the last 7 days."),
        h("div", {"class": "actions"},
          h("a", {"href": "#/alerts/limits", "class": "button secondary big"}, "Alert limits"), _back()))


def limits_screen(state: State) -> Markup:
    """Every limit, changed or usual, with a way to change it."""
    items = []
    for key, lim in state.care.limits.items():
        changed = lim != DEFAULT_LIMITS.get(key)
        items.append(h("li", {"class": "card", "data-limit": key},
                       h("strong", None, lim.label),
                       h("p", None, lim.describe() + (" (changed)" if changed else "")),
                       h("a", {"href": f"#/alerts/limits/{key}", "class": "button secondary big",
                               "aria-label": f"Change the limit for {lim.label}"}, "Change")))
    return fragment(_h1("Alert limits"), h("ul", {"class": "cards"}, items), _back("#/alerts"))


def limit_form_screen(state: State) -> Markup:
    """Change one limit (empty: no alert on that side)."""
    base = _views()
    key = state.care.limit_key
    lim = state.care.limits.get(key)
    if lim is None:
        return _missing("#/alerts/limits")
    return fragment(
        base._form(f"limit:{key}", f"Alert limit: {lim.label}", state,
                   base.text_input(state, "low", f"Alert below ({lim.unit_label})", inputmode="decimal",
                                   hint="Leave empty for no alert on the low side."),
                   base.text_input(state, "high", f"Alert above ({lim.unit_label})", inputmode="decimal",
                                   hint="Leave empty for no alert on the high side."),
                   cancel_route="#/alerts/limits"),
        h("button", {"type": "button", "class": "secondary big", "data-action": "limit-reset", "data-id": key},
          "Back to the usual limit"))


# --- daily living and appointments --------------------------------------------

def daily_screen(state: State) -> Markup:
    """Choose what to log; recent entries below."""
    recent = [h("li", None, f"{_when(state, e.at)} {logbook.CATEGORIES.get(e.payload.get('category'), '')}"
                            f" — by {e.created_by}") for e in state.care.recent_daily]
    return fragment(
        _h1("Daily living"),
        h("nav", {"class": "log-buttons", "aria-label": "Daily living"},
          [h("a", {"href": f"#/daily/{k}", "class": "log-button", "data-category": k}, h("strong", None, v))
           for k, v in logbook.CATEGORIES.items()]),
        h("h2", None, "Recent"),
        h("ul", None, recent) if recent else h("p", {"class": "empty"}, "Nothing logged yet."),
        _back())


def daily_form_screen(state: State) -> Markup:
    """The fields of one daily-living category, when (now or earlier) and a note."""
    base = _views()
    cat = state.care.daily_category or "meals"
    return base._form(f"daily:{cat}", logbook.CATEGORIES[cat], state, *daily_fields(state, cat),
                      cancel_route="#/daily")


def daily_fields(state: State, cat: str) -> list[Markup]:
    """A daily-living category's fields (to log and to edit)."""
    base = _views()
    f = {
        "meals": lambda: [base.select(state, "meal", "Meal", logbook.MEALS, blank="—"),
                          base.choice_buttons(state, "portion", "How much was eaten", logbook.PORTIONS, "all")],
        "fluids": lambda: [base.text_input(state, "amount_ml", "Amount (mL)", inputmode="numeric", required=True),
                           base.text_input(state, "drink", "Drink (optional)")],
        "sleep": lambda: [base.text_input(state, "hours", "Hours of sleep", inputmode="decimal"),
                          base.choice_buttons(state, "quality", "How well", logbook.SLEEP_QUALITY, "good")],
        "bowel": lambda: [base.text_input(state, "stool_type", "Stool type (Bristol 1-7, optional)", inputmode="numeric"),
                          base.choice_buttons(state, "continence", "Continence", logbook.CONTINENCE, "continent")],
        "bladder": lambda: [base.choice_buttons(state, "continence", "Continence", logbook.CONTINENCE, "continent")],
        "mobility": lambda: [base.choice_buttons(state, "level", "How they moved", logbook.MOBILITY, "independent")],
        "fall": lambda: [base.choice_buttons(state, "injury", "Any injury", logbook.INJURY, "none"),
                         base.text_input(state, "where", "Where it happened (optional)")],
        "mood": lambda: [base.choice_buttons(state, "mood", "Mood", logbook.MOODS, "calm")],
    }.get(cat, list)()
    return [*f, base.time_input(state), base.textarea(state, "note", "Note (optional)")]


def _appointment(state: State, a) -> Markup:
    p = a.entry.payload
    bits = [x for x in (p.get("place"), f"with {p['with_whom']}" if p.get("with_whom") else "",
                        f"{p['who_goes']} goes" if p.get("who_goes") else "") if x]
    return h("li", {"class": "card"},
             h("strong", None, f"{_when(state, a.starts)} {a.title}"),
             h("p", None, ", ".join(bits)) if bits else None,
             h("p", {"class": "hint"}, p.get("notes")) if p.get("notes") else None)


def appointments_screen(state: State) -> Markup:
    care = state.care
    return fragment(
        _h1("Appointments"),
        h("a", {"href": "#/appointments/new", "class": "button primary big"}, "Add an appointment"),
        h("h2", None, "Upcoming"),
        h("ul", {"class": "cards"}, [_appointment(state, a) for a in care.upcoming]) if care.upcoming
        else h("p", {"class": "empty"}, "None planned."),
        h("h2", None, "Past"),
        h("ul", {"class": "cards"}, [_appointment(state, a) for a in care.past[:20]]) if care.past
        else h("p", {"class": "empty"}, "None yet."),
        _back())


def appointment_form_screen(state: State) -> Markup:
    base = _views()
    return base._form("appointment", "Add an appointment", state, *appointment_fields(state),
                      cancel_route="#/appointments")


def appointment_fields(state: State) -> list[Markup]:
    """An appointment's fields (to add and to edit)."""
    base = _views()
    return [
        base.text_input(state, "title", "What it is", required=True, hint="e.g. Heart clinic check-up"),
        base.text_input(state, "starts", "Date and time", kind="datetime-local", required=True,
                        hint=f"In {state.care.tz_name} time."),
        base.text_input(state, "place", "Where (optional)"),
        base.text_input(state, "with_whom", "With whom (optional)"),
        base.text_input(state, "who_goes", "Who goes (optional)"),
        base.textarea(state, "notes", "Notes (optional)"),
    ]


def entry_fields(state: State, kind: str) -> list[Markup] | None:
    """The edit form's fields of a daily-care kind in the timeline (None: not one)."""
    base = _views()
    if kind == logbook.DAILY_LIVING:
        cat = str(state.form_values.get("category", "") or "")
        if cat not in logbook.CATEGORIES:
            return [h("p", {"class": "hint"}, "This entry can be changed only in a newer version of carelog.")]
        return [h("p", {"class": "meta"}, logbook.CATEGORIES[cat]), *daily_fields(state, cat)]
    if kind == logbook.APPOINTMENT:
        return appointment_fields(state)
    if kind == careplan.TASK:
        return [base.choice_buttons(state, "status", "What happened", careplan.TASK_OUTCOMES, careplan.DONE),
                base.text_input(state, "reason", "Reason (if skipped)"),
                base.time_input(state), base.textarea(state, "note", "Note (optional)")]
    return None


SCREENS = {
    "today": today_screen, "dose_reason": dose_reason_screen, "dose_confirm": dose_confirm_screen,
    "plan": plan_screen, "plan_form": plan_form_screen, "profile": profile_screen,
    "profile_form": profile_form_screen, "alerts": alerts_screen, "limits": limits_screen,
    "limit_form": limit_form_screen, "daily": daily_screen, "daily_form": daily_form_screen,
    "appointments": appointments_screen, "appointment_form": appointment_form_screen,
}
FORM_SCREENS = frozenset({"dose_reason", "plan_form", "profile_form", "limit_form", "daily_form",
                          "appointment_form"})


def _views():
    from . import views  # the form helpers; views imports this module at its end
    return views

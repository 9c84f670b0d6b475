"""Screens as pure functions of ``State``: no DOM, no I/O, testable under CPython.

Every user-visible text goes through ``markup.h``, so it is escaped by
construction. Buttons and links carry ``data-action`` names that the DOM glue
dispatches to the controller; forms carry ``data-form``.

    >>> from carelog.ui.state import State
    >>> "Your name" in render(State(screen="welcome"))
    True
"""

from __future__ import annotations

from ..domain import timefmt
from ..domain.catalogue import MEDICATION_OUTCOMES, MEDICATION_UNITS, ROUTES, VITALS
from ..domain.fold import Entry
from .describe import KIND_LABELS, describe_payload
from .notify_policy import STATUS_WORDS
from .markup import Markup, fragment, h
from .state import State

LOG_BUTTONS = (
    ("medication", "Medication", "Given, skipped or refused"),
    ("vital", "Vital sign", "Blood pressure, pulse, temperature…"),
    ("symptom", "Symptom", "Pain, nausea, confusion…"),
    ("note", "Note", "Anything else"),
)


# --- building blocks -------------------------------------------------------

def _field(state: State, name: str, label: str, control: Markup, hint: str = "") -> Markup:
    error = state.form_errors.get(name)
    return h("div", {"class": "field" + (" has-error" if error else "")},
             h("label", {"for": f"f-{name}"}, label),
             h("p", {"class": "hint", "id": f"hint-{name}"}, hint) if hint else None,
             control,
             h("p", {"class": "error", "id": f"err-{name}", "role": "alert"}, error) if error else None)


def _described(state: State, name: str, hint: str) -> str | None:
    ids = ([f"hint-{name}"] if hint else []) + ([f"err-{name}"] if name in state.form_errors else [])
    return " ".join(ids) or None


def text_input(state: State, name: str, label: str, *, kind: str = "text", required: bool = False,
               hint: str = "", inputmode: str | None = None, autocomplete: str = "off",
               value: object = None, extra: dict | None = None) -> Markup:
    """A labelled input that keeps what was typed and shows its error."""
    current = state.form_values.get(name, value)
    attrs = {"id": f"f-{name}", "name": name, "type": kind, "required": required,
             "value": "" if current is None else current, "inputmode": inputmode,
             "autocomplete": autocomplete, "aria-invalid": "true" if name in state.form_errors else None,
             "aria-describedby": _described(state, name, hint)}
    attrs.update(extra or {})
    return _field(state, name, label, h("input", attrs), hint)


def textarea(state: State, name: str, label: str, *, required: bool = False, hint: str = "") -> Markup:
    """A labelled multi-line text box."""
    return _field(state, name, label, h(
        "textarea", {"id": f"f-{name}", "name": name, "rows": "4", "required": required,
                     "aria-invalid": "true" if name in state.form_errors else None,
                     "aria-describedby": _described(state, name, hint)},
        str(state.form_values.get(name, "") or "")), hint)


def select(state: State, name: str, label: str, options: dict[str, str], *, default: str = "",
           blank: str | None = None) -> Markup:
    """A labelled drop-down list."""
    chosen = str(state.form_values.get(name, default) or "")
    opts = [h("option", {"value": ""}, blank)] if blank is not None else []
    opts += [h("option", {"value": key, "selected": key == chosen}, text) for key, text in options.items()]
    return _field(state, name, label, h(
        "select", {"id": f"f-{name}", "name": name,
                   "aria-invalid": "true" if name in state.form_errors else None,
                   "aria-describedby": _described(state, name, "")}, opts))


def choice_buttons(state: State, name: str, label: str, options: dict[str, str], default: str) -> Markup:
    """Big radio buttons (one tap each)."""
    chosen = str(state.form_values.get(name, default) or default)
    error = state.form_errors.get(name)
    return h("fieldset", {"class": "choices"},
             h("legend", None, label),
             [h("label", {"class": "choice"},
                h("input", {"type": "radio", "name": name, "value": key, "checked": key == chosen}),
                h("span", None, text)) for key, text in options.items()],
             h("p", {"class": "error", "role": "alert"}, error) if error else None)


def time_input(state: State) -> Markup:
    """When it happened: defaults to now, can be changed."""
    default = timefmt.format_input(state.now_ms, state.offset_minutes)
    return text_input(state, "at_local", "When", kind="datetime-local", value=default,
                      hint="Now, unless you change it.")


def _problem(state: State) -> Markup | None:
    if not state.form_problem:
        return None
    return h("div", {"class": "problem", "role": "alert", "id": "form-problem"}, state.form_problem)


def _form(name: str, title: str, state: State, *fields, submit: str = "Save",
          cancel_route: str = "#/", after: Markup | None = None) -> Markup:
    return fragment(
        h("h1", {"tabindex": "-1"}, title),
        _problem(state),
        h("form", {"data-form": name, "novalidate": True, "class": "entry-form"},
          *fields,
          h("div", {"class": "actions"},
            h("button", {"type": "submit", "class": "primary big"}, submit),
            h("a", {"href": cancel_route, "class": "button secondary big"}, "Cancel"))),
        after)


# --- screens ---------------------------------------------------------------

def welcome(state: State) -> Markup:
    """First start on this device: who is using it."""
    return fragment(
        h("h1", {"tabindex": "-1"}, "Welcome to carelog"),
        h("p", {"class": "lead"}, "carelog keeps a log of care: medicines, vital signs, symptoms and notes. "
                                  "It works without internet once opened."),
        _problem(state),
        h("form", {"data-form": "caregiver", "novalidate": True},
          text_input(state, "name", "Your name", required=True, autocomplete="name",
                     hint="Shown next to everything you record, so others know who did it."),
          h("div", {"class": "actions"}, h("button", {"type": "submit", "class": "primary big"}, "Continue"))))


def add_recipient(state: State) -> Markup:
    """Add the person being cared for."""
    return _form("recipient", "Who do you care for?", state,
                 text_input(state, "name", "Their name", required=True, autocomplete="off"),
                 text_input(state, "birth_date", "Date of birth (optional)", kind="date"),
                 submit="Add", cancel_route="#/recipients" if state.recipients else "#/",
                 after=None if state.recipients else h(
                     "a", {"href": "#/storage", "class": "button secondary big"}, "Restore from a backup"))


def recipients_screen(state: State) -> Markup:
    """Pick who you are caring for now."""
    return fragment(
        h("h1", {"tabindex": "-1"}, "Choose a person"),
        h("ul", {"class": "cards"}, [
            h("li", None, h("button", {"type": "button", "class": "card big", "data-action": "choose-recipient",
                                       "data-id": r.id, "aria-current": "true" if state.recipient and r.id == state.recipient.id else None},
                            h("strong", None, r.payload.get("name", "")),
                            h("small", None, f"Born {r.payload['birth_date']}") if r.payload.get("birth_date") else None))
            for r in state.recipients]),
        h("a", {"href": "#/recipients/new", "class": "button secondary big"}, "Add a person"))


def home(state: State) -> Markup:
    """Log buttons on top, the timeline below."""
    name = state.recipient.payload.get("name", "") if state.recipient else ""
    return fragment(
        h("h1", {"tabindex": "-1", "class": "recipient-name"}, name),
        care_views.home_panel(state),
        h("nav", {"aria-label": "Record something", "class": "log-buttons"},
          [h("a", {"href": f"#/log/{kind}", "class": "log-button", "data-kind": kind},
             h("strong", None, label), h("small", None, sub)) for kind, label, sub in LOG_BUTTONS]),
        h("section", {"aria-labelledby": "timeline-title"},
          h("h2", {"id": "timeline-title"}, "Timeline"),
          h("a", {"href": "#/timeline", "class": "button secondary big", "data-care": "timeline"},
            "Filter and search"),
          timeline_list(state)))


def timeline_list(state: State) -> Markup:
    """Entries newest first, grouped by day, each showing who recorded it."""
    if not state.timeline:
        return h("p", {"class": "empty"}, "Nothing recorded yet. Tap a button above to start.")
    groups: list[tuple[str, list[Entry]]] = []
    for entry in state.timeline:
        offset = state.offset_at(entry.at)
        day = timefmt.format_day(entry.at, offset, state.now_ms, state.offset_minutes)
        if not groups or groups[-1][0] != day:
            groups.append((day, []))
        groups[-1][1].append(entry)
    return fragment([
        h("section", {"class": "day"},
          h("h3", None, day),
          h("ol", {"class": "timeline"}, [_timeline_item(state, e) for e in entries]))
        for day, entries in groups])


def _timeline_item(state: State, entry: Entry) -> Markup:
    clock = timefmt.format_clock(entry.at, state.offset_at(entry.at))
    flags = []
    if entry.in_conflict:
        flags.append(h("span", {"class": "flag conflict"}, "Two versions"))
    if entry.edited:
        flags.append(h("span", {"class": "flag"}, "Edited"))
    return h("li", {"class": f"item kind-{entry.kind}", "data-entry": entry.id},
             h("a", {"href": f"#/entry/{entry.id}", "class": "item-link"},
               h("time", None, clock),
               h("span", {"class": "kind"}, KIND_LABELS.get(entry.kind, entry.kind)),
               h("span", {"class": "summary"}, describe_payload(entry.kind, entry.payload)),
               h("span", {"class": "by"}, f"by {entry.created_by}"),
               flags))


def log_chooser_vital(state: State) -> Markup:
    """Second tap for vital signs: which one."""
    return fragment(
        h("h1", {"tabindex": "-1"}, "Which vital sign?"),
        h("nav", {"class": "log-buttons", "aria-label": "Vital signs"},
          [h("a", {"href": f"#/log/vital/{v.key}", "class": "log-button", "data-vital": v.key},
             h("strong", None, v.label)) for v in VITALS.values()]),
        h("a", {"href": "#/", "class": "button secondary big"}, "Cancel"))


def entry_fields(state: State, kind: str, vital_type: str | None) -> list[Markup]:
    """The form fields of one kind (used to log and to edit)."""
    care_fields = care_views.entry_fields(state, kind)  # daily living, appointments, tasks
    if care_fields is not None:
        return care_fields
    if kind == "medication":
        return [
            text_input(state, "name", "Medication", required=True, hint="As on the label, e.g. Metformin."),
            choice_buttons(state, "status", "What happened", MEDICATION_OUTCOMES, "given"),
            h("div", {"class": "row"},
              text_input(state, "dose", "Dose", inputmode="decimal", hint="A number, e.g. 500"),
              select(state, "unit", "Unit", MEDICATION_UNITS, default="mg")),
            select(state, "route", "How it was given", ROUTES, default="oral"),
            text_input(state, "reason", "Reason (if skipped or refused)"),
            time_input(state),
            textarea(state, "note", "Note (optional)"),
        ]
    if kind == "vital":
        vital = VITALS.get(vital_type or "blood_pressure")
        if vital is None:  # a reading type added by a newer carelog
            return [h("p", {"class": "hint"}, "This reading can be changed only in a newer version of carelog.")]
        fields = [h("input", {"type": "hidden", "name": "type", "value": vital.key})]
        unit_label = vital.default_unit.label
        for component in vital.components:
            fields.append(text_input(state, component.key, component.label, required=True,
                                     inputmode="decimal", hint=f"In {unit_label}" if len(vital.units) == 1 else ""))
        if len(vital.units) > 1:
            fields.append(choice_buttons(state, "unit", "Unit", {u.ucum: u.label for u in vital.units},
                                         vital.default_unit.ucum))
        else:
            fields.append(h("input", {"type": "hidden", "name": "unit", "value": vital.default_unit.ucum}))
        fields += [time_input(state), textarea(state, "note", "Note (optional)")]
        return fields
    if kind == "symptom":
        return [
            text_input(state, "name", "Symptom", required=True, hint="e.g. Nausea, dizziness, confusion"),
            text_input(state, "severity", "How bad, from 0 (none) to 10 (worst)", kind="number",
                       required=True, inputmode="numeric", extra={"min": "0", "max": "10", "step": "1"}),
            time_input(state),
            textarea(state, "note", "Note (optional)"),
        ]
    return [textarea(state, "text", "Note", required=True), time_input(state)]


def log_form(state: State) -> Markup:
    """Log a new entry of ``state.log_kind``."""
    kind = state.log_kind or "note"
    if kind == "vital" and state.vital_type is None:
        return log_chooser_vital(state)
    title = VITALS[state.vital_type].label if kind == "vital" else f"Log {KIND_LABELS[kind].lower()}"
    return _form(f"log:{kind}", title, state, *entry_fields(state, kind, state.vital_type))


def entry_screen(state: State) -> Markup:
    """One entry: edit it, delete it, see its history."""
    entry = state.entry
    if entry is None:
        return fragment(h("h1", {"tabindex": "-1"}, "Not found"),
                        h("p", None, "This entry does not exist or was deleted."),
                        h("a", {"href": "#/", "class": "button big"}, "Back"))
    vital_type = str(entry.payload.get("type")) if entry.kind == "vital" else None  # synced: may be any JSON
    when = timefmt.format_full(entry.at, state.offset_at(entry.at))
    conflict = None
    if entry.in_conflict:
        conflict = h("section", {"class": "conflict-box", "aria-labelledby": "conflict-title"},
                     h("h2", {"id": "conflict-title"}, "Two caregivers changed this at the same time"),
                     h("p", None, "Both versions are kept. Choose the right one."),
                     h("ul", {"class": "cards"}, [
                         h("li", None,
                           h("p", None, "Deleted" if v.op == "delete" else describe_payload(v.kind, v.payload)),
                           h("p", {"class": "by"}, f"by {v.author}"),
                           h("button", {"type": "button", "class": "secondary big", "data-action": "resolve",
                                        "data-id": v.id}, "Keep this version"))
                         for v in entry.conflict]))
    return fragment(
        h("h1", {"tabindex": "-1"}, KIND_LABELS.get(entry.kind, entry.kind)),
        h("p", {"class": "meta"}, f"{when}, recorded by {entry.created_by}",
          f" (last changed by {entry.updated_by})" if entry.edited else ""),
        conflict,
        _problem(state),
        h("form", {"data-form": f"edit:{entry.id}", "novalidate": True, "class": "entry-form"},
          *entry_fields(state, entry.kind, vital_type),
          h("div", {"class": "actions"},
            h("button", {"type": "submit", "class": "primary big"}, "Save changes"),
            h("a", {"href": state.back_route, "class": "button secondary big"}, "Back"))),
        h("div", {"class": "actions"},
          h("a", {"href": f"#/entry/{entry.id}/history", "class": "button secondary big"}, "History"),
          h("button", {"type": "button", "class": "danger big", "data-action": "delete", "data-id": entry.id},
            "Delete")))


def history_screen(state: State) -> Markup:
    """Who did what to one entry, when and on which device."""
    rows = []
    for event in state.history:
        when = timefmt.format_full(int(event.hlc[:13]), state.offset_minutes)
        what = {"create": "Recorded", "edit": "Changed", "delete": "Deleted"}[event.op]
        detail = "" if event.op == "delete" else describe_payload(event.kind, event.payload)
        rows.append(h("li", None, h("strong", None, f"{what} by {event.author}"),
                      h("span", None, f" {when}, device {event.device[:8]}"),
                      h("p", None, detail) if detail else None))
    back = f"#/entry/{state.entry.id}" if state.entry else "#/"
    return fragment(h("h1", {"tabindex": "-1"}, "History"),
                    h("ol", {"class": "history"}, rows),
                    h("a", {"href": back, "class": "button secondary big"}, "Back"))


def settings_screen(state: State) -> Markup:
    """This device: caregiver name, storage, version."""
    storage = state.storage
    if storage.persisted is True:
        kept = "Kept: the browser will not delete carelog's data to free space."
    elif storage.persisted is False:
        kept = ("Not guaranteed: the browser may delete carelog's data if the tablet runs out of space. "
                "Add carelog to the home screen, and export backups.")
    else:
        kept = "Unknown: this browser does not say whether it keeps data."
    used = ""
    if storage.usage is not None and storage.quota:
        used = f"{storage.usage / 1e6:.1f} MB used of {storage.quota / 1e6:.0f} MB available."
    return fragment(
        h("h1", {"tabindex": "-1"}, "Settings"),
        h("section", {"aria-labelledby": "me-title"},
          h("h2", {"id": "me-title"}, "You"),
          h("form", {"data-form": "caregiver", "novalidate": True},
            text_input(state, "name", "Your name", value=state.caregiver, required=True),
            h("button", {"type": "submit", "class": "primary big"}, "Save name"))),
        h("section", {"aria-labelledby": "storage-title", "class": "storage-panel"},
          h("h2", {"id": "storage-title"}, "Storage on this device"),
          h("p", {"data-storage": "persisted" if storage.persisted else "not-persisted"}, kept),
          h("p", None, used) if used else None,
          h("a", {"href": "#/storage", "class": "button secondary big"}, "Storage and backups")),
        h("section", {"aria-labelledby": "lock-title"},  # the panel itself: lock_dom / lock_views
          h("h2", {"id": "lock-title"}, "Lock and passphrase"),
          h("button", {"type": "button", "class": "button secondary big", "data-lock": "settings"},
            "Lock settings")),
        notify_section(state),
        h("section", {"aria-labelledby": "people-title"},
          h("h2", {"id": "people-title"}, "People"),
          h("a", {"href": "#/recipients", "class": "button secondary big"}, "Choose a person"),
          h("a", {"href": "#/recipients/new", "class": "button secondary big"}, "Add a person")),
        h("p", {"class": "meta"}, f"Version {state.build or 'dev'} · device {state.device_id[:8]}"))


SCREENS = {
    "welcome": welcome, "add_recipient": add_recipient, "recipients": recipients_screen,
    "home": home, "log": log_form, "entry": entry_screen, "history": history_screen,
    "settings": settings_screen,
}

FORM_SCREENS = frozenset({"welcome", "add_recipient", "log", "entry"})

from . import care_views  # noqa: E402 - daily-care screens (they use the helpers above when called)

SCREENS.update(care_views.SCREENS)
FORM_SCREENS = FORM_SCREENS | care_views.FORM_SCREENS
# Screens the first screen never shows, imported by ``load_later`` on the first route to
# any of them (or after ready, carelog.ui.later): a first visit compiles less before ready.
LATER = (
    "conflict_views",  # the conflicts screen (sync)
    "timeline_views",  # #/timeline: filters and search
    "safety_views",  # storage health and backups
    "report_views",  # charts, visit report, export/import, handoff share
)
_later_loaded = False


def load_later() -> None:
    """Import the ``LATER`` screen modules and register their screens (once)."""
    global FORM_SCREENS, _later_loaded
    if _later_loaded:
        return
    import importlib  # noqa: PLC0415 - only when a later screen is first needed

    for name in LATER:
        module = importlib.import_module(f"{__package__}.{name}")
        SCREENS.update(module.SCREENS)
        FORM_SCREENS = FORM_SCREENS | getattr(module, "FORM_SCREENS", frozenset())
    _later_loaded = True


from . import profile_choice_views  # noqa: E402 - two versions of the profile: choose or merge

SCREENS.update(profile_choice_views.SCREENS)
FORM_SCREENS = FORM_SCREENS | profile_choice_views.FORM_SCREENS


def notify_section(state: State) -> Markup:
    """Settings: the notifications switch and what it means now."""
    status = state.care.notify
    on = status == "on"
    return h("section", {"aria-labelledby": "notify-title", "class": "notify-panel"},
             h("h2", {"id": "notify-title"}, "Notifications"),
             h("button", {"type": "button", "class": "secondary big", "role": "switch",
                          "aria-checked": "true" if on else "false", "data-action": "notify-toggle",
                          "aria-describedby": "notify-status", "disabled": status == "unsupported"},
               "Notifications: " + ("On" if on else "Off")),
             h("p", {"id": "notify-status", "data-notify": status}, STATUS_WORDS.get(status, "")))


def header(state: State) -> Markup:
    """The top bar: home, who, settings."""
    who = state.recipient.payload.get("name", "") if state.recipient else ""
    return h("header", {"class": "topbar"},
             h("a", {"href": "#/", "class": "brand"}, "carelog"),
             h("a", {"href": "#/recipients", "class": "who"}, who) if who else None,
             h("a", {"href": "#/today", "class": "today-link"}, "Today") if who else None,
             h("a", {"href": "#/settings", "class": "settings-link"}, "Settings"))


def banners(state: State) -> Markup:
    """Notices that stay until acted on."""
    parts = []
    if state.db_replaced:
        parts.append(h("div", {"class": "banner warn", "role": "alert"},
                       "carelog was updated in another tab. Reload this tab to go on.",
                       h("button", {"type": "button", "data-action": "reload", "class": "big"}, "Reload")))
    elif state.update_ready and state.screen not in FORM_SCREENS:
        parts.append(h("div", {"class": "banner", "role": "status"},
                       "A new version of carelog is ready.",
                       h("button", {"type": "button", "data-action": "apply-update", "class": "big"},
                         "Reload now")))
    return fragment(parts)


def toast(state: State) -> Markup:
    """The latest short message, in a polite live region."""
    if state.toast is None:
        return Markup("")
    return h("div", {"class": f"toast {state.toast.tone}"},
             h("span", None, state.toast.message),
             h("button", {"type": "button", "data-action": "undo", "class": "big"}, "Undo")
             if state.toast.undo else None)


def render(state: State) -> Markup:
    """The whole app body for a state."""
    if state.screen not in SCREENS and state.screen != "loading":
        load_later()
    body = SCREENS.get(state.screen)
    content = body(state) if body else h("p", None, "Loading…")
    return fragment(header(state), banners(state), h("main", {"id": "main"}, content))

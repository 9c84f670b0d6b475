"""The profile-choice screen (``#/profile/choose``) as a pure function of ``State``.

When the person has two versions of the profile (two devices each made one, or
two caregivers changed it at the same time) the versions stand side by side,
field by field, with the fields that differ marked in words and colour. Each
version has a plain "Keep this one"; below, a differing field has one radio
button per version ("use this name, those allergies"), and "Save this profile"
keeps one profile made of the chosen fields. Markup only through ``markup.h``.

    >>> from carelog.ui.state import State
    >>> "Nothing to choose" in str(profile_choice_screen(State()))
    True
"""

from __future__ import annotations

from typing import Any, Mapping

from ..domain.profile import MERGE_FIELDS, SEVERITIES, ProfileVersion, differing_fields, versions_token
from ..domain.zones import format_when
from .markup import Markup, fragment, h
from .state import State

NOTICE = "Two caregivers changed the profile at the same time: choose"
FORM = "profile-merge"


def field_lines(payload: Mapping[str, Any], name: str) -> list[str]:
    """What a version says for one merge field, as lines of plain text.

    >>> field_lines({"allergies": [{"substance": "Penicillin", "severity": "severe", "reaction": "Rash"}]},
    ...             "allergies")
    ['Penicillin: severe (Rash)']
    >>> field_lines({}, "conditions")
    ['Not recorded']
    """
    value = payload.get(name)
    lines: list[str] = []
    if name == "allergies":
        lines = [f"{a.get('substance', '')}: {SEVERITIES.get(a.get('severity', 'unknown'), 'Not known').lower()}"
                 + (f" ({a['reaction']})" if a.get("reaction") else "") for a in value or () if isinstance(a, Mapping)]
        if not lines and payload.get("no_known_allergies"):
            lines = ["No known allergies"]
    elif name in ("emergency_contacts", "care_team"):
        for c in value or ():
            if isinstance(c, Mapping):
                who = ", ".join(str(c[k]) for k in ("role", "name", "relationship", "organisation") if c.get(k))
                phones = " or ".join(str(c[k]) for k in ("phone", "phone2") if c.get(k))
                lines.append(f"{who}: {phones}" if phones else who)
    elif isinstance(value, (list, tuple)):
        lines = [str(v) for v in value]
    elif value not in (None, ""):
        lines = [str(value)]
    return lines or ["Not recorded"]


def _version_title(state: State, n: int, v: ProfileVersion) -> str:
    return f"Version {n + 1}: by {v.author}, {format_when(int(v.hlc[:13]), state.care.tz)}"


def _value(payload: Mapping[str, Any], name: str) -> Markup:
    return h("ul", {"class": "pc-value"}, [h("li", None, line) for line in field_lines(payload, name)])


def notice(state: State) -> Markup | None:
    """The notice on the profile and conflicts screens, when there is a choice to make."""
    if len(state.care.profile_versions) < 2:
        return None
    return h("section", {"class": "conflict-box profile-choice-notice", "aria-labelledby": "pc-notice"},
             h("h2", {"id": "pc-notice"}, "The profile has two versions"),
             h("p", None, "Both versions are kept until you choose."),
             h("a", {"href": "#/profile/choose", "class": "button primary big"}, NOTICE))


def _compare(state: State, versions: list[ProfileVersion], differ: list[str]) -> Markup:
    """Every field, one column per version; differing rows marked."""
    head = h("tr", None, h("th", {"scope": "col"}, "Part of the profile"),
             [h("th", {"scope": "col", "id": f"pc-v{n}"}, _version_title(state, n, v)) for n, v in enumerate(versions)])
    body = []
    for name, (label, _keys) in MERGE_FIELDS.items():
        differs = name in differ
        body.append(h("tr", {"class": "pc-row differs" if differs else "pc-row", "data-field": name},
                      h("th", {"scope": "row"}, label,
                        h("span", {"class": "pc-flag"}, " (different)") if differs else None),
                      [h("td", None, _value(v.payload, name)) for v in versions]))
    keep = h("tr", {"class": "pc-keep"}, h("td", None),
             [h("td", None, h("button", {"type": "button", "class": "secondary big", "data-action": "profile-keep",
                                         "data-id": f"{n}:{versions_token(versions)}",
                                         "aria-label": f"Keep version {n + 1}, by {v.author}"}, "Keep this one"))
              for n, v in enumerate(versions)])
    return h("div", {"class": "pc-scroll", "role": "region", "aria-labelledby": "pc-compare", "tabindex": "0"},
             h("table", {"class": "pc-table"},
               h("caption", {"id": "pc-compare"}, "The versions side by side"),
               h("thead", None, head), h("tbody", None, body, keep)))


def _merge_form(state: State, versions: list[ProfileVersion], differ: list[str]) -> Markup:
    """One radio group per differing field; the same fields are kept as they are."""
    groups = []
    for name in differ:
        label = MERGE_FIELDS[name][0]
        field = f"use.{name}"
        chosen = str(state.form_values.get(field, ""))
        error = state.form_errors.get(field)
        groups.append(h("fieldset", {"class": "choices pc-choice" + (" has-error" if error else ""),
                                     "data-field": name},
                        h("legend", None, label),
                        [h("label", {"class": "choice"},
                           h("input", {"type": "radio", "name": field, "value": str(n), "checked": chosen == str(n),
                                       "aria-invalid": "true" if error else None}),
                           h("span", None, f"Version {n + 1} ({v.author}): ",
                             "; ".join(field_lines(v.payload, name))))
                         for n, v in enumerate(versions)],
                        h("p", {"class": "error", "role": "alert"}, error) if error else None))
    return h("form", {"data-form": FORM, "novalidate": True, "class": "entry-form",
                      "aria-labelledby": "pc-merge"},
             h("h2", {"id": "pc-merge"}, "Or take each part from the right version"),
             h("p", {"class": "hint"}, "Parts that are the same in both versions are kept as they are."),
             h("input", {"type": "hidden", "name": "token", "value": versions_token(versions)}),
             groups,
             h("div", {"class": "actions"},
               h("button", {"type": "submit", "class": "primary big"}, "Save this profile"),
               h("a", {"href": "#/profile", "class": "button secondary big"}, "Cancel")))


def profile_choice_screen(state: State) -> Markup:
    """Both versions side by side; keep one, or merge them field by field."""
    versions = list(state.care.profile_versions)
    if len(versions) < 2:
        return fragment(h("h1", {"tabindex": "-1"}, "Profile"),
                        h("p", None, "Nothing to choose: the profile has one version."),
                        h("a", {"href": "#/profile", "class": "button big"}, "Back to the profile"))
    differ = differing_fields([v.payload for v in versions])
    two = "Two caregivers" if len(versions) == 2 else f"{len(versions)} versions:"
    return fragment(
        h("h1", {"tabindex": "-1"}, "Choose the right profile"),
        h("p", None, f"{two} changed the profile at the same time (or each made one before they shared the "
                     "log). Both are kept until you choose. Parts marked (different) do not match."),
        h("div", {"class": "problem", "role": "alert", "id": "form-problem"}, state.form_problem)
        if state.form_problem else None,
        _compare(state, versions, differ),
        _merge_form(state, versions, differ) if differ else None,
        h("a", {"href": "#/profile", "class": "button secondary big"}, "Back"))


SCREENS = {"profile_choice": profile_choice_screen}
FORM_SCREENS = frozenset({"profile_choice"})

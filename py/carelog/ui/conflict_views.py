"""The conflicts screen (``#/conflicts``): every entry of the person shown that
two caregivers changed at the same time (or one changed and one deleted),
with the versions side by side and "Keep this version" under each (the
entry screen's ``resolve`` action). Reached from the sync status line when
conflicts exist. Pure: markup through ``markup.h`` only.

    >>> from carelog.ui.state import State
    >>> "Nothing to choose" in str(conflicts_screen(State()))
    True
"""

from __future__ import annotations

from ..domain import timefmt
from .describe import KIND_LABELS, describe_payload
from . import profile_choice_views
from .markup import Markup, fragment, h
from .state import State


def _version(v) -> Markup:
    return h("li", {"class": "conflict-version"},
             h("p", {"class": "version-text"}, "Deleted" if v.op == "delete" else describe_payload(v.kind, v.payload)),
             h("p", {"class": "by"}, f"by {v.author}"),
             h("button", {"type": "button", "class": "secondary big", "data-action": "resolve", "data-id": v.id},
               "Keep this version"))


def conflicts_screen(state: State) -> Markup:
    entries = state.conflicts
    profile = profile_choice_views.notice(state)  # the profile's versions are chosen on their own screen
    if not entries:
        return fragment(h("h1", {"tabindex": "-1"}, "Entries with two versions"),
                        profile,
                        h("p", None, "No other entry has two versions." if profile else
                              "Nothing to choose: no entry has two versions."),
                        h("a", {"href": "#/", "class": "button big"}, "Back"))
    items = []
    for entry in entries:
        when = timefmt.format_full(entry.at, state.offset_at(entry.at))
        title_id = f"conflict-{entry.id}"
        items.append(h("li", {"class": "conflict-box", "aria-labelledby": title_id},
                       h("h2", {"id": title_id}, f"{KIND_LABELS.get(entry.kind, entry.kind)}, {when}"),
                       h("ul", {"class": "cards side-by-side"}, [_version(v) for v in entry.conflict]),
                       h("a", {"href": f"#/entry/{entry.id}/history", "class": "button secondary big"},
                         "History")))
    return fragment(
        h("h1", {"tabindex": "-1"}, "Entries with two versions"),
        h("p", None, "Two caregivers changed these at the same time. Both versions are kept until you "
                     "choose the right one."),
        profile,
        h("ol", {"class": "conflict-list"}, items),
        h("a", {"href": "#/", "class": "button secondary big"}, "Back"))


SCREENS = {"conflicts": conflicts_screen}

"""The timeline screen as a pure function of ``State`` (see ``timeline_screen``).

A filter form with big controls (kind, who recorded it, first and last day,
words to search for), then the entries grouped by day (``views.timeline_list``)
and a "Show more" link. Markup only through ``markup.h``.
"""

from __future__ import annotations

from ..domain import timeline_filter as tf
from .describe import KIND_LABELS
from .markup import Markup, fragment, h
from .state import State

KIND_CHOICES = {"": "Everything", **{k: KIND_LABELS.get(k, k) for k in tf.TIMELINE_KINDS}}


def timeline_screen(state: State) -> Markup:
    """Filter and search the timeline."""
    from . import views  # the form helpers; views imports care_views, which registers this screen

    view = state.care.timeline
    flt = view.filter if view is not None else tf.TimelineFilter()
    problems = view.problems if view is not None else {}
    shown = len(state.timeline)
    if not shown:
        summary = ("Nothing matches. Try fewer filters, or other words." if flt.active
                   else "Nothing recorded yet.")
    else:
        summary = f"Showing the {shown} newest {'entry' if shown == 1 else 'entries'}" + \
                  (" that match." if flt.active else ".")
    return fragment(
        h("h1", {"tabindex": "-1"}, "Timeline"),
        h("form", {"data-form": "timeline-filter", "novalidate": True, "class": "timeline-filter",
                   "role": "search", "aria-label": "Filter the timeline"},
          h("div", {"class": "row"},
            views.select(state, "kind", "What", KIND_CHOICES),
            views.text_input(state, "by", "Recorded by", hint="A caregiver's name, or empty for anyone.")),
          h("div", {"class": "row"},
            views.text_input(state, "from", "From", kind="date"),
            views.text_input(state, "to", "To", kind="date")),
          views.text_input(state, "q", "Search words", kind="search",
                           hint="Finds entries with all these words in their notes or text."),
          h("div", {"class": "actions"},
            h("button", {"type": "submit", "class": "primary big"}, "Show"),
            h("a", {"href": "#/timeline", "class": "button secondary big"}, "Clear filters"))),
        h("div", {"class": "problem", "role": "alert", "id": "filter-problem"},
          h("ul", None, [h("li", None, text) for text in problems.values()])) if problems else None,
        h("section", {"aria-labelledby": "results-title", "data-results": state.route},
          h("h2", {"id": "results-title"}, "Entries"),
          h("p", {"class": "meta", "role": "status"}, summary),
          views.timeline_list(state) if shown else None,
          h("a", {"href": tf.route(flt.more()), "class": "button secondary big show-more"}, "Show more")
          if view is not None and view.more else None),
        h("a", {"href": "#/", "class": "button secondary big"}, "Back"))


SCREENS = {"timeline": timeline_screen}

"""What to tell with a system notification, and never twice (pure).

While carelog is open and the caregiver has turned notifications on, the DOM
glue (``notify_dom``) asks ``Notifier.decide`` after each screen and once a
minute, with today's board and the open alerts. Each thing has a key (a slot
of a plan item, an alert id); a key is told once per session. The first look
after turning on (or after opening carelog) only remembers what is there
already, since the screen shows it: only what becomes due, or an alert that
arises, afterwards is told.

    >>> n = Notifier()
    >>> n.decide([Notice("alert:a1", "Alert", "BP high")])
    []
    >>> [x.key for x in n.decide([Notice("alert:a1", "Alert", "BP high"), Notice("alert:a2", "Alert", "Fall")])]
    ['alert:a2']
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Iterable

from ..domain.today import DUE, OVERDUE
from ..domain.zones import format_clock

# What the Settings switch says, by the state the DOM glue found.
STATUS_WORDS = {
    "on": "On: while carelog is open, medicines and tasks that fall due and new alerts show as notifications.",
    "off": "Off. Turn on to be told when a medicine or task falls due, or an alert comes up, while carelog "
           "is open. The browser asks you first.",
    "denied": "Blocked: this browser's settings do not allow carelog to show notifications. Allow them "
              "there, then turn this on. Due doses and alerts still show on carelog's screens.",
    "unsupported": "This browser cannot show notifications. Due doses and alerts still show on carelog's "
                   "screens.",
}


@dataclass(frozen=True)
class Notice:
    """One notification: ``key`` (what it is about, for no repeats), title and body."""

    key: str
    title: str
    body: str


def notices(board, alert_views: Iterable, tz: _dt.tzinfo) -> list[Notice]:
    """Doses and tasks due now or overdue on the board, and open alerts."""
    out = []
    for row in (board.rows if board is not None else ()):
        if row.state not in (DUE, OVERDUE):
            continue
        what = "Medicine due" if row.item.is_medication else "Task due"
        out.append(Notice(f"slot:{row.item.id}@{row.slot.key}", f"{what}: {row.item.name}",
                          f"{row.item.label}, due at {format_clock(row.slot.at, tz)}."))
    for view in alert_views:
        if view.open:
            a = view.alert
            out.append(Notice(f"alert:{a.id}", f"Alert: {a.title}", a.detail or "Open carelog to see it."))
    return out


@dataclass
class Notifier:
    """Remembers what was told (or already on screen) in this session."""

    seen: set = field(default_factory=set)
    primed: bool = False

    def decide(self, current: Iterable[Notice]) -> list[Notice]:
        """The notices to show now: new keys only; nothing on the first call."""
        current = list(current)
        fresh = [n for n in current if n.key not in self.seen]
        self.seen.update(n.key for n in current)
        if not self.primed:
            self.primed = True
            return []
        return list({n.key: n for n in fresh}.values())

    def reset(self) -> None:
        """Forget everything (notifications turned off, or another person chosen)."""
        self.seen.clear()
        self.primed = False

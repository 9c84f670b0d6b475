"""The shift handoff as plain text, to share by message or paste anywhere.

Plain text only (no markup): it leaves the app through the Web Share API or
the clipboard, and is shown on screen in a read-only text box.

    >>> import datetime as dt
    >>> from carelog.domain.handoff import Handoff
    >>> print(handoff_text(Handoff(since=0, now=86_400_000), "Mum", dt.timezone.utc, "UTC", 86_400_000, "Ann"))
    Shift handoff for Mum
    Fri 02 Jan 1970 00:00 (UTC), from Ann
    Since Thu 01 Jan 00:00: Nothing new since you last looked.
"""

from __future__ import annotations

import datetime as _dt

from ..domain.handoff import Handoff
from ..domain.zones import format_when, local_date, to_wall

OTHER = {"vital": "vital sign", "symptom": "symptom", "daily_living": "daily-living entry",
         "appointment": "appointment", "med_plan": "care plan medication change",
         "task_plan": "care plan task change", "profile": "profile change", "threshold": "alert limit change"}


def handoff_text(hand: Handoff, name: str, tz: _dt.tzinfo, tz_name: str, now: int, caregiver: str = "") -> str:
    """The handoff summary in plain lines (see the module)."""
    today = local_date(now, tz)

    def when(ms: int) -> str:
        return format_when(ms, tz, today)

    lines = [f"Shift handoff for {name}".rstrip(),
             f"{to_wall(now, tz):%a %d %b %Y %H:%M} ({tz_name})" + (f", from {caregiver}" if caregiver else ""),
             f"Since {format_when(hand.since, tz)}: {hand.headline()}"]

    def block(title: str, rows: list[str]) -> None:
        if rows:
            lines.append("")
            lines.append(title)
            lines.extend(f"- {row}" for row in rows)

    block("Given and done:", [f"{r.name}: {'given' if r.kind == 'medication' else 'done'} {when(r.at)} by {r.by}"
                              for r in hand.given])
    block("Not given:", [f"{r.name}: {r.status} {when(r.at)} by {r.by}" + (f" ({r.reason})" if r.reason else "")
                         for r in hand.not_given])
    block("Missed:", [f"{d.item.name} due {when(d.at)}" for d in hand.missed])
    block("Alerts:", [("" if a.open else "(acknowledged by " + a.ack.by + ") ") + a.alert.title
                      + (f": {a.alert.detail}" if a.alert.detail else "") for a in hand.alerts])
    block("Notes:", [f"{when(n.at)} {n.created_by}: {str(n.payload.get('text', ''))}" for n in hand.notes])
    block("Also recorded:", [f"{count} {OTHER[kind]}{'s' if count != 1 else ''}"
                             for kind, count in sorted(hand.other.items()) if kind in OTHER])
    return "\n".join(lines)

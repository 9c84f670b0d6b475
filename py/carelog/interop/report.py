"""The visit report's content for a chosen period: pure data, no markup.

``visit_report`` gathers, for local days ``first_day..last_day`` in the
recipient's zone: the plan medications that ran in the period with their
adherence, doses not given (with reasons), a chart of every vital sign with
readings (with the recipient's alert limits), the alerts of the period with
who acknowledged them, symptoms, notes, and who recorded how many entries of
each kind. ``ui.report_views`` renders it for screen and print.

``events``: the recipient's events from a day before ``first_day`` (its vitals
from 15 days before: trend rules look back two weeks) to the end of
``last_day``, whole histories, plus every alert acknowledgement; ``items``: the plan; ``limits``: the recipient's alert limits.

    >>> import datetime as dt
    >>> r = visit_report([], "r1", dt.date(2025, 1, 1), dt.date(2025, 1, 30), dt.timezone.utc, 0, [], None)
    >>> (r.days, r.empty)
    (30, True)
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..domain import adherence as _adherence
from ..domain.alerts import ALERT_ACK, AlertView, Limit, alert_list
from ..domain.careplan import PlanItem
from ..domain.events import Event
from ..domain.fold import Entry, fold
from ..domain.records import Record, records
from ..domain.trends import collect_alerts
from ..domain.vitalseries import VitalChart, vital_chart, vitals_present
from ..domain.zones import day_bounds

REPORT_KINDS = ("medication", "task", "vital", "symptom", "note", "daily_living", "appointment")


@dataclass(frozen=True)
class VisitReport:
    """Everything the printable report shows (see the module)."""

    recipient: str
    name: str
    first_day: _dt.date
    last_day: _dt.date
    now: int
    profile: Mapping = field(default_factory=dict)
    medications: tuple[tuple[PlanItem, _adherence.Adherence], ...] = ()
    not_given: tuple[Record, ...] = ()
    charts: tuple[VitalChart, ...] = ()
    alerts: tuple[AlertView, ...] = ()
    symptoms: tuple[Entry, ...] = ()
    notes: tuple[Entry, ...] = ()
    authors: tuple[tuple[str, Mapping[str, int]], ...] = ()   # (caregiver, {kind: entries})

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def empty(self) -> bool:
        return not (self.medications or self.not_given or self.charts or self.alerts or self.symptoms
                    or self.notes or self.authors)


def visit_report(events: Iterable[Event], recipient: str, first_day: _dt.date, last_day: _dt.date,
                 tz: _dt.tzinfo, now: int, items: Iterable[PlanItem], limits: Mapping[str, Limit] | None,
                 name: str = "", profile: Mapping | None = None) -> VisitReport:
    """The report of local days ``first_day..last_day`` (see the module)."""
    events = [e for e in events if e.recipient == recipient]
    items = list(items)
    lo, hi = day_bounds(first_day, tz)[0], day_bounds(last_day, tz)[1]
    in_period = [e for e in events if lo <= e.at < hi]

    recs = records(events)  # folded once for every medication and the doses not given
    meds = []
    for item in items:
        if not item.is_medication or item.start > last_day or (item.end is not None and item.end < first_day):
            continue
        meds.append((item, _adherence.count(item, recs, max(first_day, item.start),
                                             min(last_day, item.end or last_day), tz, now)))
    not_given = tuple(r for r in recs if r.kind == "medication" and r.status in ("skipped", "refused")
                      and lo <= r.at < hi)
    vital_events = [e for e in events if e.kind == "vital"]

    charts = tuple(vital_chart(vital_events, key, tz, first_day, last_day, limits)
                   for key in vitals_present(in_period))
    charts = tuple(c for c in charts if not c.empty)

    found = collect_alerts(events, tz, now, first_day, last_day, items, limits, recs=recs)  # doses built once
    alerts = tuple(alert_list(found, events))

    entries = [e for e in fold(e for e in events if e.kind in REPORT_KINDS).values() if lo <= e.at < hi]
    entries.sort(key=lambda e: (e.at, e.created_hlc, e.id))
    authors: dict[str, dict[str, int]] = {}
    for entry in entries:
        kinds = authors.setdefault(entry.created_by, {})
        kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
    for view in alerts:
        if view.ack is not None and lo <= view.ack.at < hi:
            kinds = authors.setdefault(view.ack.by, {})
            kinds[ALERT_ACK] = kinds.get(ALERT_ACK, 0) + 1
    return VisitReport(
        recipient=recipient, name=name, first_day=first_day, last_day=last_day, now=now,
        profile=dict(profile or {}), medications=tuple(meds), not_given=not_given, charts=charts,
        alerts=alerts,
        symptoms=tuple(e for e in entries if e.kind == "symptom"),
        notes=tuple(e for e in entries if e.kind == "note"),
        authors=tuple(sorted(((a, k) for a, k in authors.items()), key=lambda p: (-sum(p[1].values()), p[0]))))

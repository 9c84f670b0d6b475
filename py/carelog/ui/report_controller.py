"""Charts, the visit report, export/import and the handoff share, for the ``Controller``.

Pure of the DOM, like ``care_controller``: the Controller hands over what it
does not know (``navigate``, ``submit``, ``action``; each returns True when it
handled the call) and the DOM glue (``report_dom``) calls ``export_file``,
``preview_file`` and reads ``state.report.handoff_text``. Results land in
``state.report`` (``ReportState``), rendered by ``report_views``.

Routes::

    #/charts[/<vital>[/<days>]]      a chart per vital sign, 7/30/90/365 days
    #/report[/<days> | /<from>/<to>] the printable visit report (default 30 days)
    #/export                         download FHIR / CSV, import a care summary
    #/export/preview                 the import preview, confirm or cancel
    #/handoff[/8|12|24]              the shift handoff (last hours) as text, to share or copy
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

from ..domain import vitalseries
from ..domain.alerts import ALERT_ACK
from ..domain.catalogue import VITALS
from ..domain.handoff import handoff
from ..domain.profile import PROFILE
from ..domain.validation import FormErrors
from ..domain.zones import day_bounds, local_date
# (the interop formats are imported where used: a first start does not need them; carelog.ui.later)
from ..vitaldays_cache import chart_rows
from .report_text import handoff_text
from .state import Toast

if TYPE_CHECKING:
    from .controller import Controller

DAY_MS = 86_400_000
REPORT_DEFAULT_DAYS = 30
REPORT_MAX_DAYS = 366
HEADS = ("charts", "report", "export", "handoff")
MAX_IMPORT_BYTES = 10_000_000


def _slug(text: str) -> str:
    kept = "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
    return "-".join(p for p in kept.split("-") if p)[:40] or "person"


class ReportScreens:
    """The charts/report/export part of the controller; it writes ``controller.state.report``."""

    def __init__(self, controller: "Controller"):
        self.c = controller

    @property
    def log(self):
        return self.c.log

    @property
    def state(self):
        return self.c.state

    def _today(self) -> _dt.date:
        return local_date(self.state.now_ms, self.state.care.tz)

    def _chart_span(self, days: int) -> tuple[_dt.date, _dt.date, int, int]:
        """A chart's first and last local days in the care zone as it is now, and their bounds
        in ms [lo, hi)."""
        tz = self.state.care.tz
        first, last = vitalseries.span(local_date(self.state.now_ms, tz), days)
        return first, last, day_bounds(first, tz)[0], day_bounds(last, tz)[1]

    # --- routes ------------------------------------------------------------

    async def navigate(self, parts: list[str]) -> bool:
        s = self.state
        if not parts or parts[0] not in HEADS or s.recipient is None:
            return False
        head, rest = parts[0], parts[1:]
        if head == "charts":
            await self._charts(rest)  # reads the zone alongside the chart's own reads
            return True
        await self.c.care._load_zone()
        if head == "report":
            await self._report(rest)
        elif head == "export":
            if rest[:1] == ["preview"] and s.report.preview is not None:
                s.screen = "import_preview"
                return True
            await self._export()
        else:
            await self._handoff(rest)
        return True

    async def _charts(self, rest: list[str]) -> None:
        s, rep, rid = self.state, self.state.report, self.state.recipient.id
        if rest[:1] and rest[0] in VITALS:
            rep.vital = rest[0]
        rep.days = int(rest[1]) if rest[1:2] and rest[1].isdigit() and int(rest[1]) in vitalseries.RANGES else 30
        cache = getattr(self.log, "vital_days", None)
        if cache is not None:
            # each UTC day's current readings, kept in a cache the store keeps right (vitaldays_cache),
            # read at the same time as the profile (the zone) and the alert limits: in the zone the
            # screens last used, and again in the profile's zone if that is another one's span
            guess = self._chart_span(rep.days)
            _, limits, (rows, rep.vitals) = await asyncio.gather(
                self.c.care._load_zone(), self.log.limits(rid),
                chart_rows(cache, self.log.store, rid, rep.vital, guess[2], guess[3]))
            first, last, lo, hi = self._chart_span(rep.days)
            if (first, last, lo, hi) != guess:  # the profile's zone moved the span: read that one
                rows, rep.vitals = await chart_rows(cache, self.log.store, rid, rep.vital, lo, hi)
            if not rest[:1] and rep.vitals and rep.vital not in rep.vitals:
                rep.vital = rep.vitals[0]
                rows, _ = await chart_rows(cache, self.log.store, rid, rep.vital, lo, hi)
            rep.chart = vitalseries.chart_of_rows(rows, rep.vital, s.care.tz, first, last, limits)
            s.screen, s.route = "charts", f"#/charts/{rep.vital}/{rep.days}"
            return
        await self.c.care._load_zone()
        first, last, lo, hi = self._chart_span(rep.days)
        if rep.days > 30:
            # Every vital event of the recipient in one index read: whole histories by construction,
            # without asking for each entry's events one by one (a year has thousands of readings).
            events = await self.log.store.events_in_range(rid, kinds=("vital",), newest_first=False)
        else:
            events = await self.log.entry_events(rid, ("vital",), lo, hi)
        present = vitalseries.vitals_present(events)
        if not rest[:1] and present and rep.vital not in present:
            rep.vital = present[0]
        rep.vitals = present
        limits = await self.log.limits(rid)
        rep.chart = vitalseries.vital_chart(events, rep.vital, s.care.tz, first, last, limits)
        s.screen, s.route = "charts", f"#/charts/{rep.vital}/{rep.days}"

    async def _report(self, rest: list[str]) -> None:
        s, rid, tz = self.state, self.state.recipient.id, self.state.care.tz
        today = self._today()
        first, last = vitalseries.span(today, REPORT_DEFAULT_DAYS)
        if len(rest) == 1 and rest[0].isdigit() and 1 <= int(rest[0]) <= REPORT_MAX_DAYS:
            first, last = vitalseries.span(today, int(rest[0]))
        elif len(rest) == 2:
            try:
                first, last = _period(rest[0], rest[1], today)
            except FormErrors:
                pass  # a hand-typed address: the default period
        lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
        # Every kind from a day before (doses near midnight), vitals from 15 days before (trend rules
        # look back two weeks): the other kinds' extra two weeks are never used.
        events = await self.log.entry_events(rid, (), lo - DAY_MS, hi)
        seen = {e.id for e in events}
        for kinds, start in ((("vital",), lo - 15 * DAY_MS), ((ALERT_ACK,), None)):
            more = await self.log.entry_events(rid, kinds, start, lo - DAY_MS if start else None)
            events += [e for e in more if e.id not in seen]
            seen.update(e.id for e in more)
        items, limits = await self.log.plan(rid), await self.log.limits(rid)
        profile = s.care.profile.payload if s.care.profile is not None else {}
        name = str(profile.get("name") or s.recipient.payload.get("name", ""))
        from ..interop.report import visit_report  # noqa: PLC0415 - on first use

        s.report.report = visit_report(events, rid, first, last, tz, s.now_ms, items, limits, name=name,
                                       profile=profile)
        s.screen = "report"
        s.route = f"#/report/{first.isoformat()}/{last.isoformat()}"
        s.form_values = {"first_day": first.isoformat(), "last_day": last.isoformat()}

    async def _export(self) -> None:
        s, rid = self.state, self.state.recipient.id
        from ..interop import csv_export  # noqa: PLC0415 - on first use

        files = []
        for kind, name in csv_export.FILE_NAMES.items():
            if await self.log.store.events_in_range(rid, kinds=(kind,), limit=1):
                files.append(name)
        s.report.files = files
        s.screen, s.route = "export", "#/export"

    async def _handoff(self, rest: list[str]) -> None:
        """The last 8, 12 (default) or 24 hours, everyone's entries (the sharer's own too)."""
        s, care, rid = self.state, self.state.care, self.state.recipient.id
        hours = int(rest[0]) if rest[:1] and rest[0] in ("8", "12", "24") else 12
        since = s.now_ms - hours * 3_600_000
        events = await self.log.entry_events(rid, (), start_at=since - 15 * DAY_MS)
        seen = {e.id for e in events}
        events += [e for e in await self.log.entry_events(rid, (ALERT_ACK,)) if e.id not in seen]
        items, limits = await self.log.plan(rid), await self.log.limits(rid)
        hand = handoff(events, since, s.now_ms, care.tz, items, limits)
        name = str(s.recipient.payload.get("name", ""))
        s.report.handoff_hours = hours
        s.report.handoff_text = handoff_text(hand, name, care.tz, care.tz_name, s.now_ms, self.log.caregiver)
        s.screen, s.route = "handoff_share", f"#/handoff/{hours}"

    # --- forms and buttons ---------------------------------------------------

    async def submit(self, form: str, values: dict[str, Any]) -> bool:
        if form != "report-period":
            return False
        first, last = _period(values.get("first_day", ""), values.get("last_day", ""), self._today())
        await self.c.navigate(f"#/report/{first.isoformat()}/{last.isoformat()}")
        return True

    async def action(self, name: str, data: dict[str, Any]) -> bool:
        s = self.state
        if name == "import-cancel":
            s.report.preview, s.report.import_problem = None, ""
            s.toast = Toast("Nothing was imported.")
            await self.c.navigate("#/export")
            return True
        if name != "import-confirm":
            return False
        preview = s.report.preview
        if preview is None or s.recipient is None:
            await self.c.navigate("#/export")
            return True
        from ..interop import fhir_import  # noqa: PLC0415 - on first use

        rid = s.recipient.id
        existing = await self.log.entry_events(rid, (PROFILE,))
        events = fhir_import.events_for(preview, recipient=rid, author=self.log.caregiver or "Unnamed caregiver",
                                        device=self.log.device_id, new_id=self.log.ids.new_id,
                                        stamp=self.log.next_stamp, at=self.log.clock.now_ms(),
                                        existing=existing)
        await self.log.store.put_events(events)  # one batch: all or nothing
        added = len(preview.plan)
        s.report.preview = None
        s.toast = Toast(f"Imported: the profile and {added} care plan item{'s' if added != 1 else ''}.")
        await self.c.navigate("#/profile")
        return True

    # --- called by the DOM glue ------------------------------------------------

    async def export_file(self, what: str) -> tuple[str, str, bytes] | None:
        """``(file name, MIME type, bytes)`` of ``"fhir"`` or a CSV file name; None when empty."""
        s = self.state
        if s.recipient is None:
            return None
        from ..interop import csv_export, fhir_export  # noqa: PLC0415 - on first use

        rid = s.recipient.id
        events = await self.log.store.events_in_range(rid)
        stem = f"carelog-{_slug(str(s.recipient.payload.get('name', '')))}-{self._today().isoformat()}"
        if what == "fhir":
            bundle = fhir_export.export_bundle(events, rid, as_of_ms=s.now_ms)
            body = json.dumps(bundle, ensure_ascii=False, indent=1).encode("utf-8")
            return f"{stem}-fhir.json", "application/fhir+json", body
        files = csv_export.csv_files(events, rid)
        if what not in files:
            return None
        return f"{stem}-{what}", "text/csv", files[what]

    async def preview_file(self, file_name: str, body: bytes | None) -> None:
        """Read a chosen file into an import preview, or say plainly why not (nothing is saved)."""
        s = self.state
        rep = s.report
        rep.preview, rep.import_problem, rep.preview_name = None, "", str(file_name)[:200]
        if s.recipient is None:
            return
        await self.c.care._load_zone()
        if body is None:
            rep.import_problem = "Choose a file first, then tap Preview."
        elif len(body) > MAX_IMPORT_BYTES:
            rep.import_problem = "This file is too big for a care summary (over 10 MB); nothing was changed."
        else:
            from ..interop import fhir_import  # noqa: PLC0415 - on first use

            rid = s.recipient.id
            profile = await self.log.profile(rid)
            try:
                rep.preview = fhir_import.preview_import(
                    body, timezone=s.care.tz_name, today=self._today(),
                    existing_profile=profile.payload if profile else None, existing_plan=await self.log.plan(rid))
            except fhir_import.FhirImportError as problem:
                said = str(problem).strip()
                rep.import_problem = said if "nothing was changed" in said.lower() else f"{said} Nothing was changed."
        if rep.preview is not None:
            s.screen, s.route = "import_preview", "#/export/preview"
        else:
            await self._export()
            s.toast = Toast("Not imported: " + rep.import_problem, tone="warn")


def _period(first_text: str, last_text: str, today: _dt.date) -> tuple[_dt.date, _dt.date]:
    """Two ISO dates from the period form or address: checked, or FormErrors in plain words."""
    errors = {}
    try:
        first = _dt.date.fromisoformat(str(first_text).strip())
    except ValueError:
        errors["first_day"] = "Enter the first day of the report."
    try:
        last = _dt.date.fromisoformat(str(last_text).strip())
    except ValueError:
        errors["last_day"] = "Enter the last day of the report."
    if not errors:
        if last < first:
            errors["last_day"] = "The last day must be on or after the first day."
        elif (last - first).days + 1 > REPORT_MAX_DAYS:
            errors["last_day"] = "A report covers at most a year (366 days)."
        elif first > today:
            errors["first_day"] = "The first day cannot be in the future."
    if errors:
        raise FormErrors(errors)
    return first, last

"""What the charts, report and export screens show: one plain object inside ``State.report``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReportState:
    """Read by ``chart_views``/``report_views``/``export_views``; written only by ``report_controller``."""

    vital: str = "blood_pressure"       # the chart shown
    days: int = 30                      # the chart's period
    chart: Any = None                   # domain.vitalseries.VitalChart
    vitals: list = field(default_factory=list)        # vitals with readings in the last year
    report: Any = None                  # interop.report.VisitReport
    files: list = field(default_factory=list)         # CSV file names that have entries
    preview: Any = None                 # interop.fhir_import.ImportPreview awaiting "confirm"
    preview_name: str = ""              # the file it came from
    import_problem: str = ""            # why a file was refused (plain words)
    handoff_text: str = ""              # the shift handoff as plain text
    handoff_hours: int = 12             # the hours it covers

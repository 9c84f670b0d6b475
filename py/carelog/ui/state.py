"""What the screen shows: one plain object the views render from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain.events import Event
from ..domain.fold import Entry
from .care_state import CareState
from .safety_state import SafetyState
from .report_state import ReportState


@dataclass
class Toast:
    """A short message after an action, optionally with an Undo button."""

    message: str
    undo: bool = False
    tone: str = "ok"  # "ok" | "warn" | "error"


@dataclass
class StorageInfo:
    """What the browser said about keeping our data."""

    persisted: bool | None = None   # None: not asked or not supported
    usage: int | None = None
    quota: int | None = None


@dataclass
class State:
    """Everything one render needs. Views read it; only the controller writes it."""

    screen: str = "loading"
    route: str = "#/"
    caregiver: str = ""
    device_id: str = ""
    recipients: list[Entry] = field(default_factory=list)
    recipient: Entry | None = None
    timeline: list[Entry] = field(default_factory=list)
    log_kind: str | None = None
    vital_type: str | None = None
    entry: Entry | None = None
    history: list[Event] = field(default_factory=list)
    conflicts: list[Entry] = field(default_factory=list)  # entries with two versions (#/conflicts)
    back_route: str = "#/"    # where an entry's screen goes back to: the filtered timeline it was opened from
    scroll_to: str = ""       # an entry id the DOM glue scrolls to and focuses once (back on the timeline)
    form_values: dict[str, Any] = field(default_factory=dict)
    form_errors: dict[str, str] = field(default_factory=dict)
    form_problem: str = ""
    toast: Toast | None = None
    update_ready: bool = False
    db_replaced: bool = False
    storage: StorageInfo = field(default_factory=StorageInfo)
    build: str = ""
    now_ms: int = 0
    offset_minutes: int = 0
    offsets: dict[int, int] = field(default_factory=dict)
    care: CareState = field(default_factory=CareState)
    safety: SafetyState = field(default_factory=SafetyState)
    report: ReportState = field(default_factory=ReportState)

    def offset_at(self, ms: int) -> int:
        """The local offset at an instant (falls back to now's offset)."""
        return self.offsets.get(ms, self.offset_minutes)

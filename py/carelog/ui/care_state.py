"""What the daily-care screens show: one plain object inside ``State.care``."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CareState:
    """Read by ``care_views``; written only by ``care_controller``."""

    tz: _dt.tzinfo = _dt.timezone.utc
    tz_name: str = "UTC"
    device_zone: str = "UTC"
    has_profile: bool = False
    board: Any = None                    # domain.today.Today
    plan: list = field(default_factory=list)          # [PlanItem]
    item: Any = None                     # the PlanItem being changed
    plan_kind: str = "med_plan"
    profile: Any = None                  # the profile Entry
    sheet: list = field(default_factory=list)         # [profile.Section]
    alerts: list = field(default_factory=list)        # [AlertView]
    limits: dict = field(default_factory=dict)        # key -> Limit
    limit_key: str = ""
    confirm: Any = None                  # (item_id, slot, cautions) the guard stopped
    target: Any = None                   # (kind, item_id, slot) for a reason form
    daily_category: str | None = None
    upcoming: list = field(default_factory=list)      # [Appointment]
    past: list = field(default_factory=list)
    handoff: Any = None                  # domain.handoff.Handoff
    open_alerts: int = 0
    since: dict = field(default_factory=dict)         # recipient -> "last looked" of this session
    recent_daily: list = field(default_factory=list)
    adherence: dict = field(default_factory=dict)     # item id -> (today, this week) Adherence
    timeline: Any = None                 # timeline_screen.TimelineView
    profile_versions: list = field(default_factory=list)  # [profile.ProfileVersion]: 2+ = a choice (profile_choice)
    notify: str = "off"                  # notifications: on, off, denied, unsupported (notify_dom)

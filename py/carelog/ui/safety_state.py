"""What the storage and backup screen shows: one plain object inside ``State.safety``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SafetyState:
    """Read by ``safety_views``; written only by ``safety_controller``."""

    last_backup_ms: int | None = None
    user_agent: str = ""
    platform: str = ""
    max_touch_points: int = 0
    standalone: bool = False
    backup_problem: str = ""     # under the "Make a backup" form
    restore_problem: str = ""    # under the "Restore" form

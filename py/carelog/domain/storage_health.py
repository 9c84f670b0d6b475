"""Storage health: what the browser says about keeping carelog's data, turned
into plain findings for the storage panel. Pure: the facts come in, the
findings go out; the DOM glue gathers the facts (``navigator.storage``,
``navigator.userAgent``...).

    >>> facts = StorageFacts(now_ms=DAY_MS * 30, persisted=False, usage=900, quota=1000)
    >>> [f.key for f in assess(facts) if f.level == "warn"]
    ['persisted', 'usage', 'backup']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAY_MS = 86_400_000
USAGE_WARN_FRACTION = 0.8
BACKUP_STALE_DAYS = 7
SAFARI_EVICTION_DAYS = 7

_IOS_DEVICE = re.compile(r"\b(iPhone|iPad|iPod)\b")


@dataclass(frozen=True)
class StorageFacts:
    """What the device reported; None where it did not say."""

    now_ms: int
    persisted: bool | None = None
    usage: int | None = None
    quota: int | None = None
    last_backup_ms: int | None = None
    user_agent: str = ""
    platform: str = ""
    max_touch_points: int = 0
    standalone: bool = False   # opened from the home screen (display-mode standalone)


@dataclass(frozen=True)
class Finding:
    """One line of the panel: ``level`` is "ok", "warn" or "info"."""

    key: str
    level: str
    title: str
    text: str


def is_ios(user_agent: str, platform: str = "", max_touch_points: int = 0) -> bool:
    """iPhone, iPod or iPad, including an iPad whose Safari reports a Mac
    ("Macintosh" / "MacIntel") but has a touch screen (a real Mac has none)."""
    ua = str(user_agent or "")
    if _IOS_DEVICE.search(ua):
        return True
    mac = "Macintosh" in ua or str(platform or "") == "MacIntel"
    return mac and int(max_touch_points or 0) > 1


def usage_fraction(usage: int | None, quota: int | None) -> float | None:
    """Used share of the quota (0..1+), or None when unknown."""
    if usage is None or not quota or quota <= 0 or usage < 0:
        return None
    return usage / quota


def format_bytes(n: int) -> str:
    """``1.5 MB``, ``820 KB``, ``12 bytes``."""
    n = max(0, int(n))
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= size:
            value = n / size
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{n} bytes"


def backup_age_text(last_backup_ms: int | None, now_ms: int) -> str:
    """``never``, ``today``, ``yesterday``, ``5 days ago``."""
    if last_backup_ms is None:
        return "never"
    days = max(0, (int(now_ms) - int(last_backup_ms)) // DAY_MS)
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def assess(facts: StorageFacts) -> list[Finding]:
    """The panel's findings, in the order shown."""
    found = []
    if facts.persisted is True:
        found.append(Finding("persisted", "ok", "Kept safe",
                             "The browser has agreed not to delete carelog's data to free space."))
    elif facts.persisted is False:
        found.append(Finding("persisted", "warn", "Not protected",
                             "The browser may delete carelog's data when the tablet runs low on space. "
                             "Tap \"Ask to keep data\" below, and make backups."))
    else:
        found.append(Finding("persisted", "info", "Unknown",
                             "This browser does not say whether it keeps carelog's data. Make backups."))

    share = usage_fraction(facts.usage, facts.quota)
    if share is None:
        found.append(Finding("usage", "info", "Space: unknown", "This browser does not say how much space is left."))
    else:
        used = f"{format_bytes(facts.usage)} used of {format_bytes(facts.quota)} ({min(share, 9.99):.0%})."
        if share >= USAGE_WARN_FRACTION:
            found.append(Finding("usage", "warn", "Space is running out",
                                 used + " When it is full, new entries cannot be saved. Free space on the "
                                        "tablet (old photos, videos, apps) and make a backup."))
        else:
            found.append(Finding("usage", "ok", "Space", used))

    age = backup_age_text(facts.last_backup_ms, facts.now_ms)
    if facts.last_backup_ms is None:
        found.append(Finding("backup", "warn", "No backup yet",
                             "Make a backup file and keep it somewhere else (a computer, a USB stick, "
                             "cloud storage), so a lost or broken tablet does not lose the log."))
    elif facts.now_ms - facts.last_backup_ms >= BACKUP_STALE_DAYS * DAY_MS:
        found.append(Finding("backup", "warn", f"Last backup: {age}",
                             "Entries made since then are only on this tablet. Make a new backup."))
    else:
        found.append(Finding("backup", "ok", f"Last backup: {age}", "Make one every week or so."))

    if is_ios(facts.user_agent, facts.platform, facts.max_touch_points):
        if facts.standalone:
            found.append(Finding("ios", "ok", "On the home screen",
                                 "carelog was opened from the home screen, so Safari keeps its data."))
        else:
            found.append(Finding("ios", "warn", "iPhone and iPad: add carelog to the home screen",
                                 f"Safari deletes the data of websites that were not opened for "
                                 f"{SAFARI_EVICTION_DAYS} days. In Safari tap Share, then \"Add to Home "
                                 "Screen\", and open carelog from there from now on."))
    return found
